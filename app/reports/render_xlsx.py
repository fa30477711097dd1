"""The appendix as an Excel workbook: a Summary sheet and an Actions sheet to filter and sort."""

import io
from datetime import UTC, date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.domain.snapshot import Counts
from app.reports.appendix import AppendixReport
from app.reports.indicator_xlsx import write_indicators_sheet
from app.reports.render_csv import ACTION_COLUMNS, action_values
from app.reports.safety import spreadsheet_text, xml_safe

# Excel's own "Good", "Neutral" and "Bad" fills, with the two DCA steps halfway between.
RAG_FILLS = {
    "green": "C6EFCE",
    "amber_green": "E3EDB5",
    "amber": "FFEB9C",
    "amber_red": "FFD9B5",
    "red": "FFC7CE",
}

DATE_FORMAT = "d mmmm yyyy"
PERCENT_FORMAT = "0%"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
TOP = Alignment(vertical="top")
WRAP = Alignment(vertical="top", wrap_text=True)

ACTION_WIDTHS = {
    "Theme": 28,
    "Ref": 7,
    "Action": 50,
    "Lead organisation": 28,
    "Lead role": 28,
    "Due (as stated)": 14,
    "Due date": 16,
    "Stage": 15,
    "RAG": 12,
    "Overdue": 9,
    "Direction of travel": 12,
    "Latest commentary": 60,
    "Commentary date": 16,
    "Corrective action": 40,
    "Carried forward from": 30,
    "Carried forward to": 30,
}
WRAPPED = {
    "Theme",
    "Action",
    "Lead organisation",
    "Lead role",
    "Latest commentary",
    "Corrective action",
    "Carried forward from",
    "Carried forward to",
}

# The CSV's columns; here the dates are real dates, shown the UK way, so "(ISO)" would mislead.
ACTION_HEADINGS = [heading.replace(" (ISO)", "") for heading in ACTION_COLUMNS]

SUMMARY_COLUMNS = [
    ("Actions", "total"),
    ("Scheduled", "scheduled"),
    ("Complete", "complete"),
    ("In progress", "in_progress"),
    ("Not started", "not_started"),
    ("Carried forward", "carried_forward"),
    ("Overdue", "overdue"),
]


# The rating table's counts: of the actions in progress that are due, due later, and all.
RATING_COUNTS = ["In progress and due", "In progress, due later", "All in progress"]


def summary_header(report: AppendixReport) -> list[str]:
    """The by-theme table's columns: counts, % complete, then the plan's own RAG ratings."""
    header = ["Theme", *(label for label, _ in SUMMARY_COLUMNS), "% complete"]
    header += [rule.label for rule in report.rag_rules]
    if report.totals.not_rated:
        header.append("Not rated")
    return header


def summary_values(report: AppendixReport, label: str, counts: Counts) -> list:
    """One row of the by-theme table; the percentage is the model's whole number, not recomputed."""
    values: list = [label, *(getattr(counts, key) for _, key in SUMMARY_COLUMNS)]
    values.append(counts.percent_complete)
    values += [counts.rag.get(rule.key, 0) for rule in report.rag_rules]
    if report.totals.not_rated:
        values.append(counts.not_rated)
    return values


def render_xlsx(report: AppendixReport) -> bytes:
    workbook = Workbook()
    workbook.properties.title = xml_safe(report.title)
    workbook.properties.subject = xml_safe(report.plan_title)
    workbook.properties.creator = "plantrack"
    workbook.properties.lastModifiedBy = "plantrack"
    workbook.properties.created = _naive_utc(report)
    _write_summary(workbook.active, report)
    _write_actions(workbook.create_sheet("Actions"), report)
    write_indicators_sheet(workbook, report.indicators)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _naive_utc(report: AppendixReport):
    # Excel has no time zones; openpyxl refuses aware datetimes.
    produced = report.produced_at
    if produced.tzinfo is not None:
        produced = produced.astimezone(UTC).replace(tzinfo=None)
    return produced


