"""Make what users typed safe to export: no formulas run, no characters that break a file."""

import re

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel,
# LibreOffice and Google Sheets (openpyxl also writes a string starting with "=" as a formula).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading single quote if a spreadsheet would treat it as a formula."""
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


# Control characters (a paste from another program can carry them) are not allowed in the XML
# inside .xlsx and .docx files; openpyxl and python-docx refuse the whole document over one.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def spreadsheet_text(text: str) -> str:
    """Free text as a CSV or Excel cell: stripped of control characters first, so none can hide
    a leading formula character, then neutralised."""
    return neutralise(xml_safe(text))
