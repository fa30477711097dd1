"""The appendix as an editable Word document, for the office to finish before it goes to the Panel.

Real headings and built-in table styles, so Word's navigation pane, table of contents and
accessibility checker work, and the office can restyle it in one place.
"""

import io
from datetime import UTC

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from app.domain.timescales import uk_date
from app.reports.appendix import ActionRow, AppendixReport, PlanLink
from app.reports.indicator_docx import add_indicators_section
from app.reports.render_csv import direction_text, link_text
from app.reports.render_xlsx import RAG_FILLS, summary_header, summary_values
from app.reports.safety import xml_safe

TABLE_STYLE = "Table Grid"
CELL_STYLE = "Table text"
CELL_STYLE_ID = "TableText"

ACTION_HEADER = [
    "Ref",
    "Action",
    "Lead",
    "Due",
    "Stage",
    "RAG",
    "Direction",
    "Latest commentary",
    "Corrective action",
]
# Millimetres; A4 less 20 mm margins each side, landscape less 15 mm.
PORTRAIT_TEXT_WIDTH = 170
# Adding up to the landscape text width, 267.
ACTION_WIDTHS = [12, 50, 32, 20, 20, 17, 18, 60, 38]
CARRIED_WIDTHS = [15, 95, 95, 30, 32]


