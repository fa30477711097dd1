"""Reading an uploaded spreadsheet (.xlsx or .csv) safely into rows of cell values.

The file is untrusted: its size, its rows and (for .xlsx) how far it expands are limited; every
XML part is checked for a document type declaration (the carrier of entity-expansion and
external-entity attacks, never needed by a real workbook) with defusedxml before openpyxl sees
it, and openpyxl itself parses through defusedxml. Workbooks are opened read-only with
``data_only=True``: a formula is never evaluated, only the value Excel cached when it last saved
the file is read (none if the file was never calculated).

Reading takes bounded time, whatever the file claims. A sheet is read element by element, never
by openpyxl's row iterator, which makes up an empty row for every row number the file skips (a
5 KB file naming row 200,000,000 kept it busy for minutes). A sheet claiming more rows or columns
than Excel allows is refused, as is one whose rows run far past the import's row limit; reading
stops after a long run of empty rows, and says so; merged ranges are capped and filled in one
pass; and the whole read has a time budget, checked as it goes.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import PurePath
from time import monotonic

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from openpyxl.utils.cell import range_boundaries

# openpyxl's own cell reader (types, shared strings, dates), fed one cell at a time; pinned with
# openpyxl in pyproject.toml, and the read-only worksheet uses it the same way.
from openpyxl.worksheet._reader import WorkSheetParser

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
# Excel's own limits: a sheet that claims more was not saved by Excel.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# A table of at most MAX_ROWS rows, with its title block and blank lines, ends long before this.
MAX_ROW_NUMBER = 20 * MAX_ROWS
# After this many empty rows in a row, what follows is no part of the table: reading stops.
MAX_EMPTY_RUN = 1_000
MAX_MERGED_RANGES = 10_000
# The most time reading one file may take, in seconds, checked as it is read: a request that
# reads a file never holds a worker for longer, whatever the file holds.
READ_SECONDS = 10.0

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
    # What the reader left unread and why, in words for the preview ("Reading stopped at ...").
    notes: list[str] = field(default_factory=list)
    last_row_read: int = 0  # the number of the last row read, blank or not


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class _Budget:
    """The time one file may take to read, checked as it is read."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.deadline = monotonic() + READ_SECONDS

    def check(self, where: str | Callable[[], str]) -> None:
        """Refuse the file once its time is up; ``where`` says how far reading got."""
        if monotonic() < self.deadline:
            return
        raise ImportFileError(
            f"the {self.kind} '{self.name}' took too long to read: more than "
            f"{READ_SECONDS:g} seconds, and reading had reached "
            f"{where() if callable(where) else where}; save it as a plain table and try again"
        )


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
    budget = _Budget(name, "workbook")
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
    markup = 0
    for member in members:
        if member.filename.endswith((".xml", ".rels", ".vml")):
            if _check_part(name, archive, member, budget) in _READ_WHOLE:
                markup += _count(archive, member, b"<", budget)
    if markup > MAX_MARKUP:
        # openpyxl reads these parts whole when it opens the file, where no budget can stop it.
        raise ImportFileError(
            f"'{name}' holds more shared text, styles and names than any plain table needs "
            f"(more than {MAX_MARKUP:,} XML tags outside its sheets): save it as a plain table "
            "and try again"
        )
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
        budget.check("the end of opening it")
        for sheet in workbook.worksheets:
            path = (getattr(sheet, "_worksheet_path", None) or "").lstrip("/")
            if path not in names:
                continue
            merges = _merged_ranges(name, archive, path, sheet.title, budget)
            with closing(_sheet_rows(name, workbook, sheet, archive, path, budget)) as rows:
                table = _table(name, sheet.title, rows, merges, budget)
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


def _check_part(
    name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: _Budget
) -> str | None:
    """The name of the part's root element, once the part has been checked for a DTD and, if
    it is a worksheet, for a claimed size no table of ours has. A DTD can only come before the
    root element, and a worksheet's <dimension> comes before its rows (among its first few
    elements), so each part is read only that far."""
    root = claimed = None
    local = _local_names()
    try:
        with archive.open(member) as part:
            for index, (_event, element) in enumerate(
                safe_iterparse(part, events=("start",), forbid_dtd=True, forbid_entities=True)
            ):
                budget.check("the start of its parts")
                tag = local(element.tag)
                if root is None:
                    root = tag
                    if root != "worksheet":
                        break
                elif tag == "dimension":
                    claimed = element.get("ref") or ""
                    break
                elif tag == "sheetData" or index > _DIMENSION_SEARCH:
                    break
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(f"'{name}' is damaged: part {member.filename} is not XML") from None
    if claimed is not None:
        _check_claimed_size(name, claimed)
    return root


