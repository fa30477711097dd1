"""The data version moves with every write a page could show, and only when it commits."""

from datetime import UTC, datetime

from sqlmodel import Session

from app.core.data_version import data_version
from app.core.models import AuditEvent, Organisation
from tests.factories import make_action, make_plan, make_theme, make_update


def _commit(session: Session) -> None:
    session.commit()


def test_a_status_update_moves_its_plan_only(session):
    plan, other = make_plan(session), make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    make_theme(session, other)
    _commit(session)
    before, other_before = data_version(session, plan.id), data_version(session, other.id)
    make_update(session, action)
    _commit(session)
    after = data_version(session, plan.id)
    assert after != before
    assert after.split(".")[0] == before.split(".")[0]  # the shared value stayed
    assert data_version(session, other.id) == other_before


def test_a_shared_write_moves_every_plan(session):
    plan = make_plan(session)
    _commit(session)
    before = data_version(session, plan.id)
    session.add(Organisation(name="Another council", short_name="AC", kind="council"))
    _commit(session)
    assert data_version(session, plan.id) != before
    assert data_version(session) != before.split(".")[0]


def test_an_edit_moves_the_version_and_a_rollback_does_not(session):
    plan = make_plan(session)
    _commit(session)
    before = data_version(session, plan.id)
    plan.title = "Renamed in a transaction that fails"
    session.flush()
    session.rollback()
    assert data_version(session, plan.id) == before
    plan = session.merge(plan)
    plan.title = "Renamed"
    _commit(session)
    assert data_version(session, plan.id) != before


def test_writes_no_page_shows_move_nothing(session):
    plan = make_plan(session)
    _commit(session)
    before = data_version(session, plan.id)
    session.add(
        AuditEvent(
            occurred_at=datetime(2026, 12, 3, tzinfo=UTC),
            actor="test",
            verb="viewed",
            entity_type="plan",
        )
    )
    _commit(session)
    assert data_version(session, plan.id) == before


def test_a_session_that_has_written_holds_pending_writes_until_it_commits(session):
    from app.core.data_version import pending_writes

    plan = make_plan(session)  # flushed, not committed
    assert pending_writes(session)
    _commit(session)
    assert not pending_writes(session)
    plan.title = "Renamed"
    assert pending_writes(session)


def test_an_action_carried_forward_moves_the_plan_it_came_from_too(session):
    old, new = make_plan(session), make_plan(session)
    origin = make_action(session, old, make_theme(session, old))
    theme = make_theme(session, new)
    _commit(session)
    before = data_version(session, old.id)
    make_action(session, new, theme, carried_forward_from_id=origin.id)
    _commit(session)
    assert data_version(session, old.id) != before  # its page now says where it went


def test_a_bulk_statement_through_the_session_moves_the_shared_version(session):
    from sqlalchemy import update

    plan = make_plan(session)
    _commit(session)
    before = data_version(session, plan.id)
    session.execute(update(Organisation).where(Organisation.id == -1).values(name="x"))
    _commit(session)
    assert data_version(session, plan.id) != before
