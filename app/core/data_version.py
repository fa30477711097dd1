"""The data version: one rule, applied to every session, for "has this plan's data changed?".

Every flush notes which plans its writes belong to (a status update through its action, a theme
or milestone by its plan) or that it wrote something shared between plans (a person, an
organisation, a meeting, an indicator value). Just before the transaction commits, the noted
rows of ``data_version`` take a new random value, in id order (so two transactions never wait
on each other's rows in opposite orders), in the same transaction as the writes: a reader that
sees the new data sees the new version, and a write that rolls back moves nothing. Random, not
counted: a version is never reused, so a cache can never mistake old data for new after a
rollback, a restore or a downgrade. Until it commits, a session that has written holds
``pending_writes``: what it reads is not yet any version's, so it must not be cached.

Tables that no page or report shows (sign-in sessions, attempts, the audit log, tokens,
reminders, the report files made from the data) move nothing. A bulk INSERT, UPDATE or DELETE
through the session counts as shared.
"""

import secrets

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from app.core.models import (
    Action,
    ActionPartner,
    ApiToken,
    ApiTokenPlan,
    AuditEvent,
    AuthSession,
    DataVersion,
    Plan,
    Reminder,
    ReportJob,
    SignInAttempt,
    StatusUpdate,
)

SHARED = 0  # the row for writes that are not one plan's
_PENDING = "plantrack_data_version_pending"
_IGNORED = (
    AuditEvent,
    AuthSession,
    SignInAttempt,
    ApiToken,
    ApiTokenPlan,
    Reminder,
    DataVersion,
    ReportJob,
)
_VIA_ACTION = (StatusUpdate, ActionPartner)


def _pending(session: Session) -> set[int]:
    return session.info.setdefault(_PENDING, set())


def _plans_of(session: Session, objects) -> set[int]:
    plans: set[int] = set()
    action_ids: set[int] = set()
    for obj in objects:
        if isinstance(obj, _IGNORED):
            continue
        if isinstance(obj, Plan):
            plans.add(obj.id if obj.id is not None else SHARED)
            plans.add(SHARED)  # the list of plans changes with a plan's title or state
        elif isinstance(obj, _VIA_ACTION):
            if obj.action_id is None:
                plans.add(SHARED)
            else:
                action_ids.add(obj.action_id)
        elif getattr(obj, "plan_id", None) is not None:
            plans.add(obj.plan_id)
            if isinstance(obj, Action) and obj.carried_forward_from_id is not None:
                plans.add(SHARED)  # the plan it came from shows where it went
        else:
            plans.add(SHARED)
    if action_ids:
        found = session.connection().execute(
            select(Action.id, Action.plan_id).where(Action.id.in_(action_ids))
        )
        by_action = {row[0]: row[1] for row in found}
        plans.update(by_action.get(action_id, SHARED) for action_id in action_ids)
    return plans


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, _context) -> None:
    dirty = (obj for obj in session.dirty if session.is_modified(obj, include_collections=False))
    _pending(session).update(_plans_of(session, [*session.new, *session.deleted, *dirty]))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _pending(state.session).add(SHARED)


@event.listens_for(Session, "before_commit")
def _move_versions(session: Session) -> None:
    session.flush()  # the last writes are noted before the versions move
    keys = sorted(session.info.pop(_PENDING, set()))
    if not keys:
        return
    connection = session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = DataVersion.__table__
    for plan_id in keys:  # one at a time, in id order
        value = secrets.randbits(62)
        statement = insert(table).values(plan_id=plan_id, version=value)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.plan_id], set_={"version": value}
            )
        )


@event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(_PENDING, None)


def pending_writes(session: Session) -> bool:
    """Whether the session has written, and not yet committed, anything a page could show."""
    return bool(session.info.get(_PENDING)) or bool(session.new or session.dirty or session.deleted)


def data_version(session: Session, plan_id: int | None = None) -> str:
    """The version of what a view of ``plan_id`` (or of nothing plan-specific) can show, as a
    short string for cache keys and ETags: the shared value and the plan's, in one query."""
    wanted = [SHARED] if plan_id is None else [SHARED, plan_id]
    rows = dict(
        session.exec(
            select(DataVersion.plan_id, DataVersion.version).where(DataVersion.plan_id.in_(wanted))
        ).all()
    )
    return ".".join(str(rows.get(key, 0)) for key in wanted)
