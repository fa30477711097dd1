"""The one reader of a date typed into a page's GOV.UK date input (day, month and year boxes).

Its messages follow the GOV.UK Design System's date input pattern: "Enter the start date",
"The start date must include a month", "The start date must be a real date". A month may be
typed as a number or a name ("3", "Mar", "march"), as the pattern recommends.
"""

import calendar
from dataclasses import dataclass
from datetime import date

PARTS = ("day", "month", "year")

_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
} | {"sept": 9}


@dataclass(frozen=True)
class DateParts:
    """What was typed into the three boxes, as typed."""

    day: str = ""
    month: str = ""
    year: str = ""

    @classmethod
    def of(cls, value: date | None) -> "DateParts":
        if value is None:
            return cls()
        return cls(str(value.day), str(value.month), str(value.year))

    @property
    def is_blank(self) -> bool:
        return not (self.day.strip() or self.month.strip() or self.year.strip())


class DateInputError(ValueError):
    """Why the boxes do not make a date, in the GOV.UK pattern's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def parse_date_parts(parts: DateParts, *, label: str) -> date:
    """The date the boxes hold; ``label`` names it mid-sentence ("the start date").

    Raises DateInputError with the message to show beside the boxes."""
    day, month, year = (" ".join(getattr(parts, part).split()) for part in PARTS)
    missing = [part for part, text in zip(PARTS, (day, month, year), strict=True) if not text]
    if len(missing) == 3:
        raise DateInputError(f"Enter {label}")
    if missing:
        raise DateInputError(f"{_sentence(label)} must include a {' and '.join(missing)}")
    month_number = _number(month) if _number(month) is not None else _MONTHS.get(month.lower())
    day_number, year_number = _number(day), _number(year)
    if year_number is not None and len(year) != 4:
        raise DateInputError("Year must include 4 numbers")
    if day_number is None or month_number is None or year_number is None:
        raise DateInputError(f"{_sentence(label)} must be a real date")
    try:
        return date(year_number, month_number, day_number)
    except (ValueError, OverflowError):  # OverflowError: a number no C int holds
        raise DateInputError(f"{_sentence(label)} must be a real date") from None
