from app.reports.appendix import AppendixReport
from app.reports.templating import environment

DOWNLOADS = [
    ("pdf", "PDF (A4, for printing)"),
    ("docx", "Word (editable)"),
    ("xlsx", "Excel"),
    ("csv", "CSV"),
    ("json", "JSON (the report data)"),
]


def render_html(
    report: AppendixReport,
    *,
    for_pdf: bool = False,
    request=None,
    banner: str | None = None,
    published_links=None,
    publish_form=None,
) -> str:
    """The report as HTML: the page, or (for_pdf) the standalone document WeasyPrint prints."""
    template = environment.get_template("reports/appendix.html")
    return template.render(
        report=report,
        for_pdf=for_pdf,
        layout="reports/pdf_base.html" if for_pdf else "base.html",
        downloads=DOWNLOADS,
        request=request,
        banner=banner,
        published_links=published_links,
        publish_form=publish_form,
    )
