// Loaded, not deferred, at the top of <body>: the page is marked as having JavaScript before it
// is drawn, so GOV.UK Frontend's scripted styles apply without a flash. A file rather than an
// inline script because the Content-Security-Policy allows no inline script.
document.body.className += ' js-enabled govuk-frontend-supported'
