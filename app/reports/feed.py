"""The flat "actions as at a date" table for Power BI and Excel: one row per action, built from
the appendix model (so its figures are the appendix's), as JSON rows or CSV."""

import csv
import io
from datetime import date

from pydantic import BaseModel

from app.reports.appendix import AppendixReport
from app.reports.safety import spreadsheet_text


class FeedRow(BaseModel):
    plan: str
    as_at: date
    theme: str
    ref: str
    title: str
    lead_organisation: str
    owner_role: str
    due_date: date
    due_label: str
    stage: str
    rating: str | None
    last_update_date: date | None
    last_update_text: str
    overdue: bool


class FeedTable(BaseModel):
    plan: str
    as_at: date
    rows: list[FeedRow]


COLUMNS = list(FeedRow.model_fields)


def feed_rows(report: AppendixReport) -> FeedTable:
    return FeedTable(
        plan=report.plan_slug,
        as_at=report.as_at,
        rows=[
            FeedRow(
                plan=report.plan_slug,
                as_at=report.as_at,
                theme=row.theme,
                ref=row.ref,
                title=row.title,
                lead_organisation=row.lead_organisation_name,
                owner_role=row.lead_role,
                due_date=row.due_date,
                due_label=row.due_label,
                stage=row.stage,
                rating=row.rag,
                last_update_date=row.commentary_date,
                last_update_text=row.commentary,
                overdue=row.overdue,
            )
            for section in report.themes
            for row in section.actions
        ],
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_text(str(value))


def render_feed_csv(table: FeedTable) -> bytes:
    """Machine-readable CSV: snake_case headers, ISO dates, true/false, stage and rating keys;
    free text neutralised against formula injection. No byte-order mark: Power Query and
    pandas read UTF-8 as it is."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in table.rows:
        writer.writerow(_cell(getattr(row, column)) for column in COLUMNS)
    return buffer.getvalue().encode("utf-8")
