"""Reading a plan with everything its pages need, in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.core.models import Action, Board, DeliveryGroup, Organisation, Outcome, Person, Plan, Theme
from app.domain.as_at import awaits_closing, plan_state_text, resolve_dates
from app.domain.progress import PlanProgress, progress_as_at, progress_from_snapshot
from app.domain.snapshot import plan_snapshot
from app.domain.status import ActionStatus


@dataclass
class ThemeView:
    theme: Theme
    delivery_group: DeliveryGroup | None
    statuses: list[ActionStatus]


@dataclass
class PlanView:
    plan: Plan
    board: Board | None
    predecessor: Plan | None
    outcomes: list[Outcome]
    themes: list[ThemeView]
    organisations: dict[int, Organisation]
    people: dict[int, Person]
    progress: PlanProgress
    as_at: date
    state_text: str  # "Active", "Closed", "Ended on 31 March 2021, not yet closed"
    awaits_closing: bool


@dataclass
class PlanSummary:
    plan: Plan
    progress: PlanProgress
    state_text: str
    awaits_closing: bool


def list_plans(*, session: Session, plan_ids: frozenset[int] | None = None) -> list[Plan]:
    """The plans, latest first; only those among ``plan_ids`` (None: every plan)."""
    query = select(Plan).order_by(Plan.period_start.desc(), Plan.title)
    if plan_ids is not None:
        query = query.where(Plan.id.in_(plan_ids))
    return list(session.exec(query).all())


def read_plan_summaries(
    *, session: Session, today: date | None = None, plan_ids: frozenset[int] | None = None
) -> list[PlanSummary]:
    """Every plan (among ``plan_ids``; None: every one) with its headline progress as at its
    default date, for the home page."""
    return [
        PlanSummary(
            plan=plan,
            progress=progress_as_at(
                session=session, plan=plan, as_at=resolve_dates(plan, today=today).as_at
            ),
            state_text=plan_state_text(plan, today),
            awaits_closing=awaits_closing(plan, today),
        )
        for plan in list_plans(session=session, plan_ids=plan_ids)
    ]


def read_plan_view(
    *, session: Session, plan: Plan, as_at: date, plan_ids: frozenset[int] | None = None
) -> PlanView:
    """The plan as at a date; its predecessor only if it is among ``plan_ids``, the plans the
    reader may read (None: every plan)."""
    snapshot = plan_snapshot(session=session, plan=plan, as_at=as_at)
    themes, statuses = snapshot.themes, snapshot.statuses
    groups = {
        group.id: group
        for group in session.exec(
            select(DeliveryGroup).where(
                DeliveryGroup.id.in_({t.delivery_group_id for t in themes if t.delivery_group_id})
            )
        )
    }
    person_ids = {s.action.lead_person_id for s in statuses if s.action.lead_person_id}
    organisation_ids = {s.action.lead_organisation_id for s in statuses}
    return PlanView(
        plan=plan,
        board=session.get(Board, plan.board_id) if plan.board_id else None,
        predecessor=session.get(Plan, plan.predecessor_id)
        if plan.predecessor_id and (plan_ids is None or plan.predecessor_id in plan_ids)
        else None,
        outcomes=list(
            session.exec(
                select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
            )
        ),
        themes=[
            ThemeView(
                theme=theme,
                delivery_group=groups.get(theme.delivery_group_id),
                statuses=snapshot.statuses_by_theme[theme.id],
            )
            for theme in themes
        ],
        organisations={
            o.id: o
            for o in session.exec(select(Organisation).where(Organisation.id.in_(organisation_ids)))
        },
        people={p.id: p for p in session.exec(select(Person).where(Person.id.in_(person_ids)))},
        progress=progress_from_snapshot(snapshot),
        as_at=as_at,
        state_text=plan_state_text(plan),
        awaits_closing=awaits_closing(plan),
    )


def plan_slugs(*, session: Session) -> list[str]:
    return list(session.exec(select(Plan.slug).order_by(Plan.slug)).all())


def has_actions(*, session: Session, plan: Plan) -> bool:
    """Whether a plan holds any action yet: an empty one is filled by its first import."""
    return (
        session.exec(select(Action.id).where(Action.plan_id == plan.id).limit(1)).first()
        is not None
    )


def list_plans_after(
    *, session: Session, plan_ids: frozenset[int] | None, after_id: int | None, limit: int
) -> list[Plan]:
    """A page of plans in the order they were made (a cursor's order: stable as plans are
    added), after the plan ``after_id``, among ``plan_ids`` (None: every plan)."""
    query = select(Plan).order_by(Plan.id).limit(limit)
    if after_id is not None:
        query = query.where(Plan.id > after_id)
    if plan_ids is not None:
        query = query.where(Plan.id.in_(plan_ids))
    return list(session.exec(query))
