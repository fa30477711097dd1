from weasyprint import HTML

from app.core.config import PROJECT_ROOT
from app.reports.appendix import AppendixReport
from app.reports.render_html import render_html


def render_pdf(report: AppendixReport) -> bytes:
    """A4 PDF from the same HTML as the page, tagged as PDF/UA for screen readers."""
    html = HTML(string=render_html(report, for_pdf=True), base_url=str(PROJECT_ROOT) + "/")
    return html.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
