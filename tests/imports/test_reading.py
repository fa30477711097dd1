"""Reading uploaded files: the header found wherever it is, and hostile files refused."""

import io
import zipfile

import openpyxl
import pytest
from defusedxml import DefusedXmlException

from app.imports import MAX_BYTES, MAX_ROWS, ImportFileError, read_table
from app.imports.reading import MAX_UNCOMPRESSED_BYTES
from tests.imports.workbooks import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    messy_workbook,
    replace_part,
    with_cached_formula_value,
    with_doctype,
    xlsx,
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
