"""Every format of a report: how to render the model and what to call the file."""

from collections.abc import Callable
from dataclasses import dataclass

from app.reports.appendix import AppendixReport
from app.reports.render_csv import render_csv
from app.reports.render_docx import render_docx
from app.reports.render_html import render_html
from app.reports.render_pdf import render_pdf
from app.reports.render_xlsx import render_xlsx


@dataclass(frozen=True)
class Format:
    media_type: str
    render: Callable[[AppendixReport], bytes]
    is_text: bool


def _html(report: AppendixReport) -> bytes:
    return render_html(report).encode("utf-8")


def _json(report: AppendixReport) -> bytes:
    return report.model_dump_json(indent=2).encode("utf-8")


FORMATS: dict[str, Format] = {
    "html": Format("text/html; charset=utf-8", _html, True),
    "pdf": Format("application/pdf", render_pdf, False),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        render_docx,
        False,
    ),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx, False
    ),
    "csv": Format("text/csv; charset=utf-8", render_csv, True),
    "json": Format("application/json", _json, True),
}


def file_name(report: AppendixReport, extension: str) -> str:
    return f"{report.plan_slug}-appendix-{report.as_at.isoformat()}.{extension}"
