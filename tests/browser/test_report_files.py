"""A report's PDF in Chromium: the link opens "Preparing PDF…", which HTMX turns into the
download link once the worker's code (app.jobs.run_one) has made the file."""

import pytest
from playwright.sync_api import expect

from app.core.db import make_engine
from tests.browser.helpers import PLAN, VIEWER, assert_accessible
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
