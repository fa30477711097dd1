"""Reading uploaded files: the header found wherever it is, and hostile files refused."""

import io
import re
import zipfile

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from openpyxl.worksheet._reader import WorkSheetParser

from app.imports import MAX_BYTES, MAX_ROWS, ImportFileError, read_table, reading
from app.imports.reading import (
    MAX_EMPTY_RUN,
    MAX_MERGED_RANGES,
    MAX_UNCOMPRESSED_BYTES,
    _Filler,
)
from tests.imports.workbooks import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    messy_workbook,
    raw_xlsx,
    replace_part,
    with_cached_formula_value,
    with_doctype,
    with_shared_strings,
    xlsx,
    xml_row,
)

SIMPLE = xlsx([["Ref", "Title", "Due"], ["A1", "Do something", "2020-03-31"]])


def test_the_header_is_found_below_title_rows_and_merged_cells_are_read():
    table = read_table("progress.xlsx", messy_workbook())
    assert table.sheet == "Action plan"
    assert table.header_row == 4
    assert table.headers == [
        "Ref",
        "Action",
        "Lead Organisation",
        "Lead Officer (role)",
        "Timescale",
        "Status",
        "RAG",
        "Latest update",
        "Corrective action",
        "Partners",
    ]
    # Blank rows are skipped; the rest keep the numbers the spreadsheet shows.
    assert [row.number for row in table.rows] == [6, 7, 9, 10, 12, 13, 14, 15, 16]
    assert table.rows[0].lone_value == (0, "Theme 1: Young people")
    assert table.rows[1].values[:2] == ("RR1", "Review the youth triage scheme")


def test_a_header_is_the_first_row_naming_three_known_columns():
    data = xlsx(
        [
            ["Notes: status as reported"],  # one known word ("status") is not a header
            ["Owner", "Status"],  # two are not enough
            ["No.", "What we will do", "Lead officer", "Deadline"],
            ["1", "Publish the plan", "Programme Manager", "Q1 2019/20"],
        ]
    )
    table = read_table("plan.xlsx", data)
    assert table.header_row == 3
    assert [row.values for row in table.rows] == [
        ("1", "Publish the plan", "Programme Manager", "Q1 2019/20")
    ]


def test_a_file_with_no_header_row_is_refused():
    with pytest.raises(ImportFileError, match="no header row found in 'x.xlsx'"):
        read_table("x.xlsx", xlsx([["a", "b", "c"], [1, 2, 3]]))


def test_a_formula_is_never_evaluated_only_its_cached_value_read():
    data = xlsx(
        [
            ["Ref", "Title", "Due", "Commentary"],
            ["A1", "Do something", "2020-03-31", "=1+1"],
            ["A2", "Do more", "2020-03-31", '=WEBSERVICE("http://example.invalid/")'],
        ]
    )
    uncached = read_table("f.xlsx", data)
    assert [row.values[3] for row in uncached.rows] == [None, None]
    cached = read_table("f.xlsx", with_cached_formula_value(data, "D2", "as Excel saved it"))
    assert cached.rows[0].values[3] == "as Excel saved it"


@pytest.mark.parametrize(
    "part, doctype, entity",
    [
        ("xl/worksheets/sheet1.xml", BILLION_LAUGHS, "lol9"),
        ("xl/worksheets/sheet1.xml", EXTERNAL_ENTITY, "xxe"),
        ("xl/workbook.xml", EXTERNAL_ENTITY, None),
        ("[Content_Types].xml", BILLION_LAUGHS, None),
    ],
    ids=["billion laughs", "external entity", "DTD in workbook.xml", "DTD in content types"],
)
def test_xml_attacks_are_refused(part, doctype, entity):
    if entity:
        hostile = with_doctype(SIMPLE, part, doctype, entity)
    else:
        hostile = replace_part(SIMPLE, part, lambda text: doctype + text.split("?>", 1)[-1])
    with pytest.raises(ImportFileError) as refused:
        read_table("hostile.xlsx", hostile)
    assert str(refused.value) == (
        "'hostile.xlsx' contains an XML document type declaration, which Excel never writes and "
        "which can carry an XML attack (entity expansion or external entities): refused"
    )


