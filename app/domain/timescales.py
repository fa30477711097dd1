"""Dates and timescales as plans, spreadsheets and CSV files state them. One parser for all.

UK public bodies plan in financial years (1 April to 31 March): Q1 is April to June, Q4 is
January to March of the following calendar year, so "Q4 2017/18" ends on 31 March 2018 and
"2017/18" is the whole year to that day. Dates are written day first: 31/03/2018.
"""

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta


class TimescaleError(ValueError):
    """A value that names no date or period; the message quotes the value."""


@dataclass(frozen=True)
class Timescale:
    start: date  # the first day of the period named (a plain date: that day)
    end: date  # the last day: what is due in the period is due by then
    label: str  # the period as written ("Q4 2017/18"); empty for a plain date


FORMS = (
    "a date such as 31/03/2018 or 2018-03-31, a month such as March 2018, "
    "or a financial quarter such as Q4 2017/18"
)

# English month names, read once (calendar.month_name formats a date on every lookup).
MONTH_NAMES = tuple(calendar.month_name)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

# Excel's serial day 1 is 1 January 1900; day 60 is its fictitious 29 February 1900, so every
# serial from 61 on counts from 30 December 1899.
_EXCEL_EPOCH = date(1899, 12, 30)
_FIRST_TRUE_SERIAL = 61
# Serials outside these years are far more likely a typo than a plan's date.
_SERIAL_YEARS = range(1950, 2101)

_SERIAL = re.compile(r"^\d{4,6}(?:\.0+)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_DAY_NAMED_MONTH_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?[\s\-]+(\d{4}|\d{2})$", re.IGNORECASE
)
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?[\s\-'’]+(\d{4}|\d{2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^q([1-4])\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_FINANCIAL_YEAR = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)


def shown(value) -> str:
    """A value as a message quotes it: 43190, not 43190.0; spaces folded."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return " ".join(str(value).split())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def financial_quarter_end(quarter: int, first_year: int) -> date:
    if quarter == 4:
        return date(first_year + 1, 3, 31)
    return _month_end(first_year, 3 + 3 * quarter)


def _full_year(digits: str) -> int:
    """A year as written: 2018, or 18 for 2018."""
    return int(digits) + (2000 if len(digits) == 2 else 0)


def _is_financial_year(first: int, second: str) -> bool:
    """2017/18 and 2017/2018 are financial years; 2017/19 is not."""
    return int(second) == (first + 1) % (100 if len(second) == 2 else 10000)


def _day(year: int, month: int, day: int) -> Timescale | None:
    try:
        exact = date(year, month, day)
    except ValueError:
        return None
    return Timescale(start=exact, end=exact, label="")


def _from_serial(number: float) -> Timescale | None:
    if not math.isfinite(number) or number < _FIRST_TRUE_SERIAL:
        return None
    try:
        exact = _EXCEL_EPOCH + timedelta(days=int(number))
    except OverflowError:
        return None
    if exact.year not in _SERIAL_YEARS:
        return None
    return Timescale(start=exact, end=exact, label="")


def _from_text(text: str) -> Timescale | None:
    if _SERIAL.match(text):
        return _from_serial(float(text))
    if match := _ISO.match(text):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    if match := _DAY_MONTH_YEAR.match(text):
        return _day(_full_year(match[3]), int(match[2]), int(match[1]))
    if match := _DAY_NAMED_MONTH_YEAR.match(text):
        month = _MONTHS.get(match[2].lower())
        return _day(_full_year(match[3]), month, int(match[1])) if month else None
    if match := _MONTH_YEAR.match(text):
        month = _MONTHS.get(match[1].lower())
        if month is None:
            return None
        year = _full_year(match[2])
        label = text if len(match[2]) == 4 else f"{match[1]} {year}"
        return Timescale(start=date(year, month, 1), end=_month_end(year, month), label=label)
    if match := _QUARTER.match(text):
        quarter, first = int(match[1]), int(match[2])
        if not _is_financial_year(first, match[3]):
            return None
        end = financial_quarter_end(quarter, first)
        return Timescale(start=date(end.year, end.month - 2, 1), end=end, label=text)
    if match := _FINANCIAL_YEAR.match(text):
        first = int(match[1])
        if not _is_financial_year(first, match[2]):
            return None
        return Timescale(start=date(first, 4, 1), end=date(first + 1, 3, 31), label=text)
    return None


def read_timescale(value) -> Timescale | None:
    """The date or period a cell or a field names; None when it is blank.

    Understood: a date or datetime; an Excel serial number (1900 date system); 2018-03-31 (a
    time after it is ignored); 31/03/2018, 31/3/18, 31.03.2018 (day first); 31 March 2018,
    1st April 2019, 31-Mar-18; March 2018, Mar 2018, Mar-18 (the whole month); Q4 2017/18 (a
    financial quarter); 2017/18 (a financial year). Anything else raises TimescaleError.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return Timescale(start=value, end=value, label="")
    if isinstance(value, bool):
        found = None
    elif isinstance(value, int | float):
        found = _from_serial(value)
    else:
        text = shown(value)
        if not text:
            return None
        found = _from_text(text)
    if found is None:
        raise TimescaleError(f"'{shown(value)}' is not a date")
    return found


def require_timescale(label) -> Timescale:
    """The period a person typed into a field that must not be blank; the message lists the
    forms understood, for the person to type it again."""
    try:
        found = read_timescale(label)
    except TimescaleError:
        found = None
    if found is None:
        raise TimescaleError(
            f"'{shown(label)}' is not a timescale plantrack understands (use {FORMS})"
        )
    return found


def parse_timescale(label) -> date:
    """The last day of the period typed (see require_timescale)."""
    return require_timescale(label).end


def uk_date(value: date | None) -> str:
    """A date as UK readers write it: 31 March 2018."""
    if value is None:
        return ""
    return f"{value.day} {MONTH_NAMES[value.month]} {value.year}"
