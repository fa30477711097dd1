from datetime import UTC, date, datetime

from app.domain.status import statuses_as_at
from tests.factories import make_action, make_plan, make_theme, make_update


def status_of(session, plan, action, as_at):
    return next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=as_at)
        if s.action.id == action.id
    )


def test_an_action_with_no_update_is_not_started(session):
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    status = status_of(session, plan, action, date(2021, 1, 1))
    assert status.stage == "not_started"
    assert status.update is None
    assert status.rag is None


def test_the_latest_update_effective_on_or_before_the_date_wins(session):
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    make_update(session, action, effective_on=date(2020, 6, 1), rag="green", commentary="first")
    make_update(session, action, effective_on=date(2020, 9, 1), rag="amber", commentary="second")
    make_update(session, action, effective_on=date(2021, 1, 1), stage="complete", commentary="done")
    assert status_of(session, plan, action, date(2020, 5, 31)).stage == "not_started"
    assert status_of(session, plan, action, date(2020, 6, 1)).update.commentary == "first"
    assert status_of(session, plan, action, date(2020, 12, 31)).rag == "amber"
    assert status_of(session, plan, action, date(2021, 1, 1)).stage == "complete"


def test_a_back_dated_update_counts_from_its_effective_date(session):
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    make_update(session, action, effective_on=date(2020, 9, 1), rag="amber", commentary="late")
    # Recorded afterwards, but effective earlier: it is history, not the latest.
    make_update(
        session,
        action,
        effective_on=date(2020, 7, 1),
        rag="green",
        commentary="back-dated",
        recorded_at=datetime(2020, 10, 1, 9, tzinfo=UTC),
    )
    assert status_of(session, plan, action, date(2020, 8, 1)).update.commentary == "back-dated"
    assert status_of(session, plan, action, date(2020, 10, 1)).update.commentary == "late"


def test_of_several_updates_on_one_day_the_last_recorded_wins(session):
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    day = date(2020, 6, 1)
    make_update(
        session,
        action,
        effective_on=day,
        rag="green",
        commentary="morning",
        recorded_at=datetime(2020, 6, 1, 9, tzinfo=UTC),
    )
    make_update(
        session,
        action,
        effective_on=day,
        rag="red",
        corrective_action="escalate",
        commentary="afternoon",
        recorded_at=datetime(2020, 6, 1, 15, tzinfo=UTC),
    )
    make_update(
        session,
        action,
        effective_on=day,
        rag="amber",
        commentary="noon",
        recorded_at=datetime(2020, 6, 1, 12, tzinfo=UTC),
    )
    status = status_of(session, plan, action, day)
    assert status.update.commentary == "afternoon"
    assert status.rag == "red"


def test_a_withdrawn_action_is_withdrawn_and_has_no_rag(session):
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    make_update(session, action, effective_on=date(2020, 6, 1), rag="amber")
    make_update(
        session,
        action,
        effective_on=date(2020, 8, 1),
        stage="withdrawn",
        commentary="superseded by the national programme",
    )
    status = status_of(session, plan, action, date(2020, 9, 1))
    assert status.stage == "withdrawn"
    assert status.rag is None
    assert not status.is_overdue(date(2025, 1, 1))


def test_unapproved_updates_are_not_counted(session):
    plan = make_plan(session, requires_approval=True)
    action = make_action(session, plan, make_theme(session, plan))
    make_update(session, action, effective_on=date(2020, 6, 1), rag="green")
    make_update(
        session, action, effective_on=date(2020, 7, 1), stage="complete", review_state="submitted"
    )
    make_update(
        session, action, effective_on=date(2020, 7, 2), rag="amber", review_state="returned"
    )
    assert status_of(session, plan, action, date(2020, 8, 1)).rag == "green"
    every = statuses_as_at(
        session=session, plan_id=plan.id, as_at=date(2020, 8, 1), approved_only=False
    )
    assert every[0].rag == "amber"
