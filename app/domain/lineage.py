"""Where a plan's carried-forward actions came from and where its own went."""

from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.core.models import Action, Plan


@dataclass(frozen=True)
class LinkedPlan:
    slug: str
    title: str
    actions: int  # carried forward from it (inherited) or into it (successors)


@dataclass(frozen=True)
class Lineage:
    inherited: list[LinkedPlan]
    successors: list[LinkedPlan]


def plan_lineage(
    *, session: Session, plan: Plan, plan_ids: frozenset[int] | None = None
) -> Lineage:
    """Two queries, whatever the number of actions. Only plans among ``plan_ids`` (those the
    reader may read; None: every plan) are named."""
    original = aliased(Action)
    readable = (lambda column: [column.in_(plan_ids)]) if plan_ids is not None else (lambda _: [])
    inherited = session.exec(
        select(Plan.slug, Plan.title, func.count(Action.id))
        .select_from(Action)
        .join(original, original.id == Action.carried_forward_from_id)
        .join(Plan, Plan.id == original.plan_id)
        .where(Action.plan_id == plan.id, *readable(Plan.id))
        .group_by(Plan.id, Plan.slug, Plan.title, Plan.period_start)
        .order_by(Plan.period_start, Plan.id)
    ).all()
    successor, copy = aliased(Plan), aliased(Action)
    successors = session.exec(
        select(successor.slug, successor.title, func.count(original.id))
        .select_from(successor)
        .outerjoin(copy, copy.plan_id == successor.id)
        .outerjoin(
            original, and_(original.id == copy.carried_forward_from_id, original.plan_id == plan.id)
        )
        .where(successor.predecessor_id == plan.id, *readable(successor.id))
        .group_by(successor.id, successor.slug, successor.title, successor.period_start)
        .order_by(successor.period_start, successor.id)
    ).all()
    return Lineage(
        inherited=[LinkedPlan(*row) for row in inherited],
        successors=[LinkedPlan(*row) for row in successors],
    )
