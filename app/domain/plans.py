"""Reading a plan with everything its pages need, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.core.models import (
    Action,
    Board,
    Commitment,
    DeliveryGroup,
    Organisation,
    Outcome,
    Person,
    Plan,
    Rag,
    Stage,
    Theme,
)
from app.domain.access import among
from app.domain.as_at import awaits_closing, plan_state_text, resolve_dates
from app.domain.progress import PlanProgress, progress_from_snapshot
from app.domain.snapshot import PlanSnapshot, plan_snapshot, plan_snapshots
from app.domain.status import ActionStatus
from app.domain.timescales import uk_date
from app.domain.trajectory import Trajectory, read_trajectory


@dataclass
class ThemeView:
    theme: Theme
    delivery_group: DeliveryGroup | None
    statuses: list[ActionStatus]
    commitments: list[Commitment] = field(default_factory=list)

    @property
    def stage_totals(self) -> "StageTotals":
        """The theme's actions, whenever due, by stage: what its progress bar draws."""
        stages = [status.stage for status in self.statuses]
        return StageTotals(
            complete=stages.count(Stage.complete),
            in_progress=stages.count(Stage.in_progress),
            not_started=stages.count(Stage.not_started),
        )


@dataclass(frozen=True)
class StageTotals:
    """Actions by stage, withdrawn and carried-forward ones left out, for a progress bar."""

    complete: int
    in_progress: int
    not_started: int

    @property
    def total(self) -> int:
        return self.complete + self.in_progress + self.not_started

    @property
    def text(self) -> str:
        return (
            f"{self.complete} complete, {self.in_progress} in progress, "
            f"{self.not_started} not started"
        )


@dataclass(frozen=True)
class Figure:
    """One of the figures a plan page opens with: a number, what it counts, and a note that
    says which actions (every figure is taken from the snapshot's counts)."""

    key: str
    label: str
    value: int
    note: str = ""


def plan_figures(snapshot: PlanSnapshot) -> list[Figure]:
    """The figures a board member looks for first, from the snapshot's counts (no queries):
    scheduled by the date, complete (the Panel's percentage, of those scheduled), in progress and
    Red (across the whole plan, as the ratings count them), overdue, and due later."""
    counts, as_at = snapshot.counts, snapshot.as_at
    in_progress = counts.all_in_progress
    early = counts.later_complete
    complete_note = (
        f"{counts.percent_complete}% of those scheduled"
        if counts.percent_complete is not None
        else "None scheduled yet"
    )
    if early:
        complete_note += f"; {early} more completed ahead of schedule"
    return [
        Figure("scheduled", f"Scheduled by {uk_date(as_at)}", counts.scheduled, "Due by then"),
        Figure("complete", "Complete", counts.complete, complete_note),
        Figure("in_progress", "In progress", in_progress, "Across the whole plan"),
        Figure("red", "Red", counts.all_rag.get(Rag.red, 0), "Of the actions in progress"),
        Figure("overdue", "Overdue", counts.overdue, "Due by then, not complete"),
        Figure("due_later", "Due later", counts.not_yet_due, f"After {uk_date(as_at)}"),
    ]


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
    figures: list[Figure] = field(default_factory=list)
    trajectory: Trajectory | None = None  # progress at each meeting of its board


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
    plans = list_plans(session=session, plan_ids=plan_ids)
    snapshots = plan_snapshots(
        session=session,
        plans_as_at=[(plan, resolve_dates(plan, today=today).as_at) for plan in plans],
    )
    return [
        PlanSummary(
            plan=snapshot.plan,
            progress=progress_from_snapshot(snapshot),
            state_text=plan_state_text(snapshot.plan, today),
            awaits_closing=awaits_closing(snapshot.plan, today),
        )
        for snapshot in snapshots
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
    commitments: dict[int, list[Commitment]] = {theme.id: [] for theme in themes}
    for commitment in session.exec(
        select(Commitment)
        .where(Commitment.theme_id.in_(list(commitments)))
        .order_by(Commitment.theme_id, Commitment.position)
    ):
        commitments[commitment.theme_id].append(commitment)
    person_ids = {s.action.lead_person_id for s in statuses if s.action.lead_person_id}
    organisation_ids = {s.action.lead_organisation_id for s in statuses}
    return PlanView(
        trajectory=read_trajectory(session=session, plan=plan, as_at=as_at),
        plan=plan,
        board=session.get(Board, plan.board_id) if plan.board_id else None,
        predecessor=session.get(Plan, plan.predecessor_id)
        if plan.predecessor_id and among(plan_ids, plan.predecessor_id)
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
                commitments=commitments[theme.id],
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
        figures=plan_figures(snapshot),
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


def list_outcomes(*, session: Session, plan: Plan) -> list[Outcome]:
    """The plan's outcomes, in their order."""
    return list(
        session.exec(select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position))
    )
