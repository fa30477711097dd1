"""A plan at a date: the one builder progress, the plan page and every report start from."""

from datetime import date

import pytest

from app.domain.plans import read_plan_view
from app.domain.progress import get_plan, progress_as_at, progress_from_snapshot
from app.domain.snapshot import percent, plan_snapshot, snapshot_at
from tests.factories import build_plan

AS_AT = date(2018, 3, 31)


@pytest.fixture
def demo_plan(session):
    return get_plan(session=session, slug="reducing-offending-2015-18")


@pytest.fixture
def demo_snapshot(session, demo_plan):
    return plan_snapshot(session=session, plan=demo_plan, as_at=AS_AT)


def figures(counts) -> tuple:
    return (counts.scheduled, counts.complete, counts.percent_complete, counts.in_progress)


def test_the_demo_framework_as_at_31_march_2018(demo_snapshot):
    assert figures(demo_snapshot.counts) == (53, 42, 79, 11)
    assert [theme.title for theme in demo_snapshot.themes] == [
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ]
    assert [s.action for s in demo_snapshot.statuses] == demo_snapshot.actions


def test_each_theme_holds_its_own_actions_and_the_themes_add_up(demo_snapshot):
    by_theme = demo_snapshot.statuses_by_theme
    assert list(by_theme) == [theme.id for theme in demo_snapshot.themes]
    for theme_id, statuses in by_theme.items():
        assert {s.action.theme_id for s in statuses} == {theme_id}
        assert demo_snapshot.counts_by_theme[theme_id].total == len(statuses)
    assert sum(len(statuses) for statuses in by_theme.values()) == len(demo_snapshot.statuses)
    for field in ("total", "scheduled", "complete", "in_progress", "not_started", "overdue"):
        assert sum(
            getattr(counts, field) for counts in demo_snapshot.counts_by_theme.values()
        ) == getattr(demo_snapshot.counts, field)


def test_progress_from_a_snapshot_needs_no_query(session, demo_plan, count_statements):
    snapshot = plan_snapshot(session=session, plan=demo_plan, as_at=AS_AT)
    with count_statements() as statements:
        progress = progress_from_snapshot(snapshot)
    assert statements.count == 0
    assert progress == progress_as_at(session=session, plan=demo_plan, as_at=AS_AT)


def test_the_same_plan_at_another_date_is_one_query_and_the_same_as_a_new_snapshot(
    session, demo_plan, demo_snapshot, count_statements
):
    earlier = date(2017, 3, 31)
    with count_statements() as statements:
        again = snapshot_at(session=session, snapshot=demo_snapshot, as_at=earlier)
    assert statements.count == 1
    fresh = plan_snapshot(session=session, plan=demo_plan, as_at=earlier)
    assert again.counts == fresh.counts != demo_snapshot.counts
    assert again.counts_by_theme == fresh.counts_by_theme
    assert [(s.action.id, s.update) for s in again.statuses] == [
        (s.action.id, s.update) for s in fresh.statuses
    ]


AT = date(2021, 3, 31)


# Statements for a plan of 50 and of 500 actions (build_plan: no board, groups, organisations
# or people), counted after expire_all, so reloading the plan itself is one of them.
# progress_as_at's count is in test_progress, the reports' in tests/reports.
@pytest.mark.parametrize(
    "build, statements",
    [
        (lambda session, plan: plan_snapshot(session=session, plan=plan, as_at=AT), 4),
        # The snapshot, then delivery groups, commitments, outcomes, organisations and people,
        # then its progress over time (the actions' due dates and their updates: this plan has
        # no board, so no meetings); 14 when it ran the themes, actions and updates queries
        # twice (once more in progress_as_at).
        (lambda session, plan: read_plan_view(session=session, plan=plan, as_at=AT), 11),
    ],
    ids=["plan_snapshot", "read_plan_view"],
)
def test_statements_do_not_grow_with_the_plan(session, count_statements, build, statements):
    small, large = build_plan(session, 50), build_plan(session, 500)
    session.expire_all()
    with count_statements() as at_50:
        build(session, small)
    session.expire_all()
    with count_statements() as at_500:
        build(session, large)
    assert at_50.count == at_500.count == statements


@pytest.mark.parametrize(
    "part, whole, expected",
    [
        (42, 53, 79),
        (1, 8, 13),
        (5, 8, 63),
        (1, 3, 33),
        (2, 3, 67),
        (0, 7, 0),
        (7, 7, 100),
        (0, 0, None),
    ],
)
def test_percentages_round_half_up(part, whole, expected):
    assert percent(part, whole) == expected
