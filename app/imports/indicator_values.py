"""Uploading indicator values from a CSV file: every row checked, nothing written unless all pass.

Columns (header row first, in any order, names in any case): indicator (the key), period (its
label, e.g. "Q1 2023/24"; the period end as written is used when blank), period_end (a date such
as 2023-06-30 or 30/06/2023, or a period such as June 2023 or Q1 2023/24: every form that
app.domain.timescales reads), value, published (the date the figure was published, also headed
"Date published"; blank means the day of the upload), note. Rows are numbered as a spreadsheet
numbers them: the header is row 1.
"""

import csv
import io

from sqlmodel import Session

from app.core.models import IndicatorValue, User
from app.domain.indicators import (
    ValueIn,
    check_value_fields,
    list_latest_indicators,
    store_values,
    stored_periods,
)
from app.imports.reading import NOT_SPREADSHEETS, OLE, ZIP

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5_000
# Past this many, the rest are counted rather than listed: the first ones show what is wrong.
MAX_MESSAGES = 100

COLUMNS = ("indicator", "period", "period_end", "value", "published", "note")
REQUIRED_COLUMNS = ("indicator", "period_end", "value")
_COLUMN_SYNONYMS = {
    "indicator": "indicator",
    "key": "indicator",
    "indicator key": "indicator",
    "period": "period",
    "period label": "period",
    "period_label": "period",
    "period end": "period_end",
    "period_end": "period_end",
    "period ending": "period_end",
    "value": "value",
    "published": "published",
    "date published": "published",
    "published on": "published",
    "published_on": "published",
    "publication date": "published",
    "note": "note",
    "notes": "note",
}
_NOT_CSV = {
    ZIP: "an Excel workbook or other zip file: save it from Excel as CSV",
    OLE: "an old-style Excel .xls workbook: save it as CSV",
    **NOT_SPREADSHEETS,
}


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 as Excel saves it."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Text files never hold NUL or other C0 controls besides tab and line ends.
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            return None
        return text
    return None


def _refusal(data: bytes) -> str | None:
    if not data.strip():
        return "The file is empty: it has no header row and no values"
    if len(data) > MAX_BYTES:
        return (
            f"The file is {len(data):,} bytes; the largest accepted is {MAX_BYTES // 1024:,} KB "
            f"({MAX_ROWS:,} rows): split it into smaller files"
        )
    for magic, what in _NOT_CSV.items():
        if data.startswith(magic):
            return f"This is not a CSV file: it looks like {what}"
    return None


def parse_values_csv(session: Session, data: bytes) -> tuple[list[ValueIn], list[str]]:
    """(rows, errors): the rows of a file whose every row is valid, or the errors, each naming its
    row ("row 5, value: 'abc' is not a number"). Reads the database (two queries), writes
    nothing."""
    refusal = _refusal(data)
    if refusal:
        return [], [refusal]
    text = _decode(data)
    if text is None:
        return [], [
            "This is not a CSV file: it holds binary data. Upload a CSV file saved from a "
            "spreadsheet as 'CSV (comma delimited)' or 'CSV UTF-8'"
        ]
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return [], [f"The file could not be read as CSV: {error}"]
    numbered = [
        (number, record)
        for number, record in enumerate(records, start=1)
        if any(cell.strip() for cell in record)
    ]
    if not numbered:
        return [], ["The file is empty: it has no header row and no values"]
    header_number, header = numbered[0]
    columns, header_errors = _columns(header_number, header)
    if header_errors:
        return [], header_errors
    body = numbered[1:]
    if not body:
        return [], ["The file has a header row but no values below it"]
    if len(body) > MAX_ROWS:
        return [], [
            f"The file has {len(body):,} rows of values; at most {MAX_ROWS:,} are "
            "accepted at once: split it into smaller files"
        ]

    indicators = {indicator.key: indicator for indicator in list_latest_indicators(session)}

    def cell(record: list[str], name: str) -> str:
        index = columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    errors: list[str] = []
    rows: list[ValueIn] = []
    for number, record in body:
        if len(record) > len(header):
            errors.append(
                f"row {number}: has {len(record)} cells but the header names "
                f"{len(header)} columns (is there a comma in a value without quotes?)"
            )
            continue
        key = cell(record, "indicator")
        field_errors, cleaned = check_value_fields(
            period_label=cell(record, "period"),
            period_end=cell(record, "period_end"),
            value=cell(record, "value"),
            note=cell(record, "note"),
            published_on=cell(record, "published"),
        )
        row_errors = []
        if not key:
            row_errors.append(f"row {number}, indicator: enter the indicator's key")
        elif key not in indicators:
            row_errors.append(f"row {number}: unknown indicator '{key}'")
        for name in ("period_end", "value", "published_on", "period_label", "note"):
            if name in field_errors:
                column = {"period_label": "period", "published_on": "published"}.get(name, name)
                row_errors.append(f"row {number}, {column}: {field_errors[name]}")
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(ValueIn(key=key, indicator_id=indicators[key].id, row=number, **cleaned))

    errors.extend(_duplicates(session, rows))
    if errors:
        errors.sort(key=_row_number)
        if len(errors) > MAX_MESSAGES:
            hidden = len(errors) - MAX_MESSAGES
            errors = errors[:MAX_MESSAGES] + [f"... and {hidden:,} more problems"]
        return [], errors
    return rows, []


def _columns(number: int, header: list[str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    errors: list[str] = []
    for index, name in enumerate(header):
        normalised = " ".join(name.strip().lower().split())
        if not normalised:
            continue
        column = _COLUMN_SYNONYMS.get(normalised)
        if column is None:
            errors.append(
                f"row {number}: unknown column '{name.strip()}'; the columns are "
                f"{', '.join(COLUMNS)}"
            )
        elif column in columns:
            errors.append(f"row {number}: the column '{column}' appears twice")
        else:
            columns[column] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        errors.append(
            f"row {number}: the header row must name the columns {', '.join(COLUMNS)} "
            f"(period, published and note may be left out); missing: {', '.join(missing)}"
        )
    return columns, errors


def _duplicates(session: Session, rows: list[ValueIn]) -> list[str]:
    errors = []
    stored = stored_periods(session, sorted({row.key for row in rows}))
    first_seen: dict[tuple[str, object], int | None] = {}
    for row in rows:
        period = (row.key, row.period_end)
        prefix = f"row {row.row}: duplicate period {row.period_end.isoformat()} for {row.key}"
        if period in first_seen:
            errors.append(f"{prefix} (also in row {first_seen[period]})")
        elif period in stored:
            errors.append(
                f"{prefix} (a value is already stored for it; a recorded figure is not overwritten)"
            )
        first_seen.setdefault(period, row.row)
    return errors


def _row_number(message: str) -> int:
    words = message.split()
    if len(words) > 1 and words[0] == "row":
        digits = words[1].rstrip(",:")
        if digits.isdigit():
            return int(digits)
    return 0


def apply_values(session: Session, rows: list[ValueIn], user: User | None) -> list[IndicatorValue]:
    """Write every row of a checked upload, with one audit event per indicator; the caller
    commits once, so the upload is all or nothing."""
    if not rows:
        return []
    return store_values(session, rows, user=user, verb="upload_values")
