"""The spreadsheet the office downloads, fills in and imports: one column per field."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from app.imports.columns import FIELDS

_WIDTHS = {
    "theme": 28,
    "ref": 8,
    "title": 45,
    "description": 45,
    "lead_organisation": 20,
    "lead_role": 28,
    "partners": 24,
    "start": 12,
    "due": 14,
    "stage": 14,
    "rag": 10,
    "commentary": 45,
    "corrective_action": 35,
    "effective": 14,
}

GUIDANCE = [
    ("Column", "What to put in it"),
    ("Theme", "The plan's theme the action belongs to; a new theme is created if needed."),
    (
        "Ref",
        "Required. The action's reference, such as P3: importing again updates the "
        "action with this ref instead of creating another.",
    ),
    ("Title", "Required for a new action: what will be done."),
    ("Description", "Optional detail."),
    (
        "Lead organisation",
        "Short name (OPCC) or full name; a new organisation is created if needed.",
    ),
    ("Lead role", "The lead's role at the lead organisation, such as Commissioning Manager."),
    ("Partners", "Organisations, separated by commas."),
    ("Start", "A date: 01/04/2018 (day first), 2018-04-01, April 2018 or Q1 2018/19."),
    (
        "Due",
        "Required for a new action. A date, or a timescale such as March 2019 or "
        "Q4 2018/19 (which ends on 31 March 2019).",
    ),
    (
        "Stage",
        "Not started, In progress, Complete, Withdrawn or Carried forward. "
        "On track, Amber or Red mean in progress with that rating.",
    ),
    (
        "RAG",
        "Green, Amber or Red (Amber/Green and Amber/Red too on a five-point plan); only "
        "for actions in progress.",
    ),
    ("Latest commentary", "What has happened since the last update."),
    ("Corrective action", "Required when the rating is Red: what is being done about it."),
    (
        "Last updated",
        "The date the row's status took effect (its update is dated then); blank rows take "
        "the date chosen when importing.",
    ),
    ("", ""),
    (
        "",
        "Blank cells leave an existing action as it is. A new status update is recorded only "
        "when the stage, RAG or commentary differs from the action's latest.",
    ),
]


def import_template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(list(FIELDS.values()))
    bold = Font(bold=True)
    for index, name in enumerate(FIELDS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[cell.column_letter].width = _WIDTHS[name]
    sheet.freeze_panes = "A2"
    columns = {
        name: sheet.cell(row=1, column=i).column_letter for i, name in enumerate(FIELDS, start=1)
    }
    stages = DataValidation(
        type="list",
        formula1='"Not started,In progress,Complete,Withdrawn,Carried forward"',
        allow_blank=True,
    )
    rags = DataValidation(
        type="list", formula1='"Green,Amber/Green,Amber,Amber/Red,Red"', allow_blank=True
    )
    for validation, name in ((stages, "stage"), (rags, "rag")):
        validation.showErrorMessage = False  # a suggestion list, not a lock: any word is read
        sheet.add_data_validation(validation)
        validation.add(f"{columns[name]}2:{columns[name]}5001")
    guide = workbook.create_sheet("How to fill in")
    for row in GUIDANCE:
        guide.append(row)
    guide["A1"].font = bold
    guide["B1"].font = bold
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 100
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
