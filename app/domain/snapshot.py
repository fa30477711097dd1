"""A plan at a date: its themes, every action's status and the counts, built once.

Pages, the API, the command line and every report start from this one builder, so the same plan
at the same date gives the same figures everywhere.

"Scheduled for delivery by D" means due on or before D (withdrawn actions are no longer
scheduled). The stages of the scheduled actions add up to the scheduled count; "overdue" is the
subset of them whose due date has passed without completion.

The ratings (``rag``, ``not_rated``) are those of the scheduled actions in progress, so they add
up to ``in_progress`` beside them. The actions due later have their own breakdown (``later_*``),
whose stages add up to ``not_yet_due`` and whose ratings add up to ``later_in_progress``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlmodel import Session, select

from app.core.models import Action, Plan, Stage, Theme
from app.domain.rag import allowed_rags
from app.domain.status import (
    ActionStatus,
    first_approved_updates,
    statuses_as_at,
    statuses_of_plans,
)


def percent(part: int, whole: int) -> int | None:
    """A whole-number percentage rounded half up (never banker's rounding); None of nothing."""
    if whole == 0:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


class Counts(BaseModel):
    total: int = 0
    scheduled: int = 0
    complete: int = 0
    in_progress: int = 0
    not_started: int = 0
    carried_forward: int = 0
    overdue: int = 0
    withdrawn: int = 0
    not_yet_due: int = 0
    percent_complete: int | None = None
    rag: dict[str, int] = {}  # the scheduled actions in progress, by rating
    not_rated: int = 0
    # The actions due after the as-at date (not_yet_due), by stage and, in progress, by rating.
    later_complete: int = 0
    later_in_progress: int = 0
    later_not_started: int = 0
    later_carried_forward: int = 0
    later_rag: dict[str, int] = {}
    later_not_rated: int = 0

    @property
    def all_rag(self) -> dict[str, int]:
        """The ratings of every action in progress, due or not."""
        return {key: n + self.later_rag.get(key, 0) for key, n in self.rag.items()}

    @property
    def all_in_progress(self) -> int:
        return self.in_progress + self.later_in_progress


def count(statuses: Iterable[ActionStatus], *, as_at: date, scheme: str) -> Counts:
    keys = allowed_rags(scheme)
    counts = Counts(rag={key: 0 for key in keys}, later_rag={key: 0 for key in keys}).model_dump()
    for status in statuses:
        counts["total"] += 1
        stage = status.stage
        if stage == Stage.withdrawn:
            counts["withdrawn"] += 1
            continue
        later = status.action.due_date > as_at
        prefix = "later_" if later else ""
        if stage == Stage.in_progress:
            if status.rag in counts[prefix + "rag"]:
                counts[prefix + "rag"][status.rag] += 1
            else:
                counts[prefix + "not_rated"] += 1
        if later:
            counts["not_yet_due"] += 1
            counts[prefix + stage.value] += 1
            continue
        counts["scheduled"] += 1
        counts[stage.value] += 1
        if status.is_overdue(as_at):
            counts["overdue"] += 1
    counts["percent_complete"] = percent(counts["complete"], counts["scheduled"])
    return Counts(**counts)


@dataclass(frozen=True)
class PlanSnapshot:
    plan: Plan
    as_at: date
    themes: list[Theme]  # in the plan's order
    statuses: list[ActionStatus]  # every action, in the plan's order
    statuses_by_theme: dict[int, list[ActionStatus]]
    counts: Counts
    counts_by_theme: dict[int, Counts]

    @property
    def actions(self) -> list[Action]:
        return [status.action for status in self.statuses]


def plan_snapshot(*, session: Session, plan: Plan, as_at: date) -> PlanSnapshot:
    """Three queries whatever the number of actions: themes, actions, their latest updates."""
    themes = list(
        session.exec(select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position))
    )
    statuses = statuses_as_at(session=session, plan_id=plan.id, as_at=as_at)
    return _snapshot(plan, as_at, themes, statuses)


def plan_snapshots(*, session: Session, plans_as_at: list[tuple[Plan, date]]) -> list[PlanSnapshot]:
    """Several plans, each at its own date, in the order given: three queries whatever the
    number of plans (a page listing plans runs as many statements for 15 as for 5)."""
    ids = [plan.id for plan, _ in plans_as_at]
    themes: dict[int, list[Theme]] = {plan_id: [] for plan_id in ids}
    if ids:
        for theme in session.exec(
            select(Theme).where(Theme.plan_id.in_(ids)).order_by(Theme.plan_id, Theme.position)
        ):
            themes[theme.plan_id].append(theme)
    statuses = statuses_of_plans(session=session, as_at={plan.id: day for plan, day in plans_as_at})
    return [_snapshot(plan, day, themes[plan.id], statuses[plan.id]) for plan, day in plans_as_at]


def snapshot_at(*, session: Session, snapshot: PlanSnapshot, as_at: date) -> PlanSnapshot:
    """The same plan at another date (a report's "since"): the snapshot's themes and actions
    again, so one query, for the updates."""
    statuses = statuses_as_at(
        session=session, plan_id=snapshot.plan.id, as_at=as_at, actions=snapshot.actions
    )
    return _snapshot(snapshot.plan, as_at, snapshot.themes, statuses)


def comparison_at(*, session: Session, snapshot: PlanSnapshot, as_at: date) -> PlanSnapshot:
    """The plan at an earlier date as a report's "since" compares with it (direction of travel,
    change since the last report).

    As ``snapshot_at``, except for an action carried forward into this plan that had no approved
    update by then (its plan began after ``as_at``): it is taken at the status it was carried
    forward with, its first approved update, so it reads "no change" until its status changes,
    never "improved" from nothing on the successor's first day. One more query, only when there
    is such an action."""
    earlier = snapshot_at(session=session, snapshot=snapshot, as_at=as_at)
    waiting = [
        status.action.id
        for status in earlier.statuses
        if status.update is None and status.action.carried_forward_from_id is not None
    ]
    if not waiting:
        return earlier
    carried_with = first_approved_updates(session=session, action_ids=waiting)
    if not carried_with:
        return earlier
    statuses = [
        ActionStatus(action=status.action, update=carried_with[status.action.id])
        if status.update is None and status.action.id in carried_with
        else status
        for status in earlier.statuses
    ]
    return _snapshot(snapshot.plan, as_at, snapshot.themes, statuses)


def _snapshot(
    plan: Plan, as_at: date, themes: list[Theme], statuses: list[ActionStatus]
) -> PlanSnapshot:
    by_theme: dict[int, list[ActionStatus]] = {theme.id: [] for theme in themes}
    for status in statuses:
        by_theme[status.action.theme_id].append(status)
    return PlanSnapshot(
        plan=plan,
        as_at=as_at,
        themes=themes,
        statuses=statuses,
        statuses_by_theme=by_theme,
        counts=count(statuses, as_at=as_at, scheme=plan.rag_scheme),
        counts_by_theme={
            theme_id: count(theme_statuses, as_at=as_at, scheme=plan.rag_scheme)
            for theme_id, theme_statuses in by_theme.items()
        },
    )
