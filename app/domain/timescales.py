"""Timescales as plans state them: "Q4 2017/18", "March 2018", "31 March 2018", "2018-03-31".

UK public bodies plan in financial years (1 April to 31 March): Q1 is April to June, Q4 is
January to March of the following calendar year, so "Q4 2017/18" ends on 31 March 2018.
"""

import calendar
import re
from datetime import date


class TimescaleError(ValueError):
    pass


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_QUARTER = re.compile(r"^q([1-4])\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{4})$", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?\s+(\d{4})$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def financial_quarter_end(quarter: int, first_year: int) -> date:
    if quarter == 4:
        return date(first_year + 1, 3, 31)
    return _month_end(first_year, 3 + 3 * quarter)


def parse_timescale(label: str) -> date:
    """The last day of the period a timescale names."""
    text = " ".join(str(label).split())
    if match := _ISO.match(text):
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError as error:
            raise TimescaleError(f"'{label}' is not a date: {error}") from None
    if match := _QUARTER.match(text):
        quarter, first, second = int(match[1]), int(match[2]), match[3]
        expected = (first + 1) % (100 if len(second) == 2 else 10000)
        if int(second) != expected:
            raise TimescaleError(
                f"'{label}' is not a financial year: {first}/{second} should be "
                f"{first}/{str(first + 1)[-len(second) :]}"
            )
        return financial_quarter_end(quarter, first)
    if match := _MONTH_YEAR.match(text):
        month = MONTHS.get(match[1].lower())
        if month:
            return _month_end(int(match[2]), month)
    if match := _DAY_MONTH_YEAR.match(text):
        month = MONTHS.get(match[2].lower())
        if month:
            try:
                return date(int(match[3]), month, int(match[1]))
            except ValueError as error:
                raise TimescaleError(f"'{label}' is not a date: {error}") from None
    raise TimescaleError(
        f"'{label}' is not a timescale plantrack understands "
        "(use a date such as 2018-03-31, a month such as March 2018, "
        "or a financial quarter such as Q4 2017/18)"
    )


def uk_date(value: date | None) -> str:
    """A date as UK readers write it: 31 March 2018."""
    if value is None:
        return ""
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"
