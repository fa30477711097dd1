"""Reading cell values as offices type them: dates in several forms, statuses in many words."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.core.models import Rag, Stage
from app.domain.timescales import TimescaleError, financial_quarter_end, parse_timescale


class ValueProblem(ValueError):
    """What is wrong with one cell; the caller adds the row and column."""


# Excel's serial day 1 is 1 January 1900; day 60 is its fictitious 29 February 1900, so every
# serial from 61 on counts from 30 December 1899.
_EXCEL_EPOCH = date(1899, 12, 30)
# Serials outside these years are far more likely a typo than a plan's date.
_SERIAL_YEARS = range(1950, 2101)


def shown(value) -> str:
    """A cell value as the message quotes it: 43190, not 43190.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return " ".join(str(value).split())


def text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return shown(value)
    return str(value).strip()


@dataclass(frozen=True)
class When:
    end: date  # the due date: the last day of the period named
    start: date  # the first day of that period (a start column wants this)
    label: str  # the timescale as written ("Q4 2017/18"), empty for a plain date


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})$")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SERIAL = re.compile(r"^\d{4,6}(?:\.0+)?$")
_QUARTER = re.compile(r"^q[1-4]\b", re.IGNORECASE)
_MONTH_SHORT_YEAR = re.compile(r"^([a-z]+)[\s\-'’]+(\d{2})$", re.IGNORECASE)
_FINANCIAL_YEAR = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_DAY_NAMED = re.compile(r"^\d{1,2}(?:st|nd|rd|th)?\s", re.IGNORECASE)


def _exact(day: date) -> When:
    return When(end=day, start=day, label="")


def _from_serial(number: float, original) -> When:
    try:
        day = _EXCEL_EPOCH + timedelta(days=int(number))
    except OverflowError:
        raise ValueProblem(f"'{shown(original)}' is not a date") from None
    if number < 61 or day.year not in _SERIAL_YEARS:
        raise ValueProblem(f"'{shown(original)}' is not a date")
    return _exact(day)


def parse_when(value) -> When | None:
    """A date or a timescale from a cell: a real date, an Excel serial number, 31/03/2018 (day
    first, as in the UK), 2018-03-31, 31 March 2018, March 2018, Mar-18, Q4 2017/18 or 2017/18.
    None for a blank cell."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _exact(value.date())
    if isinstance(value, date):
        return _exact(value)
    if isinstance(value, bool):
        raise ValueProblem(f"'{value}' is not a date")
    if isinstance(value, int | float):
        return _from_serial(value, value)
    text = " ".join(str(value).split())
    if not text:
        return None
    if _SERIAL.match(text):
        return _from_serial(float(text), text)
    if match := _ISO_TIME.match(text):
        try:
            return _exact(date.fromisoformat(match[1]))
        except ValueError:
            raise ValueProblem(f"'{text}' is not a date") from None
    if match := _DMY.match(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if len(match[3]) == 2:
            year += 2000
        try:
            return _exact(date(year, month, day))
        except ValueError:
            raise ValueProblem(f"'{text}' is not a date") from None
    if match := _FINANCIAL_YEAR.match(text):
        first, second = int(match[1]), match[2]
        if int(second) != (first + 1) % (100 if len(second) == 2 else 10000):
            raise ValueProblem(f"'{text}' is not a date")
        return When(end=financial_quarter_end(4, first), start=date(first, 4, 1), label=text)
    if match := _MONTH_SHORT_YEAR.match(text):
        text = f"{match[1]} 20{match[2]}"
    try:
        end = parse_timescale(text)
    except TimescaleError:
        raise ValueProblem(f"'{shown(value)}' is not a date") from None
    if _DAY_NAMED.match(text):
        return _exact(end)
    if _QUARTER.match(text):
        first_month = end.month - 2
        return When(end=end, start=date(end.year, first_month, 1), label=text)
    return When(end=end, start=end.replace(day=1), label=text)


def _words(value) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(value).lower()).split())


_STATUS_WORDS: dict[str, tuple[Stage, str | None]] = {}


def _status(stage: Stage, rag: str | None, *words: str) -> None:
    for word in words:
        _STATUS_WORDS[_words(word)] = (stage, rag)


_status(
    Stage.complete,
    None,
    "complete",
    "completed",
    "done",
    "achieved",
    "delivered",
    "closed",
    "finished",
    "blue",
    "implemented",
    "embedded",
    "complete blue",
)
_status(
    Stage.in_progress,
    None,
    "in progress",
    "ongoing",
    "on going",
    "underway",
    "under way",
    "started",
    "in hand",
    "progressing",
    "in train",
    "live",
    "being implemented",
    "open",
)
_status(Stage.in_progress, Rag.green, "on track", "green", "g", "on target", "in progress green")
_status(
    Stage.in_progress,
    Rag.amber,
    "amber",
    "a",
    "at risk",
    "slipping",
    "some slippage",
    "in progress amber",
)
_status(
    Stage.in_progress,
    Rag.red,
    "red",
    "r",
    "off track",
    "not on track",
    "off target",
    "in progress red",
)
_status(Stage.in_progress, Rag.amber_green, "amber green", "a g", "ag")
_status(Stage.in_progress, Rag.amber_red, "amber red", "a r", "ar")
_status(
    Stage.not_started,
    None,
    "not started",
    "not yet started",
    "planned",
    "to start",
    "not due",
    "not yet due",
    "pending",
)
_status(
    Stage.withdrawn,
    None,
    "withdrawn",
    "cancelled",
    "canceled",
    "dropped",
    "no longer required",
    "stopped",
    "deleted",
)
_status(
    Stage.carried_forward,
    None,
    "carried forward",
    "carried over",
    "cf",
    "c f",
    "rolled forward",
    "carry forward",
)

_RAG_WORDS: dict[str, str] = {}
for _word, (_stage, _rag) in _STATUS_WORDS.items():
    if _rag is not None:
        _RAG_WORDS[_word] = _rag
# "Blue" (BRAG) and "Complete" in a rating column mean the action is complete: no rating.
BLUE = "blue"
_RAG_WORDS.update({"blue": BLUE, "b": BLUE, "complete": BLUE, "completed": BLUE})
_NO_VALUE = {"", "n a", "na", "none", "tbc", "not applicable", "not rated"}


def parse_status(value) -> tuple[Stage, str | None] | None:
    """Stage and RAG from a Status cell ("Completed", "On track", "Amber"), None if blank."""
    if value is None or not str(value).strip():
        return None
    found = _STATUS_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(
            f"'{shown(value)}' is not a status plantrack understands (use Not started, "
            "In progress, Complete, Withdrawn or Carried forward, or a rating such as On track, "
            "Amber or Red)"
        )
    return found


def parse_rag(value) -> str | None:
    """A rating from a RAG cell: a Rag value, BLUE for "complete", None if blank."""
    if value is None or _words(value) in _NO_VALUE or str(value).strip() in {"-", "–"}:
        return None
    found = _RAG_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(f"'{shown(value)}' is not a RAG rating")
    return found
