"""A plan's progress over time agrees, point by point, with the plan read as at each date."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.core.models import Board, Meeting, Stage
from app.domain.progress import get_plan
from app.domain.snapshot import plan_snapshot
from app.domain.trajectory import read_trajectory
from tests.factories import build_plan

DEMO = [
    ("reducing-offending-2015-18", date(2018, 3, 31)),
    ("reduced-offending-2018-21", date(2020, 1, 15)),
    ("managing-offenders-2018-21", date(2021, 3, 31)),
    ("police-and-crime-plan-2021-24", date(2023, 10, 10)),
]


@pytest.mark.parametrize(("slug", "as_at"), DEMO)
def test_every_point_agrees_with_the_plan_as_at_that_date(session, slug, as_at):
    plan = get_plan(session=session, slug=slug)
    trajectory = read_trajectory(session=session, plan=plan, as_at=as_at)
    assert trajectory.points, slug
    assert trajectory.points[-1].on == as_at
    # The report's own date ends the line: named for the meeting when it is one.
    assert trajectory.points[-1].label.startswith(("As at ", "PFCP, 10 October 2023"))
    for point in trajectory.points:
        snapshot = plan_snapshot(session=session, plan=plan, as_at=point.on)
        assert point.due == snapshot.counts.scheduled, (slug, point)
        assert point.completed_of_due == snapshot.counts.complete, (slug, point)
        assert point.percent_of_due == snapshot.counts.percent_complete
        early = sum(
            1
            for status in snapshot.statuses
            if status.stage == Stage.complete and status.action.due_date > point.on
        )
        assert point.completed == snapshot.counts.complete + early, (slug, point)
    assert [point.on for point in trajectory.points] == sorted(p.on for p in trajectory.points)


def test_the_points_are_the_meetings_of_the_plan_s_own_board_that_were_held(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    board = session.get(Board, plan.board_id)
    held = session.exec(
        select(Meeting.held_on).where(
            Meeting.board_id == board.id,
            Meeting.held_on >= plan.period_start,
            Meeting.held_on <= date(2018, 3, 31),
            Meeting.cancelled_at.is_(None),
        )
    ).all()
    assert held, "the demo board has meetings in the plan's period"
    trajectory = read_trajectory(session=session, plan=plan, as_at=date(2018, 3, 31))
    meetings = [point for point in trajectory.points if not point.label.startswith("As at")]
    assert sorted(held) == [point.on for point in meetings]
    assert all(point.label.startswith(f"{board.short_name}, ") for point in meetings)
    assert trajectory.basis == f"meetings of the {board.short_name}"
    assert "Line chart of actions due and actions completed" in trajectory.description

    # A cancelled meeting is not a point.
    meeting = session.exec(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.held_on == held[0])
    ).one()
    meeting.cancelled_at = datetime(2017, 1, 1, tzinfo=UTC)
    session.add(meeting)
    session.flush()
    again = read_trajectory(session=session, plan=plan, as_at=date(2018, 3, 31))
    assert held[0] not in [point.on for point in again.points]


def test_a_plan_whose_board_has_no_meetings_is_drawn_at_quarter_ends(session):
    plan = build_plan(session, 9)  # runs 2020-04-01 to 2021-03-31 in the factory
    plan.board_id = None
    session.add(plan)
    session.flush()
    trajectory = read_trajectory(session=session, plan=plan, as_at=date(2021, 2, 10))
    assert trajectory.basis == "quarter ends"
    days = [point.on for point in trajectory.points]
    assert days[-1] == date(2021, 2, 10)
    assert all(day.month in (3, 6, 9, 12) for day in days[:-1]), days
    # The factory's actions are all due on 1 January 2021; a third completed on 1 September 2020.
    by_day = {point.on: point for point in trajectory.points}
    assert (by_day[date(2020, 9, 30)].due, by_day[date(2020, 9, 30)].completed) == (0, 3)
    assert (by_day[date(2020, 12, 31)].due, by_day[date(2020, 12, 31)].completed) == (0, 3)
    assert (by_day[date(2021, 2, 10)].due, by_day[date(2021, 2, 10)].completed_of_due) == (9, 3)


def test_the_queries_do_not_grow_with_meetings_actions_or_updates(session, count_statements):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    with count_statements() as few:
        read_trajectory(session=session, plan=plan, as_at=date(2015, 9, 30))
    with count_statements() as many:
        trajectory = read_trajectory(session=session, plan=plan, as_at=date(2018, 3, 31))
    assert len(trajectory.points) > 3
    assert few.count == many.count <= 4
    large = build_plan(session, 200)
    with count_statements() as big:
        read_trajectory(session=session, plan=large, as_at=date(2021, 3, 31))
    assert big.count <= 4