# The parts openpyxl reads whole when it opens a read-only workbook, by their root element.
_READ_WHOLE = {"sst", "styleSheet", "workbook", "Types", "Relationships"}
# XML tags ("<") in those parts: 250,000 plain shared strings, far more than a table of 5,000
# rows needs; openpyxl reads them in about 3 seconds on the 2-core development machine.
MAX_MARKUP = 1_000_000
_DIMENSION_SEARCH = 100


def _count(archive: zipfile.ZipFile, member, byte: bytes, budget: _Budget) -> int:
    count = 0
    with archive.open(member) as part:
        while chunk := part.read(_READ_CHUNK):
            budget.check("the start of its parts")
            count += chunk.count(byte)
    return count


_CELL_RANGE = re.compile(
    r"^\$?([A-Za-z]{1,10})\$?(\d{1,15})(?::\$?([A-Za-z]{1,10})\$?(\d{1,15}))?$"
)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


_NOT_EXCEL = "the file was not saved by Excel, or has been altered since: refused"


def _check_claimed_size(name: str, ref: str) -> None:
    match = _CELL_RANGE.match(ref.strip())
    if not match:
        raise ImportFileError(f"'{name}' is damaged: a sheet's size, '{ref[:40]}', is not a range")
    rows = int(match[4] or match[2])
    columns = _column_number(match[3] or match[1])
    if rows > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS:
        raise ImportFileError(
            f"'{name}' has a sheet that claims {rows:,} rows and {columns:,} columns, more than "
            f"Excel allows ({EXCEL_MAX_ROWS:,} rows, {EXCEL_MAX_COLUMNS:,} columns): {_NOT_EXCEL}"
        )
    if rows > MAX_ROW_NUMBER:
        raise ImportFileError(_far_past(name, None, rows, claimed=True))


def _far_past(name: str, sheet: str | None, row: int, *, claimed: bool = False) -> str:
    where = f"sheet '{sheet}'" if sheet else "a sheet"
    what = f"claims {row:,} rows" if claimed else f"has rows as far down as row {row:,}"
    return (
        f"'{name}': {where} {what}, but a table of at most {MAX_ROWS:,} rows ends long before "
        f"row {MAX_ROW_NUMBER:,}: delete what is below the table, or copy the table into a new "
        "workbook, and try again"
    )


# The parts of one cell: its value, formula, inline string and the runs of rich text.
MAX_CELL_PARTS = 1_000
# Depths in a worksheet part: <worksheet> 1, <sheetData> 2, <row> 3, <c> 4, its parts 5 and on.
_CHILD, _ROW, _CELL = 2, 3, 4
# Excel nests a worksheet's elements a dozen deep at most.
MAX_DEPTH = 64
_READ_CHUNK = 1024 * 1024


def _local_names() -> Callable[[object], str]:
    """Element tag -> name without its namespace, remembered: a sheet repeats a few tags."""
    names: dict[str, str] = {}

    def local(tag) -> str:
        found = names.get(tag)
        if found is None:
            found = names[tag] = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        return found

    return local


def _walk(name: str, part, budget: _Budget, where: Callable[[], str]) -> Iterator[tuple]:
    """(event, element, depth) for each element of a worksheet part, read one at a time. Once a
    child of the root, a row or a cell has been handed on and has ended, its parent forgets it,
    so memory stays small however long the sheet; a cell of more parts than any real one has,
    or XML nested deeper than Excel nests it, is refused."""
    stack: list = []
    parts = 0
    for event, element in safe_iterparse(part, events=("start", "end"), forbid_dtd=True):
        budget.check(where)
        if event == "start":
            stack.append(element)
            depth = len(stack)
            if depth > _CELL:
                parts += 1
                if parts > MAX_CELL_PARTS:
                    raise ImportFileError(
                        f"'{name}' has a cell of more than {MAX_CELL_PARTS:,} parts, at "
                        f"{where()}: {_NOT_EXCEL}"
                    )
            elif depth == _CELL:
                parts = 0
            if depth > MAX_DEPTH:
                raise ImportFileError(
                    f"'{name}' nests its XML more than {MAX_DEPTH} deep, at {where()}: {_NOT_EXCEL}"
                )
            yield event, element, depth
        else:
            depth = len(stack)
            yield event, element, depth
            stack.pop()
            if _CHILD <= depth <= _CELL:
                del stack[-1][:]


def _mentions(
    archive: zipfile.ZipFile, path: str, word: bytes, budget: _Budget, where: str
) -> bool:
    """Whether the part's text holds ``word`` anywhere: a quick look before a slow parse."""
    with archive.open(path) as part:
        tail = b""
        while chunk := part.read(_READ_CHUNK):
            budget.check(where)
            if word in tail + chunk:
                return True
            tail = chunk[-len(word) :]
    return False


