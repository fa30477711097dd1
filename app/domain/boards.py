"""Boards, their meetings and the reports published for them: what the boards' pages show, and
the office's changes to them (a new board; a meeting added, moved or cancelled; its update
deadline overridden), each checked field by field and audited with before and after.

A cancelled meeting stays on record but drops out of the reporting cycle and every meeting
picker. A report of a plan is filed only under a meeting of the plan's own board.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.core.models import (
    Board,
    Meeting,
    Outcome,
    Plan,
    PublishedFile,
    PublishedReport,
    Theme,
    User,
)
from app.domain.audit import record_event
from app.domain.cycle import not_cancelled, update_deadline
from app.domain.errors import NotFound
from app.domain.timescales import uk_date

SHORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# Addresses under /boards/ that are pages, not boards.
RESERVED_SHORT_NAMES = frozenset({"new"})
_SHORT_NAME_LENGTH = Board.__table__.c.short_name.type.length
_NAME_LENGTH = Board.__table__.c.name.type.length
_TITLE_LENGTH = Meeting.__table__.c.title.type.length
MAX_DESCRIPTION = 5_000
MAX_REASON = 500


class BoardRejected(ValueError):
    """What is wrong with a change to a board or meeting, by form field; nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class MeetingNotUsable(ValueError):
    """A meeting a report of the plan cannot be filed under."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MeetingOfAnotherBoard(MeetingNotUsable):
    pass


class MeetingCancelled(MeetingNotUsable):
    pass


def list_boards(*, session: Session, board_ids: frozenset[int] | None = None) -> list[Board]:
    """The boards by name; only those among ``board_ids`` (None: every board)."""
    query = select(Board).order_by(Board.name)
    if board_ids is not None:
        query = query.where(Board.id.in_(board_ids))
    return list(session.exec(query))


def get_board(*, session: Session, short_name: str) -> Board | None:
    return session.exec(select(Board).where(Board.short_name == short_name)).first()


def get_meeting(*, session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


def board_label(board: Board) -> str:
    return f"{board.name} ({board.short_name})"


def meeting_label(meeting: Meeting, board: Board) -> str:
    return f"{board.short_name} meeting on {uk_date(meeting.held_on)}"


# --- The boards' pages ----------------------------------------------------------------------


@dataclass
class MeetingRow:
    meeting: Meeting
    deadline: date
    deadline_is_default: bool
    reports: list[tuple[PublishedReport, Plan]]

    @property
    def cancelled(self) -> bool:
        return self.meeting.cancelled_at is not None


@dataclass
class BoardPage:
    board: Board
    meetings: list[MeetingRow]  # latest first, cancelled ones included (marked)
    plans: list[Plan]


def read_board_page(
    *, session: Session, board: Board, plan_ids: frozenset[int] | None = None
) -> BoardPage:
    """A board's meetings and plans, and the reports published for its meetings: of the plans
    among ``plan_ids`` only (those the reader may read; None: every plan)."""

    def in_plans(column) -> list:
        return [column.in_(plan_ids)] if plan_ids is not None else []

    meetings = list(
        session.exec(
            select(Meeting).where(Meeting.board_id == board.id).order_by(Meeting.held_on.desc())
        )
    )
    by_meeting: dict[int, list[tuple[PublishedReport, Plan]]] = {}
    for report, plan in session.exec(
        select(PublishedReport, Plan)
        .join(Plan, Plan.id == PublishedReport.plan_id)
        .join(Meeting, Meeting.id == PublishedReport.meeting_id)
        .where(Meeting.board_id == board.id, *in_plans(PublishedReport.plan_id))
        .order_by(PublishedReport.published_at)
    ):
        by_meeting.setdefault(report.meeting_id, []).append((report, plan))
    plans = list(
        session.exec(
            select(Plan).where(Plan.board_id == board.id, *in_plans(Plan.id)).order_by(Plan.title)
        )
    )
    rows = [
        MeetingRow(
            meeting=meeting,
            deadline=update_deadline(meeting),
            deadline_is_default=meeting.update_deadline is None,
            reports=by_meeting.get(meeting.id, []),
        )
        for meeting in meetings
    ]
    return BoardPage(board=board, meetings=rows, plans=plans)


@dataclass
class MeetingPage:
    board: Board
    row: MeetingRow
    default_deadline: date


def get_board_meeting(*, session: Session, board: Board, meeting_id: int) -> Meeting:
    """A meeting of the board, or NotFound (another board's meeting is not found here)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.board_id != board.id:
        raise NotFound(f"The {board.short_name} has no such meeting.")
    return meeting


def read_meeting_page(*, session: Session, board: Board, meeting_id: int) -> MeetingPage:
    """One meeting of the board, for the office to move, cancel or set its deadline."""
    meeting = get_board_meeting(session=session, board=board, meeting_id=meeting_id)
    reports = list(
        session.exec(
            select(PublishedReport, Plan)
            .join(Plan, Plan.id == PublishedReport.plan_id)
            .where(PublishedReport.meeting_id == meeting.id)
            .order_by(PublishedReport.published_at)
        )
    )
    row = MeetingRow(
        meeting=meeting,
        deadline=update_deadline(meeting),
        deadline_is_default=meeting.update_deadline is None,
        reports=reports,
    )
    default = update_deadline(Meeting(board_id=board.id, held_on=meeting.held_on, title=""))
    return MeetingPage(board=board, row=row, default_deadline=default)


def find_meeting(*, session: Session, board: Board, held_on: date) -> Meeting | None:
    """The board's meeting on that day (cancelled or not: a board meets at most once a day)."""
    return session.exec(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.held_on == held_on)
    ).first()


