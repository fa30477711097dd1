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
        "completed, with a further 11 in progress (1 Red)."
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
        # The ratings beside the stages count the same actions: those in progress and due.
        assert sum(row.rag.values()) + row.not_rated == row.in_progress
        assert sum(row.later_rag.values()) + row.later_not_rated == row.later_in_progress
    assert sum(progress.rag.values()) == 11
    assert progress.rag["red"] == 1


def test_after_the_refresh_the_outstanding_actions_are_carried_forward(session, demo_plan):
    progress = progress_as_at(session=session, plan=demo_plan, as_at=date(2018, 4, 30))
    assert progress.carried_forward == 11
    assert progress.ratings_label == "Ratings of the 0 actions in progress that are due"
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


@pytest.mark.parametrize(
    "values, expected",
    [
        (
            counts(
                scheduled=10,
                complete=10,
                percent_complete=100,
                not_yet_due=13,
                later_in_progress=13,
                later_rag={"green": 12, "red": 1},
            ),
            "Of the 10 actions scheduled for delivery by 31 March 2018, 10 (100%) have been "
            "completed. A further 13 actions are due later in the plan, all 13 in progress "
            "(1 Red).",
        ),
        (
            counts(
                scheduled=10,
                complete=10,
                percent_complete=100,
                not_yet_due=13,
                later_complete=2,
                later_in_progress=10,
                later_not_started=1,
                later_rag={"amber": 9, "red": 1},
            ),
            "Of the 10 actions scheduled for delivery by 31 March 2018, 10 (100%) have been "
            "completed. A further 13 actions are due later in the plan: 2 already completed, "
            "10 in progress (1 Red) and 1 not started.",
        ),
        (
            counts(
                scheduled=4,
                complete=2,
                in_progress=2,
                overdue=1,
                percent_complete=50,
                rag={"red": 2},
                not_yet_due=1,
                later_not_started=1,
            ),
            "Of the 4 actions scheduled for delivery by 31 March 2018, 2 (50%) have been "
            "completed, with a further 2 in progress (2 Red). 1 action is overdue. A further "
            "1 action is due later in the plan, not started.",
        ),
        (
            counts(not_yet_due=3, later_complete=3),
            "No actions are scheduled for delivery by 31 March 2018. 3 actions are due later "
            "in the plan, all 3 already completed.",
        ),
    ],
)
def test_the_headline_goes_on_to_what_is_due_later(values, expected):
    assert headline(values, AS_AT) == expected


# The plans of the demo at three dates each: the headline names every action, due or later,
# and every Red one.
DEMO_HEADLINES = [
    (
        "police-and-crime-plan-2021-24",
        date(2023, 10, 10),
        "Of the 10 actions scheduled for delivery by 10 October 2023, 10 (100%) have been "
        "completed. A further 13 actions are due later in the plan, all 13 in progress (1 Red).",
    ),
    (
        "managing-offenders-2018-21",
        date(2019, 4, 17),
        "Of the 3 actions scheduled for delivery by 17 April 2019, 3 (100%) have been "
        "completed. A further 12 actions are due later in the plan: 11 in progress (2 Red) and "
        "1 not started.",
    ),
    (
        "reduced-offending-2018-21",
        date(2019, 5, 23),
        "Of the 23 actions scheduled for delivery by 23 May 2019, 17 (74%) have been "
        "completed, with a further 6 in progress. 6 actions are overdue. A further 10 actions "
        "are due later in the plan: 2 already completed and 8 in progress.",
    ),
]


@pytest.mark.parametrize("slug, as_at, expected", DEMO_HEADLINES)
def test_demo_headlines(session, slug, as_at, expected):
    progress = progress_as_at(
        session=session, plan=get_plan(session=session, slug=slug), as_at=as_at
    )
    assert progress.headline == expected
    stages = (
        progress.later_complete
        + progress.later_in_progress
        + progress.later_not_started
        + progress.later_carried_forward
    )
    assert stages == progress.not_yet_due
    assert progress.scheduled + progress.not_yet_due + progress.withdrawn == progress.total


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
    assert progress.later_complete == 1  # completed early: counted among those due later
    assert "A further 1 action is due later in the plan, already completed." in progress.headline
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
