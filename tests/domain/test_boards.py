"""Boards and meetings: the office's changes, checked field by field and audited; cancelled
meetings out of the cycle and the pickers; a plan's reports only under its own board's meetings."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, Board, Meeting, Plan, PublishedReport
from app.domain.boards import (
    BoardRejected,
    MeetingCancelled,
    MeetingOfAnotherBoard,
    add_meeting,
    cancel_meeting,
    create_board,
    default_meeting,
    get_board,
    meeting_for_plan,
    meetings_for_plan,
    move_meeting,
    read_board_page,
    set_meeting_deadline,
)
from app.domain.cycle import board_meetings, cycle_for_meeting, next_meeting, update_deadline
from app.domain.errors import NotFound
from app.domain.progress import get_plan

TODAY = date.today()


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def events(session, verb: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.verb == verb)))


@pytest.fixture
def board(session):
    return create_board(session=session, user=None, name="Youth Justice Board", short_name="YJB")


@pytest.fixture
def omcdb(session):
    return get_board(session=session, short_name="OMCDB")


@pytest.fixture
def plan(session):
    return get_plan(session=session, slug="reduced-offending-2018-21")


def meeting_on(session, board: Board, day: date) -> Meeting:
    return session.exec(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.held_on == day)
    ).one()


# --- Boards -----------------------------------------------------------------------------------


def test_a_board_is_created_and_audited(session, board):
    assert get_board(session=session, short_name="YJB").name == "Youth Justice Board"
    (event,) = events(session, "create_board")
    assert event.entity_id == board.id
    assert json.loads(event.after_json) == {
        "name": "Youth Justice Board",
        "short_name": "YJB",
        "description": "",
    }


@pytest.mark.parametrize(
    "name, short_name, field, message",
    [
        ("", "NEW", "name", "Enter the board's name"),
        ("A board", "", "short_name", "Enter a short name"),
        ("A board", "has space", "short_name", "letters, digits and hyphens"),
        ("A board", "-dash", "short_name", "letters, digits and hyphens"),
        ("A board", "new", "short_name", "cannot be 'new'"),
        ("A board", "x" * 61, "short_name", "60 characters or fewer"),
        ("x" * 201, "NEW", "name", "200 characters or fewer"),
        ("Staffordshire Police and Crime Panel", "NEW", "name", "already a board called"),
        ("A board", "omcdb", "short_name", "is taken by the Offender Management"),
    ],
)
def test_a_bad_board_is_refused_field_by_field_and_nothing_is_written(
    session, name, short_name, field, message
):
    boards, audited = count(session, Board), count(session, AuditEvent)
    with pytest.raises(BoardRejected) as refused:
        create_board(session=session, user=None, name=name, short_name=short_name)
    assert message in refused.value.errors[field]
    assert count(session, Board) == boards and count(session, AuditEvent) == audited


# --- Meetings ---------------------------------------------------------------------------------


def test_a_meeting_is_added_with_the_default_deadline_or_its_own(session, board):
    first = add_meeting(session=session, user=None, board=board, held_on=date(2027, 3, 18))
    assert first.title == "YJB meeting" and first.update_deadline is None
    assert update_deadline(first) == date(2027, 3, 4)  # ten working days before
    second = add_meeting(
        session=session,
        user=None,
        board=board,
        held_on=date(2027, 6, 17),
        title="  YJB   quarterly  ",
        deadline=date(2027, 6, 1),
    )
    assert second.title == "YJB quarterly" and update_deadline(second) == date(2027, 6, 1)
    added = events(session, "add_meeting")
    assert [json.loads(e.after_json)["effective_deadline"] for e in added] == [
        "2027-03-04",
        "2027-06-01",
    ]


@pytest.mark.parametrize(
    "held_on, deadline, title, field, message",
    [
        (None, None, "", "held_on", "Enter the date of the meeting"),
        (date(2015, 11, 19), None, "", "held_on", "already has a meeting on 19 November 2015"),
        (date(2027, 3, 18), date(2027, 3, 18), "", "update_deadline", "must be before the meeting"),
        (date(2027, 3, 18), date(2027, 4, 1), "", "update_deadline", "must be before the meeting"),
        (date(2027, 3, 18), None, "x" * 201, "title", "200 characters or fewer"),
    ],
)
def test_a_bad_meeting_is_refused_and_nothing_is_written(
    session, omcdb, held_on, deadline, title, field, message
):
    meetings, audited = count(session, Meeting), count(session, AuditEvent)
    with pytest.raises(BoardRejected) as refused:
        add_meeting(
            session=session,
            user=None,
            board=omcdb,
            held_on=held_on,
            title=title,
            deadline=deadline,
        )
    assert message in refused.value.errors[field]
    assert count(session, Meeting) == meetings and count(session, AuditEvent) == audited


def test_a_meeting_is_moved_with_before_and_after(session, board):
    meeting = add_meeting(session=session, user=None, board=board, held_on=date(2027, 3, 18))
    move_meeting(
        session=session, user=None, board=board, meeting=meeting, held_on=date(2027, 3, 25)
    )
    assert meeting.held_on == date(2027, 3, 25) and update_deadline(meeting) == date(2027, 3, 11)
    (event,) = events(session, "move_meeting")
    assert json.loads(event.before_json)["held_on"] == "2027-03-18"
    assert json.loads(event.after_json)["held_on"] == "2027-03-25"
    assert "18 March 2027 to 25 March 2027" in event.summary


def test_a_move_is_refused_onto_another_meeting_past_its_own_deadline_or_in_place(session, board):
    first = add_meeting(session=session, user=None, board=board, held_on=date(2027, 3, 18))
    add_meeting(session=session, user=None, board=board, held_on=date(2027, 6, 17))
    tight = add_meeting(
        session=session,
        user=None,
        board=board,
        held_on=date(2027, 9, 16),
        deadline=date(2027, 9, 1),
    )
    audited = count(session, AuditEvent)
    for meeting, day, message in [
        (first, date(2027, 6, 17), "already has a meeting on 17 June 2027"),
        (first, date(2027, 3, 18), "already on 18 March 2027"),
        (first, None, "Enter the new date"),
        (tight, date(2027, 8, 30), "change the deadline first"),
    ]:
        with pytest.raises(BoardRejected, match=message):
            move_meeting(session=session, user=None, board=board, meeting=meeting, held_on=day)
    assert first.held_on == date(2027, 3, 18) and tight.held_on == date(2027, 9, 16)
    assert count(session, AuditEvent) == audited


def test_the_deadline_is_overridden_then_set_back_to_the_default(session, board):
    meeting = add_meeting(session=session, user=None, board=board, held_on=date(2027, 3, 18))
    set_meeting_deadline(
        session=session, user=None, board=board, meeting=meeting, deadline=date(2027, 2, 26)
    )
    assert update_deadline(meeting) == date(2027, 2, 26)
    set_meeting_deadline(session=session, user=None, board=board, meeting=meeting, deadline=None)
    assert update_deadline(meeting) == date(2027, 3, 4)
    first, second = events(session, "set_meeting_deadline")
    assert json.loads(first.before_json)["effective_deadline"] == "2027-03-04"
    assert json.loads(first.after_json)["update_deadline"] == "2027-02-26"
    assert json.loads(second.after_json)["update_deadline"] is None
    with pytest.raises(BoardRejected, match="before the meeting"):
        set_meeting_deadline(
            session=session, user=None, board=board, meeting=meeting, deadline=date(2027, 3, 19)
        )


def test_a_cancelled_meeting_leaves_the_cycle_and_the_pickers(session, omcdb, plan):
    today = date(2019, 5, 1)
    may = meeting_on(session, omcdb, date(2019, 5, 23))
    september = meeting_on(session, omcdb, date(2019, 9, 12))
    assert next_meeting(session, board_id=omcdb.id, today=today).id == may.id

    cancel_meeting(session=session, user=None, board=omcdb, meeting=may, reason="No quorum")

    assert may.cancelled_at is not None
    assert may.id not in [m.id for m in board_meetings(session, board_id=omcdb.id)]
    assert may.id not in [m.id for m, _ in meetings_for_plan(session=session, plan=plan)]
    assert next_meeting(session, board_id=omcdb.id, today=today).id == september.id
    # The next meeting's cycle opens at the meeting before the cancelled one.
    assert cycle_for_meeting(session, meeting=september).previous.held_on == date(2019, 2, 28)
    assert default_meeting(session=session, plan=plan, as_at=date(2019, 6, 30)).held_on == date(
        2019, 2, 28
    )
    with pytest.raises(MeetingCancelled, match="was cancelled"):
        meeting_for_plan(session=session, plan=plan, meeting_id=may.id)
    (event,) = events(session, "cancel_meeting")
    assert "No quorum" in event.summary and json.loads(event.before_json)["cancelled_at"] is None
    # Still on the board's page, marked.
    rows = read_board_page(session=session, board=omcdb).meetings
    assert next(r for r in rows if r.meeting.id == may.id).cancelled
    with pytest.raises(BoardRejected, match="cancelled"):
        cancel_meeting(session=session, user=None, board=omcdb, meeting=may)
    with pytest.raises(BoardRejected, match="cancelled"):
        move_meeting(session=session, user=None, board=omcdb, meeting=may, held_on=today)


def test_a_meeting_with_reports_published_for_it_is_neither_moved_nor_cancelled(
    session, omcdb, plan
):
    meeting = meeting_on(session, omcdb, date(2019, 5, 23))
    session.add(
        PublishedReport(
            plan_id=plan.id,
            meeting_id=meeting.id,
            kind="appendix",
            title="Appendix",
            as_at=date(2019, 5, 1),
            published_at=datetime(2019, 5, 2, tzinfo=UTC),
            model_json="{}",
        )
    )
    session.flush()
    for change in (
        lambda: cancel_meeting(session=session, user=None, board=omcdb, meeting=meeting),
        lambda: move_meeting(
            session=session, user=None, board=omcdb, meeting=meeting, held_on=date(2019, 5, 30)
        ),
    ):
        with pytest.raises(BoardRejected, match="Reports have been published"):
            change()
    assert meeting.cancelled_at is None and meeting.held_on == date(2019, 5, 23)


# --- A plan's meetings ------------------------------------------------------------------------


def test_the_pickers_list_only_the_plans_own_boards_meetings(session, plan, omcdb):
    listed = meetings_for_plan(session=session, plan=plan)
    assert listed and {board.id for _, board in listed} == {omcdb.id}
    assert all(meeting.held_on >= plan.period_start for meeting, _ in listed)
    assert [m.held_on for m, _ in listed] == sorted(m.held_on for m, _ in listed)
    boardless = Plan(
        slug="no-board",
        title="No board",
        short_title="No board",
        period_start=date(2020, 1, 1),
        period_end=date(2021, 1, 1),
    )
    session.add(boardless)
    session.flush()
    assert meetings_for_plan(session=session, plan=boardless) == []


def test_a_meeting_of_another_board_is_refused_with_both_boards_named(session, plan):
    panel = get_board(session=session, short_name="PFCP")
    other = session.exec(select(Meeting).where(Meeting.board_id == panel.id)).first()
    with pytest.raises(MeetingOfAnotherBoard) as refused:
        meeting_for_plan(session=session, plan=plan, meeting_id=other.id)
    assert "(PFCP)" in refused.value.message and "(OMCDB)" in refused.value.message
    with pytest.raises(NotFound):
        meeting_for_plan(session=session, plan=plan, meeting_id=10**9)
    own = meetings_for_plan(session=session, plan=plan)[0][0]
    assert meeting_for_plan(session=session, plan=plan, meeting_id=own.id) is own


def test_next_meeting_looks_only_ahead(session, board):
    assert next_meeting(session, board_id=board.id, today=TODAY) is None
    add_meeting(session=session, user=None, board=board, held_on=TODAY - timedelta(days=1))
    assert next_meeting(session, board_id=board.id, today=TODAY) is None
    ahead = add_meeting(session=session, user=None, board=board, held_on=TODAY)
    assert next_meeting(session, board_id=board.id, today=TODAY).id == ahead.id
