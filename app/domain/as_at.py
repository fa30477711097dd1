"""The one rule for the date a plan is read "as at", and the date changes are counted "since".

Every entry point (pages, the API, the command line, publishing) resolves its dates here, so the
same plan read without a date gives the same figures everywhere, and a bad pair of dates is
refused with the same words.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.core.models import Board, Plan, PlanStatus
from app.domain.cycle import board_meetings
from app.domain.timescales import uk_date


class AsAtError(ValueError):
    """A date that cannot be used; ``field`` names the input it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# The dates plantrack reads: wide enough for any plan, and far enough inside Python's and the
# databases' calendars that a date three months either side of one can always be computed.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)


def check_in_range(value: date, field: str = "date") -> date:
    """The date, if plantrack can read a plan at it; else AsAtError."""
    if not EARLIEST <= value <= LATEST:
        raise AsAtError(
            field,
            f"{uk_date(value)} is outside the dates plantrack reads "
            f"({uk_date(EARLIEST)} to {uk_date(LATEST)}).",
        )
    return value


def default_as_at(plan: Plan, today: date | None = None) -> date:
    """A plan that is closed or whose period has ended is read as at its end date; any other
    as at today."""
    today = today or date.today()
    if plan.status == PlanStatus.closed or plan.period_end < today:
        return min(today, plan.period_end)
    return today


def awaits_closing(plan: Plan, today: date | None = None) -> bool:
    """Its period has ended but the office has not closed it: shown as at its end date, and
    the office is asked to close it."""
    return plan.status != PlanStatus.closed and plan.period_end < (today or date.today())


def plan_state(plan: Plan, today: date | None = None) -> str:
    """A plan's state as a machine reads it: "active", "ended" (its period is over but the
    office has not closed it) or "closed". The stored status alone says "active" for both of
    the first two."""
    if awaits_closing(plan, today):
        return "ended"
    return str(plan.status)


def plan_state_text(plan: Plan, today: date | None = None) -> str:
    """How a plan's state is worded wherever it is shown: "Active", "Closed", or "Ended on
    31 March 2021, not yet closed" for a plan read as at its end date by the rule above."""
    if awaits_closing(plan, today):
        return f"Ended on {uk_date(plan.period_end)}, not yet closed"
    return plan.status.capitalize()


def plan_state_notice(plan: Plan, today: date | None = None) -> str | None:
    """The line a report's page shows above its headline while the plan awaits closing."""
    if not awaits_closing(plan, today):
        return None
    return (
        f"{plan_state_text(plan, today)}: its figures are as at its end date unless another "
        "date is chosen."
    )


def default_since(as_at: date, meetings: Iterable[date] = ()) -> date:
    """The date a report's "changes since" and direction of travel compare against: the last of
    ``meetings`` (the plan's board's, not cancelled) before the as-at date, that is the meeting
    that received the previous report; three months earlier only when there is none."""
    earlier = [held_on for held_on in meetings if held_on < as_at]
    if earlier:
        return max(earlier)
    return _three_months_before(as_at)


def _three_months_before(as_at: date) -> date:
    year, month = divmod(as_at.year * 12 + as_at.month - 1 - 3, 12)
    month += 1
    return date(year, month, min(as_at.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Comparison:
    """The date a report compares against and, in words, why that date."""

    since: date
    basis: str  # "the previous meeting of the Offender Management ... Board"

    @property
    def sentence(self) -> str:
        """Printed in every format, so a reader knows what "improved" is measured from."""
        return (
            f"Changes and direction of travel are measured since {uk_date(self.since)}, "
            f"{self.basis}."
        )


def comparison(
    session: Session,
    plan: Plan,
    as_at: date,
    since: date | None = None,
    *,
    board_id: int | None = None,
) -> Comparison:
    """The one rule every report follows (appendix and highlight, on the page, the command line,
    the API and when published): ``since`` if given, else default_since over the meetings of
    the plan's own board (or ``board_id``'s, for a report to another board's meeting)."""
    board_id = board_id or plan.board_id
    board = session.get(Board, board_id) if board_id else None
    held = [m.held_on for m in board_meetings(session, board_id=board_id)] if board else []
    default = default_since(as_at, held)
    if since is not None and since != default:
        return Comparison(since, "the date chosen for this report")
    if board and any(held_on < as_at for held_on in held):
        return Comparison(default, f"the date of the previous meeting of the {board.name}")
    why = f"the {board.name} had no earlier meeting" if board else "the plan has no board"
    return Comparison(default, f"three months before the as-at date ({why})")


@dataclass(frozen=True)
class ReportDates:
    as_at: date
    since: date | None  # None: the report's own default (see default_since)


def resolve_dates(
    plan: Plan, *, as_at: date | None = None, since: date | None = None, today: date | None = None
) -> ReportDates:
    """The as-at date (default: default_as_at) and the optional "changes since" date, checked."""
    if as_at is not None:
        check_in_range(as_at, "as_at")
    if since is not None:
        check_in_range(since, "since")
    resolved = as_at or default_as_at(plan, today)
    if since is not None and since >= resolved:
        raise AsAtError(
            "since",
            f"'Changes since' ({uk_date(since)}) must be before the as-at date "
            f"({uk_date(resolved)}).",
        )
    return ReportDates(as_at=resolved, since=since)
