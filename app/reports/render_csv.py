"""The appendix's actions as CSV: one row per action, for people who work in spreadsheets.

The action columns are shared with the Excel renderer's Actions sheet, so both exports line up.
A CSV has no title page, so each row also carries the plan, the as-at date and the date the
direction of travel compares against (REPORT_COLUMNS): rows of several files can be stacked.
"""

import csv
import io
from datetime import date

from app.reports.appendix import ActionRow, AppendixReport, PlanLink
from app.reports.safety import spreadsheet_text

ACTION_COLUMNS = [
    "Theme",
    "Ref",
    "Action",
    "Lead organisation",
    "Lead role",
    "Due (as stated)",
    "Due date (ISO)",
    "Stage",
    "RAG",
    "Overdue",
    "Direction of travel",
    "Latest commentary",
    "Commentary date (ISO)",
    "Corrective action",
    "Carried forward from",
    "Carried forward to",
]


REPORT_COLUMNS = ["Plan", "As at (ISO)", "Changes since (ISO)"]


def direction_text(row: ActionRow) -> str:
    return row.direction.value.capitalize() if row.direction else ""


def link_text(link: PlanLink | None) -> str:
    return f"{link.ref}, {link.plan_title}" if link else ""


def action_values(row: ActionRow) -> list[str | date | None]:
    """The row's cells in ``ACTION_COLUMNS`` order: text neutralised, dates left as dates."""
    values: list[str | date | None] = [
        row.theme,
        row.ref,
        row.title,
        row.lead_organisation_name,
        row.lead_role,
        row.due_label,
        row.due_date,
        row.stage_label,
        row.rag_label,
        "Yes" if row.overdue else "No",
        direction_text(row),
        row.commentary,
        row.commentary_date,
        row.corrective_action,
        link_text(row.carried_forward_from),
        link_text(row.carried_forward_to),
    ]
    return [spreadsheet_text(value) if isinstance(value, str) else value for value in values]


def render_csv(report: AppendixReport) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS + ACTION_COLUMNS)
    report_values = [report.plan_slug, report.as_at.isoformat(), report.since.isoformat()]
    for row in report.all_actions:
        writer.writerow(
            report_values
            + [
                value.isoformat() if isinstance(value, date) else ("" if value is None else value)
                for value in action_values(row)
            ]
        )
    # The byte-order mark is what makes Excel open the file as UTF-8 rather than ANSI.
    return buffer.getvalue().encode("utf-8-sig")
