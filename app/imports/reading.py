"""Reading an uploaded spreadsheet (.xlsx or .csv) safely into rows of cell values.

The file is untrusted: its size, its rows and (for .xlsx) how far it expands are limited; every
XML part is checked for a document type declaration (the carrier of entity-expansion and
external-entity attacks, never needed by a real workbook) with defusedxml before openpyxl sees
it, and openpyxl itself parses through defusedxml. Workbooks are opened read-only with
``data_only=True``: a formula is never evaluated, only the value Excel cached when it last saved
the file is read (none if the file was never calculated).
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from openpyxl.utils.cell import range_boundaries

from app.imports.columns import recognised_field

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 100
# What the zipped XML inside an .xlsx may expand to (a 5 MB zip can hold gigabytes).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 1_000
# The header row is looked for among the first rows only; title blocks are never this long.
HEADER_SEARCH_ROWS = 50
MIN_RECOGNISED_HEADERS = 3

# openpyxl decides once, on import, whether to parse through defusedxml.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - a broken install, not a code path
    raise RuntimeError("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not 'False')")

# What a file is by its first bytes, when it is no spreadsheet: every upload is checked so.
NOT_SPREADSHEETS = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
ZIP = b"PK\x03\x04"  # an .xlsx workbook, or any other zip archive
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls workbook, or a password-protected one
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


class ImportFileError(ValueError):
    """The file cannot be read; the message says why in words the office understands."""


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet numbers it (row 1 is the first line of the sheet)
    values: tuple  # one value per header column, merged cells filled in
    # The only non-blank cell of a row (a section heading such as "Theme 1: Prevention"),
    # as (column index, text), else None.
    lone_value: tuple[int, str] | None = None


@dataclass
class Table:
    filename: str
    sheet: str | None
    header_row: int
    headers: list[str]
    rows: list[Row] = field(default_factory=list)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def read_table(filename: str, data: bytes) -> Table:
    """The header row and the non-blank rows below it; ImportFileError for anything unreadable."""
    name = PurePath(filename or "upload").name
    suffix = PurePath(name).suffix.lower()
    if not data:
        raise ImportFileError(f"'{name}' is empty")
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"'{name}' is {_megabytes(len(data))} ({len(data):,} bytes); the largest file "
            f"accepted is {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files"
        )
    for magic, what in NOT_SPREADSHEETS.items():
        if data.startswith(magic):
            raise ImportFileError(
                f"'{name}' is not a spreadsheet: it looks like {what}. "
                "Upload an Excel workbook (.xlsx) or a CSV file"
            )
    if data.startswith(OLE):
        raise ImportFileError(
            f"'{name}' is an old-style Excel .xls workbook or a password-protected one: "
            "open it in Excel and save it as an Excel Workbook (.xlsx) without a password"
        )
    if data.startswith(ZIP):
        return _read_workbook(name, data)
    if suffix in WORKBOOK_SUFFIXES:
        raise ImportFileError(
            f"'{name}' is not an Excel workbook, although its name ends {suffix}: "
            "open it in Excel and save it as an Excel Workbook (.xlsx), or as CSV"
        )
    return _read_csv(name, data)


# --- .xlsx --------------------------------------------------------------------------------------


def _read_workbook(name: str, data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(f"'{name}' is damaged or not an Excel workbook") from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            what = "a Word document"
        elif "mimetype" in names:
            what = "an OpenDocument file: save it from LibreOffice as .xlsx or CSV"
        else:
            what = "a zip archive"
        raise ImportFileError(f"'{name}' is not an Excel workbook: it is {what}")
    if len(members) > MAX_ZIP_MEMBERS or (
        sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES
    ):
        raise ImportFileError(
            f"'{name}' expands to more than {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB "
            "when unzipped: refused"
        )
    for member in members:
        if member.filename.endswith((".xml", ".rels", ".vml")):
            _refuse_xml_declarations(name, archive, member)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    except Exception as error:  # openpyxl raises many kinds for a malformed workbook
        if isinstance(error.__cause__ or error.__context__, DefusedXmlException):
            raise ImportFileError(_UNSAFE.format(name=name)) from None
        raise ImportFileError(
            f"'{name}' could not be read as an Excel workbook ({type(error).__name__})"
        ) from None
    try:
        for sheet in workbook.worksheets:
            merges = _merged_ranges(name, archive, getattr(sheet, "_worksheet_path", None))
            rows = _sheet_rows(sheet)
            table = _table(name, sheet.title, rows, merges)
            if table is not None:
                return table
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(
            f"'{name}' could not be read as an Excel workbook ({type(error).__name__})"
        ) from None
    finally:
        workbook.close()
    raise _no_header(name)


_UNSAFE = (
    "'{name}' contains an XML document type declaration, which Excel never writes and which "
    "can carry an XML attack (entity expansion or external entities): refused"
)


def _refuse_xml_declarations(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """A DTD can only come before the root element, so reading up to the root is enough."""
    try:
        with archive.open(member) as part:
            for _event, _element in safe_iterparse(
                part, events=("start",), forbid_dtd=True, forbid_entities=True
            ):
                break
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    except Exception:
        raise ImportFileError(f"'{name}' is damaged: part {member.filename} is not XML") from None


def _merged_ranges(
    name: str, archive: zipfile.ZipFile, path: str | None
) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each merged range; read-only openpyxl skips them."""
    if not path:
        return []
    path = path.lstrip("/")
    if path not in archive.namelist():
        return []
    ranges = []
    try:
        with archive.open(path) as part:
            for _event, element in safe_iterparse(part, events=("end",), forbid_dtd=True):
                if element.tag.endswith("}mergeCell") and element.get("ref"):
                    try:
                        ranges.append(range_boundaries(element.get("ref")))
                    except (ValueError, TypeError):
                        pass
                if element.tag.endswith("}row"):
                    element.clear()
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    return [r for r in ranges if None not in r]