# --- The office's changes ---------------------------------------------------------------------


def check_new_board(
    *, session: Session, name: str, short_name: str, description: str = ""
) -> dict[str, str]:
    errors: dict[str, str] = {}
    name, short_name = " ".join(name.split()), short_name.strip()
    if not name:
        errors["name"] = "Enter the board's name."
    elif len(name) > _NAME_LENGTH:
        errors["name"] = f"The name must be {_NAME_LENGTH} characters or fewer."
    if not short_name:
        errors["short_name"] = "Enter a short name for the board, such as OMCDB."
    elif len(short_name) > _SHORT_NAME_LENGTH:
        errors["short_name"] = f"The short name must be {_SHORT_NAME_LENGTH} characters or fewer."
    elif not SHORT_NAME.fullmatch(short_name):
        errors["short_name"] = (
            "The short name may only hold letters, digits and hyphens, starting with a letter "
            "or digit (it is part of the board's address)."
        )
    elif short_name.lower() in RESERVED_SHORT_NAMES:
        errors["short_name"] = f"The short name cannot be '{short_name}': choose another."
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"The description must be {MAX_DESCRIPTION:,} characters or fewer."
    if "name" not in errors or "short_name" not in errors:
        for board in session.exec(
            select(Board).where(
                (func.lower(Board.name) == name.lower())
                | (func.lower(Board.short_name) == short_name.lower())
            )
        ):
            if "name" not in errors and board.name.lower() == name.lower():
                errors["name"] = f"There is already a board called {board.name}."
            if "short_name" not in errors and board.short_name.lower() == short_name.lower():
                errors["short_name"] = f"The short name {short_name} is taken by the {board.name}."
    return errors


def create_board(
    *,
    session: Session,
    user: User | None,
    name: str,
    short_name: str,
    description: str = "",
    actor: str | None = None,
) -> Board:
    errors = check_new_board(
        session=session, name=name, short_name=short_name, description=description
    )
    if errors:
        raise BoardRejected(errors)
    board = Board(
        name=" ".join(name.split()), short_name=short_name.strip(), description=description.strip()
    )
    session.add(board)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="create_board",
        entity_type="board",
        entity_id=board.id,
        summary=f"Created the board {board_label(board)}",
        after={
            "name": board.name,
            "short_name": board.short_name,
            "description": board.description,
        },
    )
    return board