def test_openpyxl_itself_parses_worksheets_through_defusedxml():
    """The second line of defence, should the check above ever miss a part."""
    assert openpyxl.DEFUSEDXML is True
    hostile = with_doctype(SIMPLE, "xl/worksheets/sheet1.xml", EXTERNAL_ENTITY, "xxe")
    with pytest.raises(Exception) as raised:
        workbook = openpyxl.load_workbook(io.BytesIO(hostile), read_only=True, data_only=True)
        list(workbook.active.iter_rows(values_only=True))
    cause = raised.value.__cause__ or raised.value.__context__ or raised.value
    assert isinstance(cause, DefusedXmlException)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        source = zipfile.ZipFile(io.BytesIO(SIMPLE))
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/media/padding.bin", b"\0" * (MAX_UNCOMPRESSED_BYTES + 1))
    bomb = output.getvalue()
    assert len(bomb) < MAX_BYTES
    with pytest.raises(ImportFileError, match="'bomb.xlsx' expands to more than 100 MB"):
        read_table("bomb.xlsx", bomb)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _docx() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return output.getvalue()


@pytest.mark.parametrize(
    "filename, data, message",
    [
        (
            "chart.xlsx",
            PNG,
            "'chart.xlsx' is not a spreadsheet: it looks like a PNG image. "
            "Upload an Excel workbook (.xlsx) or a CSV file",
        ),
        (
            "notes.xlsx",
            b"Ref,Title,Due\nA1,Do it,2020-03-31\n",
            "'notes.xlsx' is not an Excel workbook, although its name ends .xlsx: open it in Excel "
            "and save it as an Excel Workbook (.xlsx), or as CSV",
        ),
        ("report.xlsx", _docx(), "'report.xlsx' is not an Excel workbook: it is a Word document"),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            "'old.xls' is an old-style Excel .xls workbook or a password-protected one",
        ),
        (
            "data.csv",
            b"Ref,Title\0\0\0\x01\x02",
            "'data.csv' is not a spreadsheet: it holds binary data",
        ),
        (
            "broken.xlsx",
            b"PK\x03\x04" + b"\0" * 64,
            "'broken.xlsx' is damaged or not an Excel workbook",
        ),
        ("empty.csv", b"", "'empty.csv' is empty"),
        ("scan.pdf", b"%PDF-1.7\n", "'scan.pdf' is not a spreadsheet: it looks like a PDF"),
    ],
    ids=[
        "png named xlsx",
        "text named xlsx",
        "word document",
        "xls",
        "binary csv",
        "bad zip",
        "empty",
        "pdf",
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(filename, data, message):
    with pytest.raises(ImportFileError) as refused:
        read_table(filename, data)
    assert str(refused.value).startswith(message)


def test_an_oversize_file_is_refused():
    data = b"Ref,Title,Due\n" + b"x" * MAX_BYTES
    with pytest.raises(ImportFileError) as refused:
        read_table("big.csv", data)
    assert str(refused.value) == (
        f"'big.csv' is 5.0 MB ({len(data):,} bytes); the largest file accepted is 5 MB: "
        "split it into smaller files"
    )


def test_too_many_rows_are_refused_and_the_limit_itself_is_accepted():
    lines = ["Ref,Title,Due"] + [f"A{n},Action {n},2020-03-31" for n in range(MAX_ROWS)]
    assert len(read_table("ok.csv", "\n".join(lines).encode()).rows) == MAX_ROWS
    lines.append("Z,One too many,2020-03-31")
    with pytest.raises(ImportFileError, match="'big.csv' has more than 5,000 rows below"):
        read_table("big.csv", "\n".join(lines).encode())


def test_csv_in_excel_windows_encoding_with_semicolons_and_a_title_line():
    text = (
        "Action plan 2019;;;\n"
        "\n"
        "Réf;Action;Lead;Due\n"  # "Réf" is not known; three others are
        "1;Café outreach – pilot;Programme Manager;31/03/2020\n"
    )
    table = read_table("plan.csv", text.encode("cp1252"))
    assert table.header_row == 3
    assert table.rows[0].values == ("1", "Café outreach – pilot", "Programme Manager", "31/03/2020")


def test_csv_with_a_byte_order_mark():
    table = read_table("plan.csv", "\ufeffRef,Title,Due\nA1,Do it,Q4 2019/20\n".encode())
    assert table.headers == ["Ref", "Title", "Due"]


# --- Bounded time: hostile workbooks, built here as raw XML -------------------------------------
# Every refusal must come quickly: these tests count the cells read (openpyxl's cell reader is
# what reading a sheet costs), never the seconds.

HEADER = xml_row(1, ["Ref", "Title", "Due"]) + xml_row(2, ["A1", "Do something", "2020-03-31"])


@pytest.fixture
def cells_read(monkeypatch):
    """How many cells reading has parsed so far."""
    count = [0]
    parse_cell = WorkSheetParser.parse_cell

    def counting(self, element):
        count[0] += 1
        return parse_cell(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_cell", counting)
    return lambda: count[0]


def test_a_workbook_written_as_raw_xml_reads_like_a_saved_one(cells_read):
    table = read_table("raw.xlsx", raw_xlsx(HEADER + xml_row(7, ["A2", "Do more", 43921])))
    assert table.headers == ["Ref", "Title", "Due"]
    # Rows the sheet leaves out are not made up; the others keep their numbers.
    assert [(row.number, row.values) for row in table.rows] == [
        (2, ("A1", "Do something", "2020-03-31")),
        (7, ("A2", "Do more", 43921)),
    ]
    assert table.notes == [] and table.last_row_read == 7
    assert cells_read() == 9


def test_a_row_numbered_past_excel_is_refused_as_soon_as_it_is_reached(cells_read):
    """As measured: a 4,950-byte file naming row 200,000,000 kept a core busy for 8 minutes."""
    after = "".join(xml_row(200_000_000 + n, ["A", "B", "C"]) for n in range(3))
    hostile = raw_xlsx(HEADER + xml_row(200_000_000, ["Z9", "Hidden", "2020-03-31"]) + after)
    assert len(hostile) < 5_000
    with pytest.raises(ImportFileError) as refused:
        read_table("tiny.xlsx", hostile)
    assert str(refused.value) == (
        "'tiny.xlsx': sheet 'Action plan' has a row numbered 200,000,000, past the last row "
        "Excel allows (1,048,576): the file was not saved by Excel, or has been altered since: "
        "refused"
    )
    assert cells_read() == 6  # the header and the first row; nothing of the hostile rows


@pytest.mark.parametrize(
    "dimension, claim",
    [
        ("A1:C200000000", "200,000,000 rows and 3 columns"),
        ("A1:XFE10", "10 rows and 16,385 columns"),
        ("A1:ZZZZ5", "5 rows and 475,254 columns"),
    ],
)
def test_a_sheet_claiming_more_than_excel_allows_is_refused_before_a_cell_is_read(
    cells_read, dimension, claim
):
    with pytest.raises(ImportFileError) as refused:
        read_table("claims.xlsx", raw_xlsx(HEADER, dimension=dimension))
    assert str(refused.value) == (
        f"'claims.xlsx' has a sheet that claims {claim}, more than Excel allows (1,048,576 rows, "
        "16,384 columns): the file was not saved by Excel, or has been altered since: refused"
    )
    assert cells_read() == 0


def test_a_sheet_claiming_rows_far_past_the_row_limit_is_refused(cells_read):
    with pytest.raises(ImportFileError) as refused:
        read_table("claims.xlsx", raw_xlsx(HEADER, dimension="A1:J500000"))
    assert str(refused.value) == (
        "'claims.xlsx': a sheet claims 500,000 rows, but a table of at most 5,000 rows ends long "
        "before row 100,000: delete what is below the table, or copy the table into a new "
        "workbook, and try again"
    )
    assert cells_read() == 0


def test_rows_running_far_past_the_row_limit_are_refused(cells_read):
    # Never a long enough run of empty rows to stop at: a row every 500 rows.
    spread = "".join(xml_row(n, [f"A{n}", "x", "2020-03-31"]) for n in range(502, 120_000, 500))
    with pytest.raises(ImportFileError) as refused:
        read_table("spread.xlsx", raw_xlsx(HEADER + spread))
    assert str(refused.value).startswith(
        "'spread.xlsx': sheet 'Action plan' has rows as far down as row 100,002, but a table of "
        "at most 5,000 rows ends long before row 100,000"
    )
    assert cells_read() == 3 * (2 + 200)  # rows 1, 2 and 502 to 100,002: none after it


@pytest.mark.parametrize("gap", ["missing rows", "empty rows"])
def test_reading_stops_after_a_long_run_of_empty_rows_and_says_so(cells_read, gap):
    last = 3 + MAX_EMPTY_RUN  # the last row still read: 1,000 empty rows after row 3
    stop = last + MAX_EMPTY_RUN + 1

    def empty(rows: range) -> str:
        return "".join(f'<row r="{n}"/>' for n in rows) if gap == "empty rows" else ""

    rows = (
        HEADER
        + xml_row(3, ["A2", "Do more", "2020-03-31"])
        + empty(range(4, last))
        + xml_row(last, ["A3", "Just in", "2020-03-31"])
        + empty(range(last + 1, stop + 100))
        + "".join(
            xml_row(n, [f"B{n}", "Below", "2020-03-31"]) for n in range(stop + 100, stop + 200)
        )
    )
    table = read_table("gap.xlsx", raw_xlsx(rows))
    assert [row.number for row in table.rows] == [2, 3, last]
    assert table.notes == [
        f"Reading stopped at row {stop:,} of sheet 'Action plan': the 1,000 rows after row "
        f"{last:,} are empty, so anything below them was not read. If the table goes on below, "
        "delete the empty rows and upload the file again."
    ]
    assert table.last_row_read == (last if gap == "missing rows" else stop - 1)
    # Of the 100 rows below, only the first was read (when no empty row came before it).
    assert cells_read() == 3 * 4 + (3 if gap == "missing rows" else 0)


def test_a_csv_stops_after_a_long_run_of_blank_lines_too():
    text = "Ref,Title,Due\nA1,Do it,2020-03-31\n" + "\n" * 1_500 + "A2,Below,2020-03-31\n"
    table = read_table("gap.csv", text.encode())
    assert [row.values[0] for row in table.rows] == ["A1"]
    assert table.notes[0].startswith("Reading stopped at row 1,003: the 1,000 rows after row 2")


def test_too_many_merged_ranges_are_refused_and_the_limit_itself_is_read(cells_read):
    rows = HEADER + "".join(xml_row(n, [f"A{n}", "x", "2020-03-31"]) for n in range(3, 200))
    at_limit = [f"D{n}:E{n}" for n in range(2, 2 + MAX_MERGED_RANGES)]
    assert len(read_table("merged.xlsx", raw_xlsx(rows, merges=at_limit)).rows) == 198
    read_before = cells_read()
    with pytest.raises(ImportFileError) as refused:
        read_table("merged.xlsx", raw_xlsx(rows, merges=[*at_limit, "F1:G1"]))
    assert str(refused.value) == (
        "'merged.xlsx': sheet 'Action plan' has more than 10,000 merged ranges of cells: unmerge "
        "them (or save the sheet as a plain table) and try again"
    )
    assert cells_read() == read_before  # refused before a row was read


class CountedRange(tuple):
    """A merged range that counts each time it is looked at."""

    looks = 0

    def __iter__(self):
        CountedRange.looks += 1
        return super().__iter__()

    def __getitem__(self, index):
        CountedRange.looks += 1
        return super().__getitem__(index)


def test_merged_ranges_are_filled_in_one_pass_not_rows_times_ranges():
    """50,000 merged ranges over 4,000 rows took 23 seconds when every row looked at every
    range; each range is now looked at once."""
    CountedRange.looks = 0
    # (min_col, min_row, max_col, max_row): two columns merged in each of rows 1,001 to 3,000,
    # and column A merged down rows 2 to 4, its top row left out of the sheet.
    ranges = [CountedRange((4, row, 5, row)) for row in range(1_001, 3_001)]
    ranges.append(CountedRange((1, 2, 1, 4)))
    filler = _Filler(ranges)
    filled = {row: filler.fill(row, ("a", "b", "c", f"d{row}")) for row in range(3, 3_001)}
    assert CountedRange.looks <= len(ranges)
    assert filled[3] == (None, "b", "c", "d3")
    assert filled[4] == (None, "b", "c", "d4")
    assert filled[5] == ("a", "b", "c", "d5")
    assert filled[1_001] == ("a", "b", "c", "d1001", "d1001")
    assert filled[3_000] == ("a", "b", "c", "d3000", "d3000")


@pytest.mark.parametrize(
    "cells, message",
    [
        pytest.param(
            '<c r="XFE2"><v>1</v></c>',
            "has a cell in row 2 beyond column XFD, the last column Excel allows",
            id="column past XFD",
        ),
        pytest.param(
            "<c><v>1</v></c>" * 16_385,
            "has a cell in row 2 beyond column XFD, the last column Excel allows",
            id="too many cells",
        ),
        pytest.param(
            '<c r="A2" t="inlineStr"><is>' + "<r><t>x</t></r>" * 600 + "</is></c>",
            "has a cell of more than 1,000 parts, at row 2 of sheet 'Action plan'",
            id="cell of too many parts",
        ),
    ],
)
def test_rows_and_cells_no_excel_file_has_are_refused(cells, message):
    hostile = raw_xlsx(xml_row(1, ["Ref", "Title", "Due"]) + f'<row r="2">{cells}</row>')
    with pytest.raises(ImportFileError) as refused:
        read_table("odd.xlsx", hostile)
    assert message in str(refused.value)
    assert str(refused.value).endswith(
        "the file was not saved by Excel, or has been altered since: refused"
    )


def test_rows_out_of_order_are_refused_as_damage():
    rows = HEADER + xml_row(9, ["A9", "x", "2020-03-31"]) + xml_row(5, ["A5", "y", "2020-03-31"])
    with pytest.raises(ImportFileError) as refused:
        read_table("odd.xlsx", raw_xlsx(rows))
    assert str(refused.value) == (
        "'odd.xlsx' is damaged: in sheet 'Action plan', row 5 comes after row 9"
    )


def test_shared_text_beyond_any_table_is_refused_before_the_workbook_is_opened(monkeypatch):
    """openpyxl reads the shared strings whole on opening, where no time budget reaches: a
    25 KB file of 300,000 strings took it about 4 seconds."""

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    hostile = with_shared_strings(raw_xlsx(HEADER), 300_000)
    assert len(hostile) < 50_000
    monkeypatch.setattr(reading.openpyxl, "load_workbook", never)
    with pytest.raises(ImportFileError) as refused:
        read_table("strings.xlsx", hostile)
    assert str(refused.value) == (
        "'strings.xlsx' holds more shared text, styles and names than any plain table needs "
        "(more than 1,000,000 XML tags outside its sheets): save it as a plain table and try "
        "again"
    )


@pytest.mark.parametrize(
    "filename, data, kind, reached",
    [
        ("slow.xlsx", raw_xlsx(HEADER), "workbook", "the start of its parts"),
        ("slow.csv", b"Ref,Title,Due\nA1,Do it,2020-03-31\n", "file", "row 1"),
    ],
)
def test_reading_has_a_time_budget(monkeypatch, filename, data, kind, reached):
    monkeypatch.setattr(reading, "READ_SECONDS", 0)
    with pytest.raises(ImportFileError) as refused:
        read_table(filename, data)
    assert str(refused.value) == (
        f"the {kind} '{filename}' took too long to read: more than 0 seconds, and reading had "
        f"reached {reached}; save it as a plain table and try again"
    )


class Clock:
    """A clock that moves on a second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_time_budget_is_checked_as_rows_are_read(monkeypatch, cells_read, kind):
    rows = [["Ref", "Title", "Due"]] + [[f"A{n}", "x", "2020-03-31"] for n in range(4_000)]
    if kind == "xlsx":
        data = raw_xlsx("".join(xml_row(n, row) for n, row in enumerate(rows, start=1)))
    else:
        data = "\n".join(",".join(row) for row in rows).encode()
    monkeypatch.setattr(reading, "monotonic", Clock())
    monkeypatch.setattr(reading, "READ_SECONDS", 3_000)
    with pytest.raises(ImportFileError) as refused:
        read_table(f"long.{kind}", data)
    reached = re.search(r"reading had reached row ([\d,]+)", str(refused.value))
    assert reached, str(refused.value)
    assert 1 < int(reached[1].replace(",", "")) < 4_000
    assert cells_read() < 3 * 4_000
