"""Every format of a report: how to render the model and what to call the file."""

from collections.abc import Callable
from dataclasses import dataclass

from app.reports.appendix import AppendixReport


@dataclass(frozen=True)
class Format:
    media_type: str
    render: Callable[[AppendixReport], bytes]
    is_text: bool


def _html(report: AppendixReport) -> bytes:
    from app.reports.render_html import render_html

    return render_html(report).encode("utf-8")


def _json(report: AppendixReport) -> bytes:
    return report.model_dump_json(indent=2).encode("utf-8")


def _pdf(report: AppendixReport) -> bytes:
    from app.reports.render_pdf import render_pdf

    return render_pdf(report)


def _docx(report: AppendixReport) -> bytes:
    from app.reports.render_docx import render_docx

    return render_docx(report)


def _xlsx(report: AppendixReport) -> bytes:
    from app.reports.render_xlsx import render_xlsx

    return render_xlsx(report)


def _csv(report: AppendixReport) -> bytes:
    from app.reports.render_csv import render_csv

    return render_csv(report)


FORMATS: dict[str, Format] = {
    "html": Format("text/html; charset=utf-8", _html, True),
    "pdf": Format("application/pdf", _pdf, False),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _docx, False
    ),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx, False
    ),
    "csv": Format("text/csv; charset=utf-8", _csv, True),
    "json": Format("application/json", _json, True),
}


def file_name(report: AppendixReport, extension: str) -> str:
    return f"{report.plan_slug}-appendix-{report.as_at.isoformat()}.{extension}"