def _clash(session: Session, *, board: Board, held_on: date, meeting_id: int | None) -> str | None:
    other = find_meeting(session=session, board=board, held_on=held_on)
    if other is None or other.id == meeting_id:
        return None
    state = " (cancelled)" if other.cancelled_at else ""
    return f"The {board.short_name} already has a meeting on {uk_date(held_on)}{state}."


def _deadline_error(deadline: date | None, held_on: date | None) -> str | None:
    if deadline is not None and held_on is not None and deadline >= held_on:
        return f"The update deadline must be before the meeting ({uk_date(held_on)})."
    return None


def check_new_meeting(
    *,
    session: Session,
    board: Board,
    held_on: date | None,
    title: str = "",
    deadline: date | None = None,
) -> dict[str, str]:
    """What is wrong with a new meeting of the board (a date left out is None)."""
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "Enter the date of the meeting."
    elif clash := _clash(session, board=board, held_on=held_on, meeting_id=None):
        errors["held_on"] = clash
    if len(" ".join(title.split())) > _TITLE_LENGTH:
        errors["title"] = f"The title must be {_TITLE_LENGTH} characters or fewer."
    if problem := _deadline_error(deadline, held_on):
        errors["update_deadline"] = problem
    return errors


def _meeting_state(meeting: Meeting) -> dict:
    return {
        "held_on": meeting.held_on,
        "title": meeting.title,
        "update_deadline": meeting.update_deadline,
        "effective_deadline": update_deadline(meeting),
        "cancelled_at": meeting.cancelled_at,
    }


def add_meeting(
    *,
    session: Session,
    user: User | None,
    board: Board,
    held_on: date | None,
    title: str = "",
    deadline: date | None = None,
    actor: str | None = None,
) -> Meeting:
    """A new meeting of the board; its update deadline is the default unless ``deadline``."""
    errors = check_new_meeting(
        session=session, board=board, held_on=held_on, title=title, deadline=deadline
    )
    if errors:
        raise BoardRejected(errors)
    meeting = Meeting(
        board_id=board.id,
        held_on=held_on,
        title=" ".join(title.split()) or f"{board.short_name} meeting",
        update_deadline=deadline,
    )
    session.add(meeting)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="add_meeting",
        entity_type="meeting",
        entity_id=meeting.id,
        summary=f"Added the {meeting_label(meeting, board)}: {meeting.title}",
        after=_meeting_state(meeting),
    )
    return meeting


def _has_reports(session: Session, meeting: Meeting) -> bool:
    return (
        session.exec(
            select(PublishedReport.id).where(PublishedReport.meeting_id == meeting.id).limit(1)
        ).first()
        is not None
    )


def _changeable(session: Session, meeting: Meeting, field: str, doing: str) -> dict[str, str]:
    if meeting.cancelled_at is not None:
        return {field: f"This meeting was cancelled: it cannot be {doing}."}
    if _has_reports(session, meeting):
        return {
            field: f"Reports have been published for this meeting: it cannot be {doing}, "
            "so they stay filed under the meeting that received them."
        }
    return {}


def check_move(
    *, session: Session, board: Board, meeting: Meeting, held_on: date | None
) -> dict[str, str]:
    errors = _changeable(session, meeting, "held_on", "moved")
    if errors:
        return errors
    if held_on is None:
        return {"held_on": "Enter the new date of the meeting."}
    if held_on == meeting.held_on:
        return {"held_on": f"The meeting is already on {uk_date(held_on)}: enter another date."}
    if clash := _clash(session, board=board, held_on=held_on, meeting_id=meeting.id):
        return {"held_on": clash}
    if meeting.update_deadline is not None and meeting.update_deadline >= held_on:
        return {
            "held_on": f"The update deadline set for this meeting, "
            f"{uk_date(meeting.update_deadline)}, would not be before the new date: change the "
            "deadline first."
        }
    return {}


