"""A report's PDF in Chromium: the link opens "Preparing PDF…", which HTMX turns into the
download link once the worker's code (app.jobs.run_one) has made the file."""

import json
import re

import pytest
from playwright.sync_api import expect

from app.core.db import make_engine
from tests.browser.helpers import ADMIN, APPROVAL_PLAN, PLAN, VIEWER, assert_accessible
from tests.report_files import run_jobs

pytestmark = pytest.mark.browser


def test_the_preparing_pdf_element_becomes_the_download_link(page_as, server):
    page = page_as(VIEWER)
    page.goto(f"/plans/{PLAN}/reports/appendix?as_at=2019-03-31")
    page.get_by_role("link", name="PDF (A4, for printing)").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Preparing PDF…")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page, "the page preparing a PDF")

    engine = make_engine(server.database_url)
    try:
        assert run_jobs(engine) >= 1  # what `plantrack worker` runs
    finally:
        engine.dispose()
    link = status.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=15_000)  # the element asks every second
    expect(status).not_to_contain_text("Preparing")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{PLAN}-appendix-2019-03-31.pdf"


# What the page showed a moment after its form was sent, kept where the next page can read it.
RECORD_BUSY_FORM = """
document.addEventListener('submit', (event) => {
  const form = event.target
  window.setTimeout(() => {
    const status = form.querySelector('.pt-busy')
    window.sessionStorage.setItem('busy-form', JSON.stringify({
      status: status && status.textContent,
      role: status && status.getAttribute('role'),
      disabled: [...form.querySelectorAll('button[type=submit]')].every((b) => b.disabled),
    }))
  }, 50)
})
"""


def test_publishing_says_it_is_working_until_the_published_report_opens(page_as, server):
    """Publishing renders the report's files in the request (seconds for a large plan): the
    form says what it is doing and cannot be sent twice meanwhile."""
    page = page_as(ADMIN)
    page.add_init_script(RECORD_BUSY_FORM)
    page.goto(f"/plans/{APPROVAL_PLAN}/reports/appendix?as_at=2020-03-31")
    page.get_by_text("Publish this report for a meeting").click()
    held = []  # the form's request, held in the browser while the page is looked at
    page.route("**/reports/appendix/publish", lambda route: held.append(route))
    page.get_by_role("button", name=re.compile("^Publish as at")).click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert len(held) == 1 and held[0].request.method == "POST"
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/published/\d+$"), timeout=60_000)
    expect(page.get_by_text("exactly as it was published")).to_be_visible()

    seen = json.loads(page.evaluate("() => window.sessionStorage.getItem('busy-form')"))
    assert "Publishing: making the PDF, Word, Excel and CSV files." in seen["status"]
    assert seen["role"] == "status"  # read out by a screen reader
    assert seen["disabled"]  # not sent twice
