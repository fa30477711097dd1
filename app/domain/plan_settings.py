"""A plan's yes/no settings (a public view, approval of updates), changed with an audit event."""

from sqlmodel import Session

from app.core.models import Plan, User
from app.domain.audit import record_event

# The settings the office may switch, with how the audit log words each change.
SWITCHES = {
    "is_public": (
        "set_public",
        lambda plan, on: ("Published" if on else "Withdrew") + f" the public view of {plan}",
    ),
    "requires_approval": (
        "set_approval",
        lambda plan, on: (
            f"Updates to {plan} "
            + ("now need the office's approval" if on else "no longer need approval")
        ),
    ),
}


def set_plan_switch(*, session: Session, plan: Plan, user: User, field: str, value: bool) -> None:
    verb, summary = SWITCHES[field]
    before = getattr(plan, field)
    setattr(plan, field, value)
    session.add(plan)
    record_event(
        session,
        user=user,
        verb=verb,
        entity_type="plan",
        entity_id=plan.id,
        summary=summary(plan.short_title, value),
        before={field: before},
        after={field: value},
    )
