"""The Progress Tracking appendix: one typed report model, built once from the database.

Every format (page, PDF, Word, Excel, CSV, JSON) renders this same model, so their figures can
never disagree; a published report is this model stored.
"""

from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import BaseModel, computed_field
from sqlmodel import Session, select

from app.core.models import Action, Board, DeliveryGroup, Organisation, Person, Plan, Stage
from app.domain.access import among
from app.domain.as_at import Comparison, comparison
from app.domain.progress import headline, ratings_label
from app.domain.rag import RAG_LABELS, RAG_LETTERS, SCHEME_NAMES, SEVERITY, STAGE_LABELS, ratings
from app.domain.snapshot import Counts, comparison_at, plan_snapshot
from app.domain.status import ActionStatus
from app.domain.timescales import uk_date
from app.domain.trajectory import Trajectory, read_trajectory
from app.reports.indicators import IndicatorSection, build_indicator_sections

STAGE_MEANINGS = {
    Stage.not_started: "Work on the action has not begun.",
    Stage.in_progress: "Work is under way; the RAG rating says how confident the owner is of "
    "delivering it on time.",
    Stage.complete: "The action has been delivered.",
    Stage.carried_forward: "The action was not finished in this plan and continues in its "
    "successor.",
    Stage.withdrawn: "The action is no longer to be delivered; it is not counted as scheduled.",
}


class Direction(StrEnum):
    improved = "improved"
    no_change = "no change"
    worsened = "worsened"


class RatingRule(BaseModel):
    key: str
    label: str
    letter: str
    meaning: str


class StageRule(BaseModel):
    key: str
    label: str
    meaning: str


class PlanLink(BaseModel):
    plan_slug: str
    plan_title: str
    ref: str
    title: str


class ActionRow(BaseModel):
    ref: str
    title: str
    theme: str
    lead_organisation: str
    lead_organisation_name: str
    lead_role: str
    due_date: date
    due_label: str
    stage: str
    stage_label: str
    rag: str | None
    rag_label: str
    rag_letter: str
    overdue: bool
    previous_stage: str
    previous_rag: str | None
    direction: Direction | None
    commentary: str
    commentary_date: date | None
    corrective_action: str
    carried_forward_from: PlanLink | None
    carried_forward_to: PlanLink | None


class ThemeSection(BaseModel):
    position: int
    title: str
    delivery_group: str
    counts: Counts
    actions: list[ActionRow]


class CompletedRow(BaseModel):
    ref: str
    title: str
    theme: str
    completed_on: date | None


class AppendixReport(BaseModel):
    kind: str = "appendix"
    title: str
    plan_slug: str
    plan_title: str
    period_start: date
    period_end: date
    board: str
    as_at: date
    since: date
    # Why that date (app/domain/as_at.py): "the date of the previous meeting of the ... Board".
    since_basis: str = ""
    produced_at: datetime
    headline: str
    rag_scheme: str
    rag_scheme_name: str
    rag_rules: list[RatingRule]
    stage_rules: list[StageRule]
    totals: Counts
    themes: list[ThemeSection]
    completed_since: list[CompletedRow]
    carried_forward_in: list[ActionRow]
    carried_forward_out: list[ActionRow]
    # Actions due and completed by each meeting of the plan's board (None in reports published
    # before it was drawn).
    trajectory: Trajectory | None = None
    # The plan's outcome indicators, with the figures published by as_at.
    indicators: list[IndicatorSection] = []

    @computed_field
    @property
    def carried_forward_note(self) -> str:
        """Inherited actions counted separately: "11 of these actions were carried forward from
        <plan>" (one sentence per plan they came from)."""
        by_plan: dict[str, int] = {}
        for row in self.carried_forward_in:
            by_plan[row.carried_forward_from.plan_title] = (
                by_plan.get(row.carried_forward_from.plan_title, 0) + 1
            )
        return " ".join(
            f"{n} of this plan's {self.totals.total} actions {'was' if n == 1 else 'were'} carried "
            f"forward from the {title}."
            for title, n in by_plan.items()
        )

    @property
    def as_at_text(self) -> str:
        return uk_date(self.as_at)

    @property
    def since_text(self) -> str:
        return uk_date(self.since)

    @property
    def comparison_sentence(self) -> str:
        """Which date direction of travel compares against, printed in every format."""
        if not self.since_basis:
            return f"Changes and direction of travel are measured since {self.since_text}."
        return Comparison(self.since, self.since_basis).sentence

    @property
    def ratings_label(self) -> str:
        """What the rating columns beside the stage counts count: "Ratings of the 11 actions in
        progress that are due"."""
        return ratings_label(self.totals)

    @property
    def later_ratings_label(self) -> str:
        return ratings_label(self.totals, later=True)

    @property
    def period_text(self) -> str:
        return f"{uk_date(self.period_start)} to {uk_date(self.period_end)}"

    @property
    def all_actions(self) -> list[ActionRow]:
        return [row for theme in self.themes for row in theme.actions]