def _sheet_rows(sheet) -> Iterator[tuple]:
    # Not the sheet's recorded dimension: some writers get it wrong, and rows would be lost.
    sheet.reset_dimensions()
    yield from sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)


# --- .csv ---------------------------------------------------------------------------------------


def _read_csv(name: str, data: bytes) -> Table:
    if b"\x00" in data[:65536]:
        raise ImportFileError(
            f"'{name}' is not a spreadsheet: it holds binary data. "
            "Upload an Excel workbook (.xlsx) or a CSV file"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV (Comma delimited)" in the Windows code page.
        text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        table = _table(name, None, (tuple(row[:MAX_COLUMNS]) for row in reader), [])
    except csv.Error as error:
        raise ImportFileError(f"'{name}' is not a readable CSV file: {error}") from None
    if table is None:
        raise _no_header(name)
    return table


# --- Both ---------------------------------------------------------------------------------------


def _no_header(name: str) -> ImportFileError:
    return ImportFileError(
        f"no header row found in '{name}': the first {HEADER_SEARCH_ROWS} rows have no row "
        f"with at least {MIN_RECOGNISED_HEADERS} column names plantrack knows (such as Ref, "
        "Action, Lead, Due, Status); download the template to see them"
    )


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


class _Filler:
    """Fills each cell of a merged range with the value of its top-left cell."""

    def __init__(self, merges: list[tuple[int, int, int, int]]) -> None:
        self.merges = [m for m in merges if (m[2] - m[0]) or (m[3] - m[1])]
        self.anchors: dict[tuple[int, int], object] = {}

    def fill(self, number: int, values: tuple) -> tuple:
        if not self.merges:
            return values
        cells = list(values)
        for min_col, min_row, max_col, max_row in self.merges:
            if not min_row <= number <= max_row:
                continue
            if number == min_row and min_col - 1 < len(cells):
                self.anchors[(min_row, min_col)] = cells[min_col - 1]
            anchor = self.anchors.get((min_row, min_col))
            for column in range(min_col, max_col + 1):
                if column - 1 < len(cells):
                    cells[column - 1] = anchor
                elif column <= MAX_COLUMNS:
                    cells.extend([None] * (column - len(cells)))
                    cells[column - 1] = anchor
        return tuple(cells)

    def spans_columns(self, number: int) -> list[tuple[int, int]]:
        """Column ranges (1-based, inclusive) merged across columns within row ``number`` alone."""
        return [
            (min_col, max_col)
            for min_col, min_row, max_col, max_row in self.merges
            if min_row == max_row == number and max_col > min_col
        ]


def _table(
    name: str, sheet: str | None, rows: Iterable[tuple], merges: list[tuple[int, int, int, int]]
) -> Table | None:
    filler = _Filler(merges)
    iterator = iter(rows)
    header_number, headers = 0, None
    data_start = None
    pending: list[tuple[int, tuple, tuple]] = []
    number = 0
    for number, raw in enumerate(iterator, start=1):
        values = filler.fill(number, tuple(raw))
        if headers is None:
            if number > HEADER_SEARCH_ROWS:
                return None
            recognised = {recognised_field(_text(v)) for v in values} - {None}
            if len(recognised) >= MIN_RECOGNISED_HEADERS:
                header_number, headers = number, [_text(v) for v in values]
                # A header merged across columns names a group whose parts are in the row below
                # ("Lead" over "Organisation" and "Officer").
                data_start = number + (2 if filler.spans_columns(number) else 1)
            continue
        if number < data_start:
            headers = _combine(headers, values, filler.spans_columns(header_number))
            continue
        pending.append((number, raw, values))
        break
    if headers is None:
        return None
    while headers and not headers[-1]:
        headers.pop()
    table = Table(filename=name, sheet=sheet, header_row=header_number, headers=headers)
    width = len(headers)

    def add(number: int, raw: tuple, values: tuple) -> None:
        values = tuple(values[:width]) + (None,) * (width - len(values))
        if all(is_blank(v) for v in values):
            return
        if len(table.rows) >= MAX_ROWS:
            raise ImportFileError(
                f"'{name}' has more than {MAX_ROWS:,} rows below its header: "
                "split it into smaller files"
            )
        non_blank = [(i, v) for i, v in enumerate(raw[:width]) if not is_blank(v)]
        lone = (non_blank[0][0], _text(non_blank[0][1])) if len(non_blank) == 1 else None
        table.rows.append(Row(number=number, values=values, lone_value=lone))

    for item in pending:
        add(*item)
    for later, raw in enumerate(iterator, start=number + 1):
        add(later, tuple(raw), filler.fill(later, tuple(raw)))
    return table


_SPACES = re.compile(r"\s+")


def _combine(headers: list[str], below: tuple, spans: list[tuple[int, int]]) -> list[str]:
    combined = list(headers)
    for min_col, max_col in spans:
        for column in range(min_col, max_col + 1):
            index = column - 1
            if index >= len(combined) or index >= len(below):
                continue
            part = _text(below[index])
            if part and part.lower() != combined[index].lower():
                combined[index] = _SPACES.sub(" ", f"{combined[index]} {part}").strip()
    return combined
