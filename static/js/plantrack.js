// Loaded, not deferred, at the top of <body>: the page is marked as having JavaScript before it
// is drawn, so GOV.UK Frontend's scripted styles apply without a flash. A file rather than an
// inline script because the Content-Security-Policy allows no inline script.
document.body.className += ' js-enabled govuk-frontend-supported'

// A form that takes a while once sent (publishing renders a report's files) says so: its
// data-pt-busy text goes into the form's status region, with a spinner, and its button is
// disabled, so it is not sent twice while the server works. Without JavaScript the form is
// sent as it is.
document.addEventListener('submit', function (event) {
  var form = event.target
  var message = form.getAttribute('data-pt-busy')
  if (!message || event.defaultPrevented) return
  var status = form.querySelector('.pt-busy')
  if (status) {
    var spinner = document.createElement('span')
    spinner.className = 'pt-spinner'
    spinner.setAttribute('aria-hidden', 'true')
    var text = document.createElement('strong')
    text.textContent = ' ' + message
    status.replaceChildren(spinner, text)
  }
  // After the form's data is taken: a disabled button would leave its own value out.
  window.setTimeout(function () {
    form.querySelectorAll('button[type=submit]').forEach(function (button) {
      button.disabled = true
      button.setAttribute('aria-disabled', 'true')
    })
  }, 0)
})
