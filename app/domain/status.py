"""The status of actions as at a date: the latest approved update effective on or before it."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from app.core.models import Action, ReviewState, Stage, StatusUpdate


@dataclass(frozen=True, slots=True)
class ActionStatus:
    action: Action
    update: StatusUpdate | None

    @property
    def stage(self) -> Stage:
        return Stage(self.update.stage) if self.update else Stage.not_started

    @property
    def rag(self) -> str | None:
        return self.update.rag if self.update and self.stage == Stage.in_progress else None

    def is_overdue(self, as_at: date) -> bool:
        return self.action.due_date < as_at and self.stage in OUTSTANDING_STAGES


OUTSTANDING_STAGES = frozenset({Stage.not_started, Stage.in_progress})


def _one_update_each(
    session: Session, *conditions, by_plan: bool = False, earliest: bool = False
) -> dict[int, StatusUpdate]:
    """Each action's latest (or ``earliest``) update among those matching ``conditions``, in one
    query. Updates are ordered by effective date, then the time recorded, then id, so several
    updates on one day resolve the way their authors made them. ``by_plan`` joins the action,
    for conditions on it."""
    order = (StatusUpdate.effective_on, StatusUpdate.recorded_at, StatusUpdate.id)
    ranked = select(
        StatusUpdate.id.label("update_id"),
        func.row_number()
        .over(
            partition_by=StatusUpdate.action_id,
            order_by=[column.asc() if earliest else column.desc() for column in order],
        )
        .label("rank"),
    )
    if by_plan:
        ranked = ranked.join(Action, Action.id == StatusUpdate.action_id)
    ranked = ranked.where(*conditions).subquery()
    rows = session.exec(
        select(StatusUpdate)
        .join(ranked, ranked.c.update_id == StatusUpdate.id)
        .where(ranked.c.rank == 1)
    ).all()
    return {update.action_id: update for update in rows}


def latest_updates_as_at(
    *, session: Session, plan_id: int, as_at: date, approved_only: bool = True
) -> dict[int, StatusUpdate]:
    """Each action's latest update effective on or before ``as_at``, in one query."""
    conditions = [Action.plan_id == plan_id, StatusUpdate.effective_on <= as_at]
    if approved_only:
        conditions.append(StatusUpdate.review_state == ReviewState.approved)
    return _one_update_each(session, *conditions, by_plan=True)


def latest_approved_updates(*, session: Session, action_ids: set[int]) -> dict[int, StatusUpdate]:
    """Each action's latest approved update (the status boards see now), in one query."""
    if not action_ids:
        return {}
    return _one_update_each(
        session,
        StatusUpdate.action_id.in_(action_ids),
        StatusUpdate.review_state == ReviewState.approved,
    )


def first_approved_updates(*, session: Session, action_ids: list[int]) -> dict[int, StatusUpdate]:
    """Each action's first approved update (earliest effective, then recorded, then id), in one
    query: for a carried-forward copy, the status it was carried forward with."""
    if not action_ids:
        return {}
    return _one_update_each(
        session,
        StatusUpdate.action_id.in_(action_ids),
        StatusUpdate.review_state == ReviewState.approved,
        earliest=True,
    )


def plan_actions(*, session: Session, plan_id: int) -> list[Action]:
    return list(
        session.exec(
            select(Action).where(Action.plan_id == plan_id).order_by(Action.position, Action.id)
        ).all()
    )


def statuses_as_at(
    *,
    session: Session,
    plan_id: int,
    as_at: date,
    approved_only: bool = True,
    actions: list[Action] | None = None,
) -> list[ActionStatus]:
    """Every action of a plan with its status as at a date; two queries whatever the plan's size,
    one when the caller already holds the plan's ``actions`` (in order)."""
    latest = latest_updates_as_at(
        session=session, plan_id=plan_id, as_at=as_at, approved_only=approved_only
    )
    if actions is None:
        actions = plan_actions(session=session, plan_id=plan_id)
    return [ActionStatus(action=action, update=latest.get(action.id)) for action in actions]
