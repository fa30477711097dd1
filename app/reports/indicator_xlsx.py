"""The outcome indicators as an Excel sheet: one block per indicator, its trend in words and the
better direction, then its figures with the date each was published."""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.reports.indicators import IndicatorSection
from app.reports.safety import spreadsheet_text

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER = ("Period", "Period ending", "Published", "Value", "Figure")


def write_indicators_sheet(workbook: Workbook, sections: list[IndicatorSection]) -> None:
    """An "Indicators" sheet, when the report has any."""
    if not sections:
        return
    sheet = workbook.create_sheet("Indicators")
    sheet.column_dimensions["A"].width = 40
    for column in "BCDE":
        sheet.column_dimensions[column].width = 16
    for section in sections:
        section = section.drawable()
        sheet.append([spreadsheet_text(section.title)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
        sheet.append(["Trend", spreadsheet_text(section.trend)])
        sheet.append(["Which direction is better", section.better_words.capitalize()])
        for row in sheet.iter_rows(min_row=sheet.max_row - 1, max_row=sheet.max_row):
            row[0].font = BOLD
        sheet.append(["Source", spreadsheet_text(section.caption)])
        sheet.cell(sheet.max_row, 1).font = BOLD
        sheet.cell(sheet.max_row, 2).alignment = WRAP
        sheet.append(list(HEADER))
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
        for period, period_end, value, published in section.rows():
            sheet.append(
                [spreadsheet_text(period), period_end, published, value, section.format(value)]
            )
            sheet.cell(sheet.max_row, 2).number_format = "d mmmm yyyy"
            sheet.cell(sheet.max_row, 3).number_format = "d mmmm yyyy"
        if not section.values:
            sheet.append(["No figures yet."])
        sheet.append([])
