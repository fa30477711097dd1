"""Recording updates: validation, the version check, approval, audit."""

from datetime import date

import pytest
from sqlmodel import func, select

from app.core.models import Action, AuditEvent, Plan, StatusUpdate, User
from app.domain.progress import get_plan
from app.domain.status import statuses_as_at
from app.domain.updates import (
    ReviewError,
    UpdateConflict,
    UpdateIn,
    UpdateRejected,
    record_update,
    review_update,
)

TODAY = date(2026, 11, 21)


@pytest.fixture
def plan(session) -> Plan:
    return get_plan(session=session, slug="reduced-offending-2018-21")


@pytest.fixture
def action(session, plan) -> Action:
    return session.exec(select(Action).where(Action.plan_id == plan.id, Action.ref == "OM1")).one()


def user(session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def update_in(action, **overrides) -> UpdateIn:
    values = dict(
        stage="in_progress",
        rag="amber",
        commentary="Progressing.",
        corrective_action="",
        effective_on=date(2019, 3, 1),
        expected_version=action.version,
    )
    return UpdateIn(**(values | overrides))


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_an_update_is_appended_and_audited(session, plan, action):
    editor = user(session, "omrr.lead@plantrack.example")
    version = action.version
    created = record_update(
        session,
        action=action,
        plan=plan,
        user=editor,
        update_in=update_in(action, rag="red", corrective_action="Escalate to OMCDB."),
        today=TODAY,
    )
    assert created.review_state == "approved"
    assert action.version == version + 1
    status = next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=TODAY)
        if s.action.id == action.id
    )
    assert status.rag == "red"
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.verb == "record_update" and event.user_id == editor.id
    assert '"corrective_action": "Escalate to OMCDB."' in event.after_json


LONG = "x" * 10_001


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"commentary": "   "}, "commentary", "Enter a commentary"),
        ({"commentary": LONG}, "commentary", "10,000 characters or fewer"),
        ({"rag": "red"}, "corrective_action", "a Red rating needs one"),
        ({"stage": "complete", "rag": "green"}, "rag", "only given to an action in progress"),
        ({"stage": "in_progress", "rag": None}, "rag", "Choose a RAG rating"),
        ({"rag": "amber_red"}, "rag", "this plan's RAG ratings"),
        ({"stage": "finished", "rag": None}, "stage", "Choose the stage"),
        ({"effective_on": date(2018, 3, 31)}, "effective_on", "start of the plan, 1 April 2018"),
        ({"effective_on": date(2026, 11, 22)}, "effective_on", "cannot be in the future"),
        ({"effective_on": None}, "effective_on", "Enter the date"),
    ],
)
def test_bad_updates_are_refused_with_a_message_and_nothing_is_written(
    session, plan, action, overrides, field, message
):
    before = count(session, StatusUpdate), count(session, AuditEvent), action.version
    with pytest.raises(UpdateRejected) as rejected:
        record_update(
            session,
            action=action,
            plan=plan,
            user=user(session, "admin@plantrack.example"),
            update_in=update_in(action, **overrides),
            today=TODAY,
        )
    assert message in rejected.value.errors[field]
    assert (count(session, StatusUpdate), count(session, AuditEvent), action.version) == before


def test_the_second_of_two_simultaneous_updates_gets_a_conflict_and_neither_is_lost(
    session, plan, action
):
    editor = user(session, "omrr.lead@plantrack.example")
    admin = user(session, "admin@plantrack.example")
    drawn_at = action.version  # both people opened the form at this version
    record_update(
        session,
        action=action,
        plan=plan,
        user=editor,
        update_in=update_in(action, commentary="First", expected_version=drawn_at),
        today=TODAY,
    )
    with pytest.raises(UpdateConflict) as conflict:
        record_update(
            session,
            action=action,
            plan=plan,
            user=admin,
            update_in=update_in(action, commentary="Second", expected_version=drawn_at),
            today=TODAY,
        )
    assert conflict.value.latest.commentary == "First"
    assert conflict.value.author.id == editor.id
    assert conflict.value.current_version == drawn_at + 1
    # Sent again against the version they have now seen, the second update is recorded too.
    record_update(
        session,
        action=action,
        plan=plan,
        user=admin,
        update_in=update_in(
            action, commentary="Second", expected_version=conflict.value.current_version
        ),
        today=TODAY,
    )
    texts = session.exec(
        select(StatusUpdate.commentary).where(StatusUpdate.action_id == action.id)
    ).all()
    assert "First" in texts and "Second" in texts


@pytest.fixture
def approval_plan(session):
    plan = get_plan(session=session, slug="managing-offenders-2018-21")
    assert plan.requires_approval
    iom = user(session, "iom.lead@plantrack.example")
    action = session.exec(
        select(Action).where(Action.plan_id == plan.id, Action.lead_person_id == iom.person_id)
    ).first()
    return plan, action, iom


def test_in_a_plan_needing_approval_reports_use_only_approved_updates(session, approval_plan):
    plan, action, iom = approval_plan
    before = next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=TODAY)
        if s.action.id == action.id
    )
    submitted = record_update(
        session,
        action=action,
        plan=plan,
        user=iom,
        update_in=update_in(action, stage="complete", rag=None, effective_on=date(2020, 1, 1)),
        today=TODAY,
    )
    assert submitted.review_state == "submitted"
    now = next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=TODAY)
        if s.action.id == action.id
    )
    assert now.update.id == before.update.id  # boards do not see it yet

    admin = user(session, "admin@plantrack.example")
    with pytest.raises(ReviewError, match="reason"):
        review_update(session, status_update=submitted, reviewer=admin, approve=False, reason=" ")
    with pytest.raises(ReviewError, match="Only the office"):
        review_update(session, status_update=submitted, reviewer=iom, approve=True)
    review_update(session, status_update=submitted, reviewer=admin, approve=True)
    now = next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=TODAY)
        if s.action.id == action.id
    )
    assert now.stage == "complete"
    with pytest.raises(ReviewError, match="already been reviewed"):
        review_update(
            session, status_update=submitted, reviewer=admin, approve=False, reason="late"
        )
    verbs = session.exec(select(AuditEvent.verb).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert verbs == ["approve_update", "record_update"]


def test_a_returned_update_never_reaches_the_reports(session, approval_plan):
    plan, action, iom = approval_plan
    submitted = record_update(
        session,
        action=action,
        plan=plan,
        user=iom,
        update_in=update_in(action, stage="withdrawn", rag=None),
        today=TODAY,
    )
    review_update(
        session,
        status_update=submitted,
        reviewer=user(session, "admin@plantrack.example"),
        approve=False,
        reason="Withdrawal needs the ACC's agreement.",
    )
    assert submitted.review_state == "returned"
    now = next(
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=TODAY)
        if s.action.id == action.id
    )
    assert now.stage != "withdrawn"
