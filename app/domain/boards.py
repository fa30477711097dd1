"""Boards, their meetings and the reports published for them: what the boards' pages show."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.core.models import Board, Meeting, Outcome, Plan, PublishedReport, Theme


def list_boards(*, session: Session) -> list[Board]:
    return list(session.exec(select(Board).order_by(Board.name)))


def get_board(*, session: Session, short_name: str) -> Board | None:
    return session.exec(select(Board).where(Board.short_name == short_name)).first()


def get_meeting(*, session: Session, meeting_id: int) -> Meeting | None:
    return session.get(Meeting, meeting_id)


@dataclass
class BoardPage:
    board: Board
    meetings: list[Meeting]  # latest first
    by_meeting: dict[int, list[tuple[PublishedReport, Plan]]]
    plans: list[Plan]


def read_board_page(*, session: Session, board: Board) -> BoardPage:
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
        .where(Meeting.board_id == board.id)
        .order_by(PublishedReport.published_at)
    ):
        by_meeting.setdefault(report.meeting_id, []).append((report, plan))
    plans = list(session.exec(select(Plan).where(Plan.board_id == board.id).order_by(Plan.title)))
    return BoardPage(board=board, meetings=meetings, by_meeting=by_meeting, plans=plans)


def meetings_for_plan(*, session: Session, plan: Plan) -> list[tuple[Meeting, Board]]:
    """The meetings a report of the plan may be filed under, in date order."""
    return list(
        session.exec(
            select(Meeting, Board)
            .join(Board, Board.id == Meeting.board_id)
            .where(Meeting.held_on >= plan.period_start)
            .order_by(Meeting.held_on)
        )
    )


def default_meeting(*, session: Session, plan: Plan, as_at: date) -> Meeting | None:
    """The plan's board's latest meeting on or before the as-at date."""
    if plan.board_id is None:
        return None
    return session.exec(
        select(Meeting)
        .where(Meeting.board_id == plan.board_id, Meeting.held_on <= as_at)
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
