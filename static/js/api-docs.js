// Starts Swagger UI (static/vendor/swagger-ui) on /api/docs with the schema named by the page.
// A file of its own because the Content-Security-Policy allows no inline script.
(function () {
  var element = document.getElementById('swagger-ui')
  window.ui = window.SwaggerUIBundle({
    url: element.getAttribute('data-openapi-url'),
    domNode: element,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  })
})()