def render_docx(report: AppendixReport) -> bytes:
    document = Document()
    _set_properties(document, report)
    _page(document.sections[0], landscape=False)

    document.add_heading(xml_safe(report.title), level=0)
    details = document.add_paragraph()
    lines = [
        ("Plan", report.plan_title),
        ("Board", report.board),
        ("Period", report.period_text),
        ("As at", report.as_at_text),
        ("Produced", f"{uk_date(report.produced_at.date())} {report.produced_at:%H:%M %Z}".strip()),
    ]
    for index, (label, value) in enumerate(lines):
        if index:
            details.add_run().add_break()
        details.add_run(f"{label}: ").bold = True
        details.add_run(xml_safe(value))
    document.add_paragraph().add_run(report.headline).bold = True
    if report.carried_forward_note:
        document.add_paragraph(report.carried_forward_note)

    document.add_heading("Progress by theme", level=1)
    header = summary_header(report)
    rows = [(theme.title, theme.counts) for theme in report.themes]
    rows.append(("Total", report.totals))
    percent_index = header.index("% complete")
    body = []
    for label, counts in rows:
        values = summary_values(report, xml_safe(label), counts)
        percent = values[percent_index]
        values[percent_index] = "n/a" if percent is None else f"{percent}%"
        body.append([str(value) for value in values])
    theme_width = 40
    other_width = (PORTRAIT_TEXT_WIDTH - theme_width) / (len(header) - 1)
    table = _table(document, header, body, [theme_width] + [other_width] * (len(header) - 1))
    for cell in table.rows[-1].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for rule in report.rag_rules:
        _shade(table.rows[0].cells[header.index(rule.label)], RAG_FILLS[rule.key])

    document.add_heading(f"RAG ratings: {report.rag_scheme_name}", level=1)
    table = _table(
        document,
        ["Rating", "Meaning"],
        [[rule.label, rule.meaning] for rule in report.rag_rules],
        [35, PORTRAIT_TEXT_WIDTH - 35],
    )
    for row, rule in zip(table.rows[1:], report.rag_rules, strict=True):
        _shade(row.cells[0], RAG_FILLS[rule.key])

    document.add_heading("Stages", level=1)
    _table(
        document,
        ["Stage", "Meaning"],
        [[rule.label, rule.meaning] for rule in report.stage_rules],
        [35, PORTRAIT_TEXT_WIDTH - 35],
    )

    _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    document.add_heading("Actions by theme", level=1)
    for theme in report.themes:
        document.add_heading(xml_safe(theme.title), level=2)
        if theme.delivery_group:
            document.add_paragraph(f"Delivery group: {xml_safe(theme.delivery_group)}")
        if theme.actions:
            _action_table(document, theme.actions)
        else:
            document.add_paragraph("This theme has no actions.")

    document.add_heading(f"Completed since {report.since_text}", level=1)
    for done in report.completed_since:
        completed = f", completed {uk_date(done.completed_on)}" if done.completed_on else ""
        document.add_paragraph(
            xml_safe(f"{done.ref} {done.title} ({done.theme}){completed}"), style="List Bullet"
        )
    if not report.completed_since:
        document.add_paragraph(f"No actions have been completed since {report.since_text}.")

    document.add_heading("Carried forward", level=1)
    _carried_table(
        document,
        "Carried forward into this plan",
        "Carried forward from",
        [(row, row.carried_forward_from) for row in report.carried_forward_in],
    )
    _carried_table(
        document,
        "Carried forward to the next plan",
        "Carried forward to",
        [(row, row.carried_forward_to) for row in report.carried_forward_out],
    )

    add_indicators_section(document, report.indicators, report.as_at)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_properties(document: DocumentObject, report: AppendixReport) -> None:
    properties = document.core_properties
    properties.title = xml_safe(report.title)
    properties.subject = xml_safe(report.plan_title)
    properties.author = "plantrack"
    properties.last_modified_by = "plantrack"
    properties.comments = ""
    properties.language = "en-GB"
    properties.revision = 1
    # python-docx writes the time as UTC ("Z") whatever its zone, so convert it first.
    produced = report.produced_at
    if produced.tzinfo is not None:
        produced = produced.astimezone(UTC)
    properties.created = properties.modified = produced

    # Word's spelling checker follows the language of the text, not of the file's properties.
    for lang in document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:val"), "en-GB")
        lang.set(qn("w:eastAsia"), "en-GB")

    cell_style = document.styles.add_style(CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell_style.style_id = CELL_STYLE_ID
    cell_style.base_style = document.styles["Normal"]
    cell_style.font.size = Pt(9)
    cell_style.paragraph_format.space_after = Pt(0)
    cell_style.paragraph_format.line_spacing = 1.0


def _page(section: Section, *, landscape: bool) -> None:
    """A4; python-docx's own template is US Letter."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (
        (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    )
    margin = Mm(15) if landscape else Mm(20)
    section.left_margin = section.right_margin = margin
    section.top_margin = section.bottom_margin = Mm(20)


def _action_table(document: DocumentObject, actions: list[ActionRow]) -> None:
    table = _table(
        document,
        ACTION_HEADER,
        [
            [
                row.ref,
                row.title,
                "\n".join(part for part in (row.lead_organisation, row.lead_role) if part),
                row.due_label,
                row.stage_label,
                row.rag_label,
                direction_text(row),
                row.commentary,
                row.corrective_action,
            ]
            for row in actions
        ],
        ACTION_WIDTHS,
    )
    for table_row, row in zip(table.rows[1:], actions, strict=True):
        if row.overdue:
            _cell_paragraph(table_row.cells[3], new=True).add_run("Overdue").bold = True
        if row.rag in RAG_FILLS:
            _shade(table_row.cells[5], RAG_FILLS[row.rag])
        if row.commentary_date:
            dated = _cell_paragraph(table_row.cells[7], new=True)
            dated.add_run(f"Updated {uk_date(row.commentary_date)}").italic = True


def _carried_table(
    document: DocumentObject, heading: str, link_header: str, rows: list[tuple[ActionRow, PlanLink]]
) -> None:
    document.add_heading(heading, level=2)
    if not rows:
        document.add_paragraph("None.")
        return
    table = _table(
        document,
        ["Ref", "Action", link_header, "Stage", "RAG"],
        [
            [row.ref, row.title, link_text(link), row.stage_label, row.rag_label]
            for row, link in rows
        ],
        CARRIED_WIDTHS,
    )
    for table_row, (row, _) in zip(table.rows[1:], rows, strict=True):
        if row.rag in RAG_FILLS:
            _shade(table_row.cells[4], RAG_FILLS[row.rag])


def _table(
    document: DocumentObject,
    header: list[str],
    rows: list[list[str]],
    widths_mm: list[float] | None = None,
) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = document.styles[TABLE_STYLE]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _write(cell, text).bold = True
    # Word repeats a row marked as a header at the top of every page the table runs onto.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            _write(cell, text)
    if widths_mm:
        table.autofit = False
        for column, width in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(width)
            for cell in column.cells:
                cell.width = Mm(width)
    return table


def _write(cell: _Cell, text: str) -> Run:
    return _cell_paragraph(cell).add_run(xml_safe(text))


def _cell_paragraph(cell: _Cell, *, new: bool = False) -> Paragraph:
    paragraph = cell.add_paragraph() if new else cell.paragraphs[0]
    # Setting the style by id: python-docx's by-name lookup scans every style on each call,
    # which made a 53-action document take over a second to build.
    paragraph._p.style = CELL_STYLE_ID
    return paragraph


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(
        shading, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"
    )
