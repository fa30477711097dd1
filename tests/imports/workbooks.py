"""Spreadsheets built in the tests: messy as real ones are, or hostile."""

import io
import re
import zipfile
from datetime import datetime

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
