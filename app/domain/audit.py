"""The audit trail: one append-only event for every change, with who, when, what, before, after."""

import json
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from app.core.models import AuditEvent, User


def _json(value) -> str | None:
    if value is None:
        return None

    def default(item):
        if isinstance(item, (date, datetime)):
            return item.isoformat()
        return str(item)

    return json.dumps(value, default=default, sort_keys=True)


def record_event(
    session: Session,
    *,
    user: User | None,
    verb: str,
    entity_type: str,
    entity_id: int | None,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
    actor: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=datetime.now(UTC),
        user_id=user.id if user else None,
        actor=actor or (user.email if user else "system"),
        verb=verb,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary[:500],
        before_json=_json(before),
        after_json=_json(after),
    )
    session.add(event)
    session.flush()
    return event


def read_events(
    session: Session,
    *,
    actor: str | None = None,
    verb: str | None = None,
    entity_type: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
    offset: int = 0,
    before_id: int | None = None,
) -> list[AuditEvent]:
    """Events newest first; ``before_id`` pages on from an event (the API's cursor)."""
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if actor:
        query = query.where(AuditEvent.actor.contains(actor.strip().lower()))
    if verb:
        query = query.where(AuditEvent.verb == verb)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if since:
        query = query.where(
            AuditEvent.occurred_at >= datetime.combine(since, datetime.min.time(), UTC)
        )
    if until:
        query = query.where(
            AuditEvent.occurred_at < datetime.combine(until, datetime.max.time(), UTC)
        )
    return list(
        session.exec(
            query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def audit_filter_choices(*, session: Session) -> tuple[list[str], list[str]]:
    """The verbs and the kinds of thing the audit log holds, for its filters."""
    verbs = sorted(set(session.exec(select(AuditEvent.verb).distinct())))
    entity_types = sorted(set(session.exec(select(AuditEvent.entity_type).distinct())))
    return verbs, entity_types
