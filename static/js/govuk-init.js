// Starts GOV.UK Frontend's components (a module, run after the page is parsed).
import { initAll } from '/static/vendor/govuk-frontend/govuk-frontend.min.js'

initAll()