def move_meeting(
    *,
    session: Session,
    user: User | None,
    board: Board,
    meeting: Meeting,
    held_on: date | None,
    actor: str | None = None,
) -> Meeting:
    errors = check_move(session=session, board=board, meeting=meeting, held_on=held_on)
    if errors:
        raise BoardRejected(errors)
    before = _meeting_state(meeting)
    meeting.held_on = held_on
    session.add(meeting)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="move_meeting",
        entity_type="meeting",
        entity_id=meeting.id,
        summary=f"Moved the {board.short_name} meeting of {uk_date(before['held_on'])} "
        f"to {uk_date(held_on)}",
        before=before,
        after=_meeting_state(meeting),
    )
    return meeting


def cancel_meeting(
    *,
    session: Session,
    user: User | None,
    board: Board,
    meeting: Meeting,
    reason: str = "",
    actor: str | None = None,
) -> Meeting:
    reason = " ".join(reason.split())
    errors = _changeable(session, meeting, "reason", "cancelled")
    if not errors and len(reason) > MAX_REASON:
        errors = {"reason": f"The reason must be {MAX_REASON} characters or fewer."}
    if errors:
        raise BoardRejected(errors)
    before = _meeting_state(meeting)
    meeting.cancelled_at = datetime.now(UTC)
    session.add(meeting)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="cancel_meeting",
        entity_type="meeting",
        entity_id=meeting.id,
        summary=f"Cancelled the {meeting_label(meeting, board)}"
        + (f": {reason}" if reason else ""),
        before=before,
        after=_meeting_state(meeting) | {"reason": reason},
    )
    return meeting


def check_deadline(*, meeting: Meeting, deadline: date | None) -> dict[str, str]:
    if meeting.cancelled_at is not None:
        return {"update_deadline": "This meeting was cancelled: it has no update deadline."}
    if problem := _deadline_error(deadline, meeting.held_on):
        return {"update_deadline": problem}
    return {}


def set_meeting_deadline(
    *,
    session: Session,
    user: User | None,
    board: Board,
    meeting: Meeting,
    deadline: date | None,
    actor: str | None = None,
) -> Meeting:
    """Override the meeting's update deadline; None goes back to the default."""
    errors = check_deadline(meeting=meeting, deadline=deadline)
    if errors:
        raise BoardRejected(errors)
    before = _meeting_state(meeting)
    meeting.update_deadline = deadline
    session.add(meeting)
    session.flush()
    after = _meeting_state(meeting)
    record_event(
        session,
        user=user,
        actor=actor,
        verb="set_meeting_deadline",
        entity_type="meeting",
        entity_id=meeting.id,
        summary=f"Updates for the {meeting_label(meeting, board)} are due by "
        f"{uk_date(after['effective_deadline'])}" + (" (the default)" if deadline is None else ""),
        before=before,
        after=after,
    )
    return meeting


# --- Meetings a plan's reports are filed under ------------------------------------------------


def meetings_for_plan(*, session: Session, plan: Plan) -> list[tuple[Meeting, Board]]:
    """The meetings a report of the plan may be filed under: its own board's, not cancelled,
    from the plan's start, in date order."""
    if plan.board_id is None:
        return []
    return list(
        session.exec(
            select(Meeting, Board)
            .join(Board, Board.id == Meeting.board_id)
            .where(
                Meeting.board_id == plan.board_id,
                Meeting.held_on >= plan.period_start,
                not_cancelled(),
            )
            .order_by(Meeting.held_on)
        )
    )


