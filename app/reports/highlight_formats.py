"""The highlight report's formats: page, PDF (from the same HTML), Word and JSON."""

import io

from docx import Document
from docx.shared import Cm
from weasyprint import HTML

from app.core.config import PROJECT_ROOT
from app.domain.timescales import uk_date
from app.reports.formats import Format
from app.reports.highlight import HighlightReport
from app.reports.indicator_docx import add_indicator
from app.reports.templating import environment


def render_highlight_html(
    report: HighlightReport,
    *,
    for_pdf: bool = False,
    request=None,
    banner: str | None = None,
    controls=None,
) -> str:
    return environment.get_template("reports/highlight.html").render(
        report=report,
        for_pdf=for_pdf,
        request=request,
        banner=banner,
        controls=controls,
        orientation="portrait",
        chart_table_open=for_pdf,
        layout="reports/pdf_base.html" if for_pdf else "base.html",
    )


def render_highlight_pdf(report: HighlightReport) -> bytes:
    html = HTML(
        string=render_highlight_html(report, for_pdf=True), base_url=str(PROJECT_ROOT) + "/"
    )
    return html.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


def render_highlight_docx(report: HighlightReport) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    document.core_properties.title = f"{report.title} as at {report.as_at_text}"
    document.core_properties.author = "plantrack"
    document.core_properties.created = report.produced_at.replace(tzinfo=None)
    document.add_heading(report.title, level=0)
    meeting = (
        f": {report.meeting_title}, {uk_date(report.meeting_date)}" if report.meeting_date else ""
    )
    document.add_paragraph(
        f"{report.board}{meeting}. As at {report.as_at_text}; activity since "
        f"{uk_date(report.since)}; planned activity to {uk_date(report.next_report)}."
    )
    document.add_heading("Strategic outcomes", level=1)
    for outcome in report.strategic_outcomes:
        document.add_paragraph(outcome, style="List Bullet")
    document.add_heading("Progress", level=1)
    document.add_paragraph(report.headline).runs[0].bold = True
    document.add_paragraph("Since the last report: " + "; ".join(report.changes) + ".")
    document.add_paragraph(
        "Ratings of all the actions in progress, due or not: "
        f"{report.previous_totals.all_in_progress} at the last report, "
        f"{report.totals.all_in_progress} now."
    )
    table = document.add_table(rows=1, cols=3, style="Table Grid")
    for cell, text in zip(table.rows[0].cells, ("Rating", "Last report", "Now"), strict=True):
        cell.text = text
    for rule in report.rag_rules:
        cells = table.add_row().cells
        cells[0].text = rule.label
        cells[1].text = str(report.previous_totals.all_rag.get(rule.key, 0))
        cells[2].text = str(report.totals.all_rag.get(rule.key, 0))
    for text_section in report.sections:
        document.add_heading(text_section.heading, level=1)
        for item in text_section.items:
            document.add_paragraph(item, style="List Bullet")
    document.add_heading("Milestones ahead", level=1)
    for milestone in report.milestones_ahead or []:
        status = f" (achieved {uk_date(milestone.achieved_on)})" if milestone.achieved_on else ""
        document.add_paragraph(f"{milestone.when}: {milestone.title}{status}", style="List Bullet")
    if report.indicators:
        document.add_heading("Outcome indicators", level=1)
        for indicator in report.indicators:
            add_indicator(document, indicator)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _html(report: HighlightReport) -> bytes:
    return render_highlight_html(report).encode("utf-8")


def _json(report: HighlightReport) -> bytes:
    return report.model_dump_json(indent=2).encode("utf-8")


HIGHLIGHT_FORMATS: dict[str, Format] = {
    "html": Format("text/html; charset=utf-8", _html, True),
    "pdf": Format("application/pdf", render_highlight_pdf, False),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        render_highlight_docx,
        False,
    ),
    "json": Format("application/json", _json, True),
}
