"""A plan's progress over time: at each meeting of its board, how many actions were due by then
and how many had been completed by then, worked out from the history, never stored.

Three queries whatever the number of meetings, actions or updates: the meetings, the actions'
due dates, and every approved update of the plan, replayed in the order the as-at rule reads
them (effective date, then the time recorded, then id), so each point agrees with the plan's
figures as at that date.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.core.models import Action, Board, Meeting, Plan, ReviewState, Stage, StatusUpdate
from app.domain.boards import not_cancelled
from app.domain.snapshot import percent
from app.domain.timescales import uk_date


@dataclass(frozen=True)
class TrajectoryPoint:
    on: date
    label: str  # "OMCDB, 21 May 2019", or "As at 10 October 2023" for the report's own date
    due: int  # scheduled for delivery by then: due on or before, and not withdrawn by then
    completed: int  # complete by then, whenever due (early completions count)
    completed_of_due: int  # of those due by then, complete: the headline's "completed"

    @property
    def percent_of_due(self) -> int | None:
        return percent(self.completed_of_due, self.due)


@dataclass(frozen=True)
class Trajectory:
    points: tuple[TrajectoryPoint, ...]
    total: int  # actions in the plan, withdrawn included
    basis: str  # what the points are: "meetings of the OMCDB" or "quarter ends"

    @property
    def description(self) -> str:
        """The chart in words, for its accessible name and Word's alternative text."""
        if not self.points:
            return "No progress to show yet."
        figures = "; ".join(
            f"{point.label}: {point.due} due, {point.completed} completed" for point in self.points
        )
        return (
            f"Line chart of actions due and actions completed by each of the {self.basis}. "
            f"{figures}."
        )


def _quarter_ends(start: date, end: date) -> list[date]:
    ends = []
    year, month = start.year, ((start.month - 1) // 3 + 1) * 3
    while True:
        day = date(year, month, calendar.monthrange(year, month)[1])
        if day > end:
            return ends
        ends.append(day)
        month += 3
        if month > 12:
            year, month = year + 1, 3


def read_trajectory(*, session: Session, plan: Plan, as_at: date) -> Trajectory:
    """The plan's progress at each meeting of its own board from its start up to ``as_at``
    (the quarter ends when the board has no meetings), and at ``as_at`` itself."""
    last = min(as_at, plan.period_end) if as_at >= plan.period_start else as_at
    board = session.get(Board, plan.board_id) if plan.board_id else None
    dates: list[tuple[date, str]] = []
    if board is not None:
        meetings = session.exec(
            select(Meeting.held_on)
            .where(
                Meeting.board_id == board.id,
                Meeting.held_on >= plan.period_start,
                Meeting.held_on <= last,
                not_cancelled(),
            )
            .order_by(Meeting.held_on)
        ).all()
        dates = [(held_on, f"{board.short_name}, {uk_date(held_on)}") for held_on in meetings]
    basis = f"meetings of the {board.short_name}" if dates else "quarter ends"
    if not dates:
        dates = [(day, uk_date(day)) for day in _quarter_ends(plan.period_start, last)]
    if not dates or dates[-1][0] != as_at:
        dates = [(day, label) for day, label in dates if day != as_at]
        dates.append((as_at, f"As at {uk_date(as_at)}"))

    due_on = {
        action_id: due_date
        for action_id, due_date in session.exec(
            select(Action.id, Action.due_date).where(Action.plan_id == plan.id)
        ).all()
    }
    updates = session.exec(
        select(StatusUpdate.action_id, StatusUpdate.effective_on, StatusUpdate.stage)
        .join(Action, Action.id == StatusUpdate.action_id)
        .where(
            Action.plan_id == plan.id,
            StatusUpdate.review_state == ReviewState.approved,
            StatusUpdate.effective_on <= as_at,
        )
        .order_by(StatusUpdate.effective_on, StatusUpdate.recorded_at, StatusUpdate.id)
    ).all()

    # Stages compared as the strings stored: 20,000 updates are replayed for 1,000 actions.
    complete, withdrawn = Stage.complete.value, Stage.withdrawn.value
    stage_of: dict[int, str] = {}
    points: list[TrajectoryPoint] = []
    position = 0
    for day, label in dates:
        while position < len(updates) and updates[position][1] <= day:
            action_id, _effective_on, stage = updates[position]
            stage_of[action_id] = stage
            position += 1
        due = completed = completed_of_due = 0
        for action_id, due_date in due_on.items():
            stage = stage_of.get(action_id)
            if stage == withdrawn:
                continue
            is_complete = stage == complete
            completed += is_complete
            if due_date <= day:
                due += 1
                completed_of_due += is_complete
        points.append(TrajectoryPoint(day, label, due, completed, completed_of_due))
    return Trajectory(points=tuple(points), total=len(due_on), basis=basis)