def _merged_ranges(
    name: str, archive: zipfile.ZipFile, path: str, sheet: str, budget: _Budget
) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each merged range; read-only openpyxl skips them.
    They follow the rows, so the whole part is read, unless it never mentions them."""
    where = f"the merged cells of sheet '{sheet}'"
    if not _mentions(archive, path, b"mergeCell", budget, where):
        return []
    local = _local_names()
    ranges = []
    count = 0
    try:
        with archive.open(path) as part:
            for event, element, _depth in _walk(name, part, budget, lambda: where):
                if event != "end" or local(element.tag) != "mergeCell":
                    continue
                count += 1
                if count > MAX_MERGED_RANGES:
                    raise ImportFileError(
                        f"'{name}': sheet '{sheet}' has more than {MAX_MERGED_RANGES:,} merged "
                        "ranges of cells: unmerge them (or save the sheet as a plain table) and "
                        "try again"
                    )
                try:
                    ranges.append(range_boundaries(element.get("ref") or ""))
                except (ValueError, TypeError):
                    pass
    except DefusedXmlException:
        raise ImportFileError(_UNSAFE.format(name=name)) from None
    return [r for r in ranges if None not in r]


_ROW_NUMBER = re.compile(r"^\d{1,15}(?:\.0*)?$")
_CELL_COLUMN = re.compile(r"^([A-Za-z]{1,10})\d{1,15}$")


def _sheet_rows(
    name: str, workbook, sheet, archive: zipfile.ZipFile, path: str, budget: _Budget
) -> Iterator[tuple[int, tuple]]:
    """(row number, values of the first MAX_COLUMNS columns) of each row the sheet holds, in
    order. Rows the sheet leaves out are left out, never made up; what follows the rows (merged
    ranges, page setup) is not read."""
    cells = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    local = _local_names()
    in_rows = False
    number = column = 0
    values: list = []
    with archive.open(path) as part:
        for event, element, depth in _walk(
            # Late binding wanted: the message names the row reached when time ran out.
            name,
            part,
            budget,
            lambda: f"row {number:,} of sheet '{sheet.title}'",  # noqa: B023
        ):
            if depth == _CHILD:
                if local(element.tag) == "sheetData":
                    if event == "end":
                        return
                    in_rows = True
            elif not in_rows:
                continue
            elif depth == _CELL:
                if event == "end" and local(element.tag) == "c":
                    column = _cell_column(name, sheet.title, element.get("r"), column, number)
                    if column <= MAX_COLUMNS:
                        cells.row_counter, cells.col_counter = number, column - 1
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                        values[column - 1] = cells.parse_cell(element)["value"]
            elif depth == _ROW:
                if event == "start":
                    number = _row_number(name, sheet.title, element.get("r"), number)
                    column, values = 0, []
                else:
                    yield number, tuple(values)


def _row_number(name: str, sheet: str, given: str | None, previous: int) -> int:
    if given is None:
        number = previous + 1
    elif _ROW_NUMBER.match(given):
        number = int(given.partition(".")[0])
    else:
        raise ImportFileError(f"'{name}' is damaged: sheet '{sheet}' numbers a row '{given[:20]}'")
    if number > EXCEL_MAX_ROWS:
        raise ImportFileError(
            f"'{name}': sheet '{sheet}' has a row numbered {number:,}, past the last row Excel "
            f"allows ({EXCEL_MAX_ROWS:,}): {_NOT_EXCEL}"
        )
    if number <= previous:
        raise ImportFileError(
            f"'{name}' is damaged: in sheet '{sheet}', row {number:,} comes after row {previous:,}"
        )
    return number


def _cell_column(name: str, sheet: str, given: str | None, previous: int, row: int) -> int:
    if given is None:
        column = previous + 1
    else:
        match = _CELL_COLUMN.match(given)
        if not match:
            raise ImportFileError(
                f"'{name}' is damaged: sheet '{sheet}' names a cell '{given[:20]}'"
            )
        column = _column_number(match[1])
    if column > EXCEL_MAX_COLUMNS:
        raise ImportFileError(
            f"'{name}': sheet '{sheet}' has a cell in row {row:,} beyond column "
            f"{_column_letters(EXCEL_MAX_COLUMNS)}, the last column Excel allows: {_NOT_EXCEL}"
        )
    return column


# --- .csv ---------------------------------------------------------------------------------------


def _read_csv(name: str, data: bytes) -> Table:
    budget = _Budget(name, "file")
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
    rows = ((number, tuple(row[:MAX_COLUMNS])) for number, row in enumerate(reader, start=1))
    try:
        table = _table(name, None, rows, [], budget)
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
    """Fills each cell of a merged range with the value of its top-left cell.

    Linear in rows and ranges: each range is read once, when the rows reach its first row, and
    marks the columns it covers (at most MAX_COLUMNS) until its last row; a row then fills only
    the columns marked, never looking at the other ranges."""

    def __init__(self, merges: Iterable[tuple[int, int, int, int]]) -> None:
        starting: list[tuple[int, int, int, int]] = []
        self.row_spans: dict[int, list[tuple[int, int]]] = {}
        for min_col, min_row, max_col, max_row in merges:
            if (max_col == min_col and max_row == min_row) or min_col > MAX_COLUMNS:
                continue
            starting.append((min_row, min_col, min(max_col, MAX_COLUMNS), max_row))
            if min_row == max_row:
                self.row_spans.setdefault(min_row, []).append((min_col, max_col))
        starting.sort(reverse=True)  # popped from the end, first rows first
        self.starting = starting
        # column -> (the range's last row, the value of its top-left cell)
        self.active: dict[int, tuple[int, object]] = {}

    def fill(self, number: int, values: tuple) -> tuple:
        while self.starting and self.starting[-1][0] <= number:
            min_row, min_col, max_col, max_row = self.starting.pop()
            if max_row < number:
                continue  # its rows are all missing from the sheet
            anchor = values[min_col - 1] if min_row == number and min_col <= len(values) else None
            for column in range(min_col, max_col + 1):
                self.active[column] = (max_row, anchor)
        if not self.active:
            return values
        cells = list(values)
        for column, (max_row, anchor) in list(self.active.items()):
            if max_row < number:
                del self.active[column]
                continue
            if column > len(cells):
                cells.extend([None] * (column - len(cells)))
            cells[column - 1] = anchor
        return tuple(cells)

    def spans_columns(self, number: int) -> list[tuple[int, int]]:
        """Column ranges (1-based, inclusive) merged across columns within row ``number`` alone."""
        return self.row_spans.get(number, [])


def _table(
    name: str,
    sheet: str | None,
    rows: Iterable[tuple[int, tuple]],
    merges: list[tuple[int, int, int, int]],
    budget: _Budget,
) -> Table | None:
    """The table in ``rows`` ((row number, values), in order), or None if they hold no header."""
    filler = _Filler(merges)
    iterator = iter(rows)
    header_number, headers = 0, None
    data_start = None
    pending: list[tuple[int, tuple, tuple]] = []
    number = 0

    def where() -> str:
        return f"row {number:,}" + (f" of sheet '{sheet}'" if sheet else "")

    for number, raw in iterator:
        budget.check(where)
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
        pending.append((number, tuple(raw), values))
        break
    if headers is None:
        return None
    while headers and not headers[-1]:
        headers.pop()
    table = Table(filename=name, sheet=sheet, header_row=header_number, headers=headers)
    table.last_row_read = header_number
    width = len(headers)
    last_filled = header_number

    def add(number: int, raw: tuple, values: tuple) -> bool:
        """False when reading should stop here."""
        nonlocal last_filled
        if number - last_filled > MAX_EMPTY_RUN:
            stopped = last_filled + MAX_EMPTY_RUN + 1
            table.notes.append(
                f"Reading stopped at row {stopped:,}"
                + (f" of sheet '{sheet}'" if sheet else "")
                + f": the {MAX_EMPTY_RUN:,} rows after row {last_filled:,} are empty, so "
                "anything below them was not read. If the table goes on below, delete the "
                "empty rows and upload the file again."
            )
            return False
        if number > MAX_ROW_NUMBER:
            raise ImportFileError(_far_past(name, sheet, number))
        table.last_row_read = number
        values = tuple(values[:width]) + (None,) * (width - len(values))
        if all(is_blank(v) for v in values):
            return True
        if len(table.rows) >= MAX_ROWS:
            raise ImportFileError(
                f"'{name}' has more than {MAX_ROWS:,} rows below its header: "
                "split it into smaller files"
            )
        last_filled = number
        non_blank = [(i, v) for i, v in enumerate(raw[:width]) if not is_blank(v)]
        lone = (non_blank[0][0], _text(non_blank[0][1])) if len(non_blank) == 1 else None
        table.rows.append(Row(number=number, values=values, lone_value=lone))
        return True

    for item in pending:
        if not add(*item):
            return table
    for number, raw in iterator:
        budget.check(where)
        raw = tuple(raw)
        if not add(number, raw, filler.fill(number, raw)):
            break
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