def _write_summary(sheet: Worksheet, report: AppendixReport) -> None:
    sheet.title = "Summary"
    sheet.append([spreadsheet_text(report.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    details = [
        ("Plan", spreadsheet_text(report.plan_title), None),
        ("Board", spreadsheet_text(report.board), None),
        ("Period", report.period_text, None),
        ("As at", report.as_at, DATE_FORMAT),
        ("Changes since", report.since, DATE_FORMAT),
        ("Produced (UTC)", _naive_utc(report), DATE_FORMAT + " hh:mm"),
    ]
    for label, value, number_format in details:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
        value_cell = sheet.cell(sheet.max_row, 2)
        value_cell.alignment = Alignment(horizontal="left")
        if number_format:
            value_cell.number_format = number_format
    sheet.append([])
    sheet.append([report.headline])
    sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append([report.comparison_sentence])
    if report.carried_forward_note:
        sheet.append([report.carried_forward_note])

    sheet.append([])
    header = summary_header(report)
    # Above the rating columns: which actions they count, so they add up with "In progress".
    first_rating = len(SUMMARY_COLUMNS) + 3
    sheet.append([None] * (first_rating - 1) + [report.ratings_label])
    sheet.merge_cells(
        start_row=sheet.max_row,
        start_column=first_rating,
        end_row=sheet.max_row,
        end_column=len(header),
    )
    label = sheet.cell(sheet.max_row, first_rating)
    label.font = BOLD
    label.fill = HEADER_FILL
    label.alignment = Alignment(horizontal="center", wrap_text=True)
    _append_header(sheet, header)
    rows = [(theme.title, theme.counts) for theme in report.themes]
    rows.append(("Total", report.totals))
    percent_column = header.index("% complete") + 1
    for label, counts in rows:
        values = summary_values(report, spreadsheet_text(label), counts)
        if counts.percent_complete is not None:
            values[percent_column - 1] = counts.percent_complete / 100
        sheet.append(values)
        sheet.cell(sheet.max_row, 1).alignment = WRAP
        sheet.cell(sheet.max_row, percent_column).number_format = PERCENT_FORMAT
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD

    sheet.append([])
    _append_header(sheet, [f"RAG rating ({report.rag_scheme_name})", "Meaning", *RATING_COUNTS])
    totals = report.totals
    for rule in report.rag_rules:
        key = rule.key
        sheet.append(
            [rule.label, rule.meaning, totals.rag[key], totals.later_rag[key], totals.all_rag[key]]
        )
        sheet.cell(sheet.max_row, 1).fill = PatternFill("solid", fgColor=RAG_FILLS[rule.key])
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True)
    if totals.not_rated or totals.later_not_rated:
        sheet.append(
            [
                "Not rated",
                "In progress without a rating in this plan's scheme.",
                totals.not_rated,
                totals.later_not_rated,
                totals.not_rated + totals.later_not_rated,
            ]
        )
    sheet.append(
        [
            "All in progress",
            None,
            totals.in_progress,
            totals.later_in_progress,
            totals.all_in_progress,
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD

    sheet.append([])
    _append_header(sheet, ["Stage", "Meaning"])
    for rule in report.stage_rules:
        sheet.append([rule.label, rule.meaning])
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True)

    sheet.column_dimensions["A"].width = 45
    sheet.column_dimensions["B"].width = 24
    for column in range(3, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 13


def _write_actions(sheet: Worksheet, report: AppendixReport) -> None:
    _append_header(sheet, ACTION_HEADINGS)
    rag_column = ACTION_HEADINGS.index("RAG") + 1
    for row in report.all_actions:
        sheet.append(action_values(row))
        for column, cell in enumerate(sheet[sheet.max_row], start=1):
            heading = ACTION_HEADINGS[column - 1]
            cell.alignment = WRAP if heading in WRAPPED else TOP
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
        if row.rag in RAG_FILLS:
            sheet.cell(sheet.max_row, rag_column).fill = PatternFill(
                "solid", fgColor=RAG_FILLS[row.rag]
            )
    for column, heading in enumerate(ACTION_HEADINGS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = ACTION_WIDTHS[heading]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _append_header(sheet: Worksheet, header: list[str]) -> None:
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