def direction_of_travel(before: ActionStatus, now: ActionStatus) -> Direction | None:
    """Improved, no change or worsened since the previous report; None where it does not apply."""
    if now.stage in (Stage.withdrawn, Stage.carried_forward):
        return Direction.no_change if before.stage == now.stage else None
    if now.stage == before.stage:
        if now.stage != Stage.in_progress or now.rag == before.rag:
            return Direction.no_change
        if now.rag is None or before.rag is None:
            return Direction.no_change
        return (
            Direction.improved if SEVERITY[now.rag] < SEVERITY[before.rag] else Direction.worsened
        )
    progression = {Stage.not_started: 0, Stage.in_progress: 1, Stage.complete: 2}
    if before.stage in progression:
        return (
            Direction.improved
            if progression[now.stage] > progression[before.stage]
            else Direction.worsened
        )
    return None


def build_appendix(
    session: Session,
    plan: Plan,
    as_at: date,
    *,
    since: date | None = None,
    produced_at: datetime | None = None,
    plan_ids: frozenset[int] | None = None,
) -> AppendixReport:
    """The Progress Tracking appendix of ``plan`` as at ``as_at``, in a fixed number of queries.
    Actions carried forward from or to another plan name it only if it is among ``plan_ids``
    (the plans the reader may read, app.domain.access; None: every plan)."""
    compared = comparison(session, plan, as_at, since)
    since = compared.since
    snapshot = plan_snapshot(session=session, plan=plan, as_at=as_at)
    themes, actions = snapshot.themes, snapshot.actions
    before = {
        status.action.id: status
        for status in comparison_at(session=session, snapshot=snapshot, as_at=since).statuses
    }
    organisations = _by_id(
        session, Organisation, {a.lead_organisation_id for a in actions if a.lead_organisation_id}
    )
    people = _by_id(session, Person, {a.lead_person_id for a in actions if a.lead_person_id})
    groups = _by_id(
        session, DeliveryGroup, {t.delivery_group_id for t in themes if t.delivery_group_id}
    )
    board = session.get(Board, plan.board_id) if plan.board_id else None
    origins = _links_from(session, {a.carried_forward_from_id for a in actions} - {None}, plan_ids)
    successors = _links_to(session, [a.id for a in actions], plan_ids)

    theme_titles = {theme.id: theme.title for theme in themes}

    def row(status: ActionStatus) -> ActionRow:
        action = status.action
        previous = before[action.id]
        update = status.update
        organisation = organisations.get(action.lead_organisation_id)
        person = people.get(action.lead_person_id)
        return ActionRow(
            ref=action.ref,
            title=action.title,
            theme=theme_titles[action.theme_id],
            lead_organisation=organisation.short_name if organisation else "",
            lead_organisation_name=organisation.name if organisation else "",
            lead_role=person.role if person else "",
            due_date=action.due_date,
            due_label=action.due_label or uk_date(action.due_date),
            stage=status.stage.value,
            stage_label=STAGE_LABELS[status.stage],
            rag=status.rag,
            rag_label=RAG_LABELS.get(status.rag, "") if status.rag else "",
            rag_letter=RAG_LETTERS.get(status.rag, "") if status.rag else "",
            overdue=status.is_overdue(as_at),
            previous_stage=previous.stage.value,
            previous_rag=previous.rag,
            direction=direction_of_travel(previous, status),
            commentary=update.commentary if update else "",
            commentary_date=update.effective_on if update else None,
            corrective_action=update.corrective_action if update and status.rag == "red" else "",
            carried_forward_from=origins.get(action.carried_forward_from_id),
            carried_forward_to=successors.get(action.id),
        )

    totals = snapshot.counts
    sections = [
        ThemeSection(
            position=theme.position,
            title=theme.title,
            delivery_group=groups[theme.delivery_group_id].name
            if theme.delivery_group_id in groups
            else "",
            counts=snapshot.counts_by_theme[theme.id],
            actions=[row(status) for status in snapshot.statuses_by_theme[theme.id]],
        )
        for theme in themes
    ]
    all_rows = [r for section in sections for r in section.actions]
    return AppendixReport(
        trajectory=read_trajectory(session=session, plan=plan, as_at=as_at),
        indicators=build_indicator_sections(session, plan, as_at),
        title=f"Progress Tracking report: {plan.title}",
        plan_slug=plan.slug,
        plan_title=plan.title,
        period_start=plan.period_start,
        period_end=plan.period_end,
        board=board.name if board else "",
        as_at=as_at,
        since=since,
        since_basis=compared.basis,
        produced_at=produced_at or datetime.now(UTC).replace(microsecond=0),
        headline=headline(totals, as_at),
        rag_scheme=plan.rag_scheme,
        rag_scheme_name=SCHEME_NAMES[plan.rag_scheme],
        rag_rules=[
            RatingRule(key=r.key, label=r.label, letter=r.letter, meaning=r.meaning)
            for r in ratings(plan.rag_scheme)
        ],
        stage_rules=[
            StageRule(key=stage.value, label=STAGE_LABELS[stage], meaning=STAGE_MEANINGS[stage])
            for stage in Stage
        ],
        totals=totals,
        themes=sections,
        completed_since=[
            CompletedRow(ref=r.ref, title=r.title, theme=r.theme, completed_on=r.commentary_date)
            for r in all_rows
            if r.stage == Stage.complete and r.previous_stage != Stage.complete
        ],
        carried_forward_in=[r for r in all_rows if r.carried_forward_from],
        carried_forward_out=[r for r in all_rows if r.carried_forward_to],
    )