def meeting_for_plan(*, session: Session, plan: Plan, meeting_id: int) -> Meeting:
    """The meeting a report of the plan is to be filed under: NotFound when there is none,
    MeetingOfAnotherBoard or MeetingCancelled when the plan's reports cannot go to it."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("There is no such meeting.")
    if meeting.board_id != plan.board_id:
        board = session.get(Board, meeting.board_id)
        own = session.get(Board, plan.board_id) if plan.board_id else None
        owner = (
            f"the {board_label(own)}, the board that owns this plan"
            if own
            else "any board of this plan (it has no owning board)"
        )
        raise MeetingOfAnotherBoard(
            f"The meeting on {uk_date(meeting.held_on)} is a meeting of the "
            f"{board_label(board)}, not of {owner}. A report of {plan.short_title} can only be "
            "drafted or published for its own board's meetings."
        )
    if meeting.cancelled_at is not None:
        raise MeetingCancelled(
            f"The meeting on {uk_date(meeting.held_on)} was cancelled: choose another meeting."
        )
    return meeting


def default_meeting(*, session: Session, plan: Plan, as_at: date) -> Meeting | None:
    """The plan's board's latest meeting (not cancelled) on or before the as-at date."""
    if plan.board_id is None:
        return None
    return session.exec(
        select(Meeting)
        .where(Meeting.board_id == plan.board_id, Meeting.held_on <= as_at, not_cancelled())
        .order_by(Meeting.held_on.desc())
        .limit(1)
    ).first()


# --- Published reports and the public view ------------------------------------------------


def get_published_report(
    *, session: Session, report_id: int
) -> tuple[PublishedReport, Plan, Meeting | None] | None:
    found = session.exec(
        select(PublishedReport, Plan)
        .join(Plan, Plan.id == PublishedReport.plan_id)
        .where(PublishedReport.id == report_id)
    ).first()
    if found is None:
        return None
    report, plan = found
    meeting = session.get(Meeting, report.meeting_id) if report.meeting_id else None
    return report, plan, meeting


@dataclass
class PublicPlanPage:
    plan: Plan
    board: Board | None
    outcomes: list[Outcome]
    themes: list[Theme]
    reports: list[PublishedReport]  # latest first


def read_public_plan_page(*, session: Session, plan: Plan) -> PublicPlanPage:
    """The top levels of a public plan and its published reports, nothing else."""
    return PublicPlanPage(
        plan=plan,
        board=session.get(Board, plan.board_id) if plan.board_id else None,
        outcomes=list(
            session.exec(
                select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
            )
        ),
        themes=list(
            session.exec(select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position))
        ),
        reports=list(
            session.exec(
                select(PublishedReport)
                .where(PublishedReport.plan_id == plan.id)
                .order_by(PublishedReport.as_at.desc())
            )
        ),
    )


@dataclass
class PublishedEntry:
    report: PublishedReport
    plan: Plan
    meeting: Meeting | None
    formats: list[str]  # the files stored with it


def list_published_reports(
    *,
    session: Session,
    plan_ids: frozenset[int] | None,
    plan_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[PublishedEntry]:
    """Published reports, latest first, a page at a time, with their plans, meetings and the
    formats of their stored files: two queries."""
    query = (
        select(PublishedReport, Plan, Meeting)
        .join(Plan, Plan.id == PublishedReport.plan_id)
        .outerjoin(Meeting, Meeting.id == PublishedReport.meeting_id)
        .order_by(PublishedReport.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(PublishedReport.id < before_id)
    if plan_ids is not None:
        query = query.where(PublishedReport.plan_id.in_(plan_ids))
    if plan_id is not None:
        query = query.where(PublishedReport.plan_id == plan_id)
    rows = list(session.exec(query))
    formats: dict[int, list[str]] = {}
    for report_id, file_format in session.exec(
        select(PublishedFile.report_id, PublishedFile.format)
        .where(PublishedFile.report_id.in_([report.id for report, _, _ in rows]))
        .order_by(PublishedFile.format)
    ):
        formats.setdefault(report_id, []).append(file_format)
    return [
        PublishedEntry(
            report=report, plan=plan, meeting=meeting, formats=formats.get(report.id, [])
        )
        for report, plan, meeting in rows
    ]
