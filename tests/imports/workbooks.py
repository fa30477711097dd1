"""Spreadsheets built in the tests: messy as real ones are, or hostile."""

import io
import re
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

from openpyxl import Workbook


def xlsx(rows: list[list], *, merges: tuple[str, ...] = (), title: str = "Action plan") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def replace_part(data: bytes, name: str, change) -> bytes:
    """The workbook with one of its zipped XML parts rewritten by ``change(text) -> text``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return output.getvalue()


def with_cached_formula_value(data: bytes, cell: str, cached: str) -> bytes:
    """Give a formula cell the value Excel would have cached when it last saved the file."""

    def change(text: str) -> str:
        pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?')
        assert pattern.search(text), f"no formula in {cell}"
        return pattern.sub(rf'<c r="{cell}"\1 t="str"><f>\2</f><v>{cached}</v>', text)

    return replace_part(data, "xl/worksheets/sheet1.xml", change)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
)


def with_doctype(data: bytes, part: str, doctype: str, entity: str) -> bytes:
    """Prefix a part with a DTD and use its entity in the first inline string."""

    def change(text: str) -> str:
        text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
        text = text.replace("<t>", f"<t>&{entity};", 1)
        return doctype + text

    return replace_part(data, part, change)


HEADER = [
    "Ref",
    "Action",
    "Lead",
    None,
    "Timescale",
    "Status",
    "RAG",
    "Latest update",
    "Corrective action",
    "Partners",
]


def messy_workbook() -> bytes:
    """A progress spreadsheet as offices keep them: a title block above a two-row header whose
    "Lead" is merged over Organisation and Officer, theme headings merged across the sheet,
    blank rows, dates as text, as Excel serial numbers and as real dates, and a Status column
    that says Complete, Completed or On track."""
    rows = [
        ["Staffordshire Reducing Reoffending Action Plan 2019-20"],
        ["Progress update as at 31 March 2020 (for the Reducing Reoffending Board)"],
        [],
        HEADER,
        [None, None, "Organisation", "Officer (role)"],
        ["Theme 1: Young people"],
        [
            "RR1",
            "Review the youth triage scheme",
            "StaffsYOS",
            "YOS Manager",
            "31/03/2020",
            "Complete",
            None,
            "Triage reviewed and re-launched.",
            None,
            "Police, SoTYOS",
        ],
        [],
        [
            "RR2",
            "Agree the youth diversion pathway",
            "Police",
            "Head of Criminal Justice",
            43921,
            "Completed",
            None,
            "Pathway agreed by all partners.",
            None,
            "StaffsYOS",
        ],
        [
            "RR3",
            "Commission a mentoring service for care leavers",
            "OPCC",
            "Commissioning Manager",
            datetime(2020, 6, 30),
            "On track",
            None,
            "Procurement under way.",
            None,
            None,
        ],
        [None] * 10,
        ["Theme 2: Women offenders"],
        [
            "RR4",
            "Open a women's centre in Stoke-on-Trent",
            "NPS",
            "Head of Women's Services",
            "Q4 2019/20",
            "In progress",
            "Amber",
            "Premises found; lease being agreed.",
            None,
            "SoTCC; Brand New Charity",
        ],
        [
            "RR5",
            "Train staff in trauma-informed practice",
            "Brand New Charity",
            "Project Lead",
            "March 2021",
            "Not started",
            None,
            None,
            None,
            None,
        ],
        [
            "RR6",
            "Extend the women's diversion scheme county-wide",
            "Police",
            "Head of Criminal Justice",
            "2020-09-30",
            "Off track",
            None,
            "Funding decision delayed.",
            "Bid resubmitted to the OPCC fund.",
            "CRC",
        ],
        [
            "RR7",
            "Report progress to the Board",
            "OPCC",
            "Commissioning Manager",
            "30/09/2020",
            "In progress",
            "G",
            '=CONCATENATE("Seen ","by board")',
            None,
            None,
        ],
    ]
    return xlsx(rows, merges=("A1:J1", "C4:D4", "A4:A5", "B4:B5", "A6:J6", "A12:J12"))


# --- Workbooks written as raw XML: what no spreadsheet program would save -------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
        f'xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="Action plan" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def xml_row(number: int, values: list) -> str:
    """One <row> of inline strings and numbers, its cells in columns A, B, C, ..."""
    cells = []
    for column, value in enumerate(values, start=1):
        ref = f"{column_letters(column)}{number}"
        if value is None:
            continue
        if isinstance(value, str):
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def raw_xlsx(
    rows: str, *, dimension: str | None = None, merges: list[str] | tuple[str, ...] = ()
) -> bytes:
    """A one-sheet workbook whose sheet is exactly this XML: ``rows`` is the inside of
    <sheetData> (see xml_row), written with zipfile, as a hostile file would be."""
    merged = ""
    if merges:
        merged = (
            f'<mergeCells count="{len(merges)}">'
            + "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)
            + "</mergeCells>"
        )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{rows}</sheetData>{merged}</worksheet>"
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return output.getvalue()


def with_shared_strings(data: bytes, count: int) -> bytes:
    """The workbook with a shared string table of ``count`` strings, which openpyxl reads whole
    when it opens the file (and which compresses to almost nothing)."""
    table = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
        + "<si><t>a</t></si>" * count
        + "</sst>"
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            target.writestr(item, content)
        target.writestr("xl/sharedStrings.xml", table)
    return output.getvalue()