def _by_id(session: Session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {item.id: item for item in session.exec(select(model).where(model.id.in_(ids)))}


def _links_from(
    session: Session, action_ids: set[int], plan_ids: frozenset[int] | None
) -> dict[int, PlanLink]:
    """The originals that actions were carried forward from, keyed by the original's id."""
    if not action_ids:
        return {}
    rows = session.exec(
        select(Action, Plan).join(Plan, Plan.id == Action.plan_id).where(Action.id.in_(action_ids))
    ).all()
    return {
        action.id: PlanLink(
            plan_slug=plan.slug, plan_title=plan.title, ref=action.ref, title=action.title
        )
        for action, plan in rows
        if among(plan_ids, plan.id)
    }


def _links_to(
    session: Session, action_ids: list[int], plan_ids: frozenset[int] | None
) -> dict[int, PlanLink]:
    """The successors actions were carried forward into, keyed by the original's id."""
    if not action_ids:
        return {}
    rows = session.exec(
        select(Action, Plan)
        .join(Plan, Plan.id == Action.plan_id)
        .where(Action.carried_forward_from_id.in_(action_ids))
    ).all()
    return {
        action.carried_forward_from_id: PlanLink(
            plan_slug=plan.slug, plan_title=plan.title, ref=action.ref, title=action.title
        )
        for action, plan in rows
        if among(plan_ids, plan.id)
    }
