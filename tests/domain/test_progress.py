from datetime import date

import pytest

from app.domain.progress import get_plan, headline, progress_as_at
from tests.factories import build_plan, make_action, make_plan, make_theme, make_update

AS_AT = date(2018, 3, 31)


@pytest.fixture
def demo_plan(session):
    return get_plan(session=session, slug="reducing-offending-2015-18")


def test_the_demo_framework_as_at_31_march_2018(session, demo_plan):
    progress = progress_as_at(session=session, plan=demo_plan, as_at=AS_AT)
    assert (progress.scheduled, progress.complete, progress.in_progress) == (53, 42, 11)
    assert progress.not_started == 0
    assert progress.overdue == 0
    assert progress.percent_complete == 79
    assert progress.headline == (
        "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%) have been "
        "completed, with a further 11 in progress."
    )
    assert [theme.title for theme in progress.by_theme] == [
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ]


def test_theme_rows_add_up_to_the_plan(session, demo_plan):
    progress = progress_as_at(session=session, plan=demo_plan, as_at=AS_AT)
    for field in ("total", "scheduled", "complete", "in_progress", "not_started", "overdue"):
        assert sum(getattr(theme, field) for theme in progress.by_theme) == getattr(progress, field)
    for row in [progress, *progress.by_theme]:
        stages = row.complete + row.in_progress + row.not_started + row.carried_forward
        assert stages == row.scheduled
        assert row.scheduled + row.not_yet_due + row.withdrawn == row.total
        # Every action of the demo is due by the as-at date, so every rated one is scheduled.
        assert sum(row.rag.values()) + row.not_rated == row.in_progress
    assert sum(progress.rag.values()) == 11
    assert progress.rag["red"] == 1


def test_after_the_refresh_the_outstanding_actions_are_carried_forward(session, demo_plan):
    progress = progress_as_at(session=session, plan=demo_plan, as_at=date(2018, 4, 30))
    assert progress.carried_forward == 11
    assert progress.in_progress == 0
    assert "with a further 11 carried forward" in progress.headline


def counts(**values):
    base = dict(
        scheduled=0,
        complete=0,
        in_progress=0,
        not_started=0,
        carried_forward=0,
        overdue=0,
        percent_complete=None,
    )
    return base | values


@pytest.mark.parametrize(
    "values, expected",
    [
        (counts(), "No actions are scheduled for delivery by 31 March 2018."),
        (
            counts(scheduled=1, complete=1, percent_complete=100),
            "Of the 1 action scheduled for delivery by 31 March 2018, 1 (100%) has been completed.",
        ),
        (
            counts(
                scheduled=10,
                complete=5,
                in_progress=3,
                not_started=2,
                overdue=1,
                percent_complete=50,
            ),
            "Of the 10 actions scheduled for delivery by 31 March 2018, 5 (50%) have been "
            "completed, with a further 3 in progress and 2 not started. 1 action is overdue.",
        ),
        (
            counts(
                scheduled=6,
                complete=1,
                in_progress=2,
                carried_forward=1,
                not_started=2,
                overdue=4,
                percent_complete=17,
            ),
            "Of the 6 actions scheduled for delivery by 31 March 2018, 1 (17%) has been "
            "completed, with a further 2 in progress, 1 carried forward and 2 not started. "
            "4 actions are overdue.",
        ),
    ],
)
def test_headline_sentences(values, expected):
    assert headline(values, AS_AT) == expected


def test_scheduled_means_due_on_or_before_and_overdue_means_past_due(session):
    plan = make_plan(session)
    theme = make_theme(session, plan)
    on_the_day = make_action(session, plan, theme, due_date=date(2021, 3, 31))
    earlier = make_action(session, plan, theme, due_date=date(2021, 1, 31))
    later = make_action(session, plan, theme, due_date=date(2021, 4, 1))
    withdrawn = make_action(session, plan, theme, due_date=date(2020, 12, 31))
    make_update(session, on_the_day, effective_on=date(2020, 6, 1), rag="green")
    make_update(session, later, effective_on=date(2020, 6, 1), stage="complete")
    make_update(session, withdrawn, effective_on=date(2020, 6, 1), stage="withdrawn")
    progress = progress_as_at(session=session, plan=plan, as_at=date(2021, 3, 31))
    assert progress.total == 4
    assert progress.scheduled == 2  # on the day and earlier; not later, not withdrawn
    assert progress.in_progress == 1
    assert progress.not_started == 1
    assert progress.overdue == 1  # only the one due in January
    assert progress.not_yet_due == 1
    assert progress.withdrawn == 1
    assert progress.rag["green"] == 1
    assert earlier.id  # the overdue one


def test_progress_takes_the_same_number_of_queries_at_50_and_500_actions(session, count_statements):
    small, large = build_plan(session, 50), build_plan(session, 500)
    session.expire_all()
    with count_statements() as at_50:
        small_progress = progress_as_at(session=session, plan=small, as_at=date(2021, 3, 31))
    session.expire_all()
    with count_statements() as at_500:
        large_progress = progress_as_at(session=session, plan=large, as_at=date(2021, 3, 31))
    assert (small_progress.total, large_progress.total) == (50, 500)
    assert large_progress.complete == 167
    assert at_50.count == at_500.count == 4  # the plan (reloaded), themes, actions, updates
