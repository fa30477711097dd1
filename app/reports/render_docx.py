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
from app.domain.trajectory import Trajectory
from app.reports.appendix import ActionRow, AppendixReport, PlanLink
from app.reports.charts import trajectory_png
from app.reports.indicator_docx import add_indicators_section
from app.reports.render_csv import direction_text, link_text
from app.reports.render_xlsx import RAG_FILLS, RATING_COUNTS, summary_header, summary_values
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
    _header_and_footer(document.sections[0], report)

    _heading(document, report.title, level=0)
    details = document.add_paragraph()
    lines = [
        ("Plan", report.plan_title),
        ("Board", report.board),
        ("Period", report.period_text),
        ("As at", report.as_at_text),
        ("Changes since", report.since_text),
        ("Produced", f"{uk_date(report.produced_at.date())} {report.produced_at:%H:%M %Z}".strip()),
    ]
    for index, (label, value) in enumerate(lines):
        if index:
            details.add_run().add_break()
        details.add_run(f"{label}: ").bold = True
        details.add_run(xml_safe(value))
    document.add_paragraph().add_run(report.headline).bold = True
    document.add_paragraph(xml_safe(report.comparison_sentence))
    if report.carried_forward_note:
        document.add_paragraph(report.carried_forward_note)

    _heading(document, "Progress by theme", level=1)
    _keep_with_next(
        document.add_paragraph(
            f"{report.ratings_label}: the rating columns count them, so they add up to the "
            "In progress column."
        )
    )
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

    _heading(document, f"RAG ratings: {report.rag_scheme_name}", level=1)
    totals = report.totals
    rating_rows = [
        [
            rule.label,
            rule.meaning,
            str(totals.rag[rule.key]),
            str(totals.later_rag[rule.key]),
            str(totals.all_rag[rule.key]),
        ]
        for rule in report.rag_rules
    ]
    if totals.not_rated or totals.later_not_rated:
        rating_rows.append(
            [
                "Not rated",
                "In progress without a rating in this plan's scheme.",
                str(totals.not_rated),
                str(totals.later_not_rated),
                str(totals.not_rated + totals.later_not_rated),
            ]
        )
    rating_rows.append(
        [
            "All in progress",
            "",
            str(totals.in_progress),
            str(totals.later_in_progress),
            str(totals.all_in_progress),
        ]
    )
    table = _table(
        document,
        ["Rating", "Meaning", *RATING_COUNTS],
        rating_rows,
        [30, PORTRAIT_TEXT_WIDTH - 30 - 3 * 22, 22, 22, 22],
    )
    for row, rule in zip(table.rows[1:], report.rag_rules, strict=False):
        _shade(row.cells[0], RAG_FILLS[rule.key])
    for cell in table.rows[-1].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True

    _heading(document, "Stages", level=1)
    _table(
        document,
        ["Stage", "Meaning"],
        [[rule.label, rule.meaning] for rule in report.stage_rules],
        [35, PORTRAIT_TEXT_WIDTH - 35],
    )

    _page(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    if report.trajectory and report.trajectory.points:
        _trajectory(document, report.trajectory)

    _heading(document, "Actions by theme", level=1)
    _keep_with_next(
        document.add_paragraph(
            f"The Direction column compares each action with its status on {report.since_text}."
        )
    )
    for theme in report.themes:
        _heading(document, theme.title, level=2)
        if theme.delivery_group:
            _keep_with_next(
                document.add_paragraph(f"Delivery group: {xml_safe(theme.delivery_group)}")
            )
        if theme.actions:
            _action_table(document, theme.actions)
        else:
            document.add_paragraph("This theme has no actions.")

    _heading(document, f"Completed since {report.since_text}", level=1)
    for done in report.completed_since:
        completed = f", completed {uk_date(done.completed_on)}" if done.completed_on else ""
        document.add_paragraph(
            xml_safe(f"{done.ref} {done.title} ({done.theme}){completed}"), style="List Bullet"
        )
    if not report.completed_since:
        document.add_paragraph(f"No actions have been completed since {report.since_text}.")

    _heading(document, "Carried forward", level=1)
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


def _heading(document: DocumentObject, text: str, *, level: int) -> Paragraph:
    """A heading kept on the page of what follows it, never alone at the foot of a page."""
    return _keep_with_next(document.add_heading(xml_safe(text), level=level))


def _keep_with_next(paragraph: Paragraph) -> Paragraph:
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _header_and_footer(section: Section, report: AppendixReport) -> None:
    """The plan and as-at date at the top of every page, "Page N of M" at the foot; the
    landscape section after links to these."""
    header = section.header.paragraphs[0]
    header.text = xml_safe(f"{report.title}. As at {report.as_at_text}")
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")


def _field(paragraph: Paragraph, code: str, placeholder: str) -> None:
    """A field Word computes when it lays out the page (PAGE, NUMPAGES): begin, code, separate,
    the last computed value, end."""

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    paragraph.add_run()._r.append(instruction)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


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
    _heading(document, heading, level=2)
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
        # The header row stays with the first row of figures, never alone at a page's foot.
        _keep_with_next(cell.paragraphs[0])
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


def _trajectory(document: DocumentObject, trajectory: Trajectory) -> None:
    """The progress chart as a picture whose alternative text says every figure, then the same
    figures as a table, as the page shows them."""
    _heading(document, "Progress over time", level=1)
    picture = document.add_paragraph()
    _keep_with_next(picture)
    shape = picture.add_run().add_picture(
        io.BytesIO(trajectory_png(trajectory)), width=Mm(PORTRAIT_TEXT_WIDTH)
    )
    shape._inline.docPr.set("descr", xml_safe(trajectory.description))
    shape._inline.docPr.set("title", "Actions due and completed over time")
    rows = [
        [
            xml_safe(point.label),
            str(point.due),
            str(point.completed),
            f"{point.completed_of_due}"
            + (f" ({point.percent_of_due}%)" if point.percent_of_due is not None else ""),
        ]
        for point in trajectory.points
    ]
    _table(
        document,
        ["When", "Due by then", "Completed by then", "Of those due, complete"],
        rows,
        [PORTRAIT_TEXT_WIDTH * 0.4] + [PORTRAIT_TEXT_WIDTH * 0.2] * 3,
    )
