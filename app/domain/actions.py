"""An action and everything its page shows, in a fixed number of queries."""

from dataclasses import dataclass

from sqlalchemy import literal, tuple_
from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    Milestone,
    Organisation,
    Person,
    Plan,
    ReviewState,
    Role,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.access import among
from app.domain.errors import NotFound
from app.domain.status import latest_approved_updates
from app.domain.updates import frozen_message

# A chain of carried-forward actions longer than this is a data error, not a history.
MAX_LINEAGE = 20
# Updates an action's page shows at a time, newest first; "Show older updates" reads the next.
HISTORY_PAGE = 20


def get_action(*, session: Session, plan: Plan, ref: str) -> Action | None:
    return session.exec(select(Action).where(Action.plan_id == plan.id, Action.ref == ref)).first()


@dataclass
class ActionPage:
    plan: Plan
    action: Action
    theme: Theme
    lead: Person | None
    lead_organisation: Organisation | None
    partners: list[Organisation]
    milestones: list[Milestone]
    history: list[tuple[StatusUpdate, User | None]]  # newest first, a page of them
    # Where it came from, nearest first, and where it was carried forward to: only plans the
    # reader may read are named (app.domain.access.among).
    lineage: list[tuple[Plan, Action]]
    successors: list[tuple[Plan, Action]]
    current: StatusUpdate | None  # the latest approved update: what boards see
    # Carried forward at all, named or not: it then takes no more updates.
    carried_forward: bool = False
    older_than: int | None = None  # the last update shown, when older ones remain
    paged: bool = False  # the history starts below the newest updates (?before=)

    @property
    def frozen(self) -> str | None:
        """Why no more updates are taken, if so."""
        return frozen_message(
            plan=self.plan,
            successor=self.successors[0] if self.successors else None,
            carried_forward=self.carried_forward,
        )


def action_lineage(
    *, session: Session, action: Action, plan_ids: frozenset[int] | None = None
) -> list[tuple[Plan, Action]]:
    """The actions this one was carried forward from, nearest first: one recursive query,
    however long the chain. The chain stops at the first plan not among ``plan_ids`` (those the
    reader may read; None: every plan): what came before it is not named either."""
    if action.carried_forward_from_id is None:
        return []
    chain = (
        select(
            Action.id.label("id"),
            Action.carried_forward_from_id.label("origin"),
            literal(1).label("depth"),
        )
        .where(Action.id == action.carried_forward_from_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(Action.id, Action.carried_forward_from_id, chain.c.depth + 1)
        .join(chain, Action.id == chain.c.origin)
        .where(chain.c.depth < MAX_LINEAGE)
    )
    rows = session.exec(
        select(Action, Plan, chain.c.depth)
        .join(chain, chain.c.id == Action.id)
        .join(Plan, Plan.id == Action.plan_id)
        .order_by(chain.c.depth)
    ).all()
    named: list[tuple[Plan, Action]] = []
    for origin, plan, _depth in rows:
        if not among(plan_ids, plan.id):
            break
        named.append((plan, origin))
    return named


def read_action_page(
    *,
    session: Session,
    plan: Plan,
    action: Action,
    user: User,
    plan_ids: frozenset[int] | None,
    before: int | None = None,
    limit: int | None = HISTORY_PAGE,
) -> ActionPage:
    """The action's page for ``user`` with ``limit`` of its updates (None: all), newest first,
    those older than the update ``before`` if given (NotFound if that is not an update of the
    action the reader may see), so the page is the same size however long the action's life.
    Other plans (lineage) are named only if among ``plan_ids``, the plans the reader may read
    (app.domain.access.readable_plan_ids): every caller says which, so none names another
    board's plan by forgetting to."""
    order = (StatusUpdate.effective_on, StatusUpdate.recorded_at, StatusUpdate.id)
    visible = [StatusUpdate.action_id == action.id]
    if user.role == Role.viewer:
        visible.append(StatusUpdate.review_state == ReviewState.approved)
    history = (
        select(StatusUpdate, User)
        .outerjoin(User, User.id == StatusUpdate.recorded_by_id)
        .where(*visible)
        .order_by(*(column.desc() for column in order))
    )
    if before is not None:
        cursor = session.exec(select(*order).where(StatusUpdate.id == before, *visible)).first()
        if cursor is None:
            raise NotFound(f"Action {action.ref} has no update {before}.")
        history = history.where(tuple_(*order) < tuple_(*cursor))
    if limit is not None:
        history = history.limit(limit + 1)
    rows = list(session.exec(history))
    older_than = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        older_than = rows[-1][0].id
    current = latest_approved_updates(session=session, action_ids={action.id}).get(action.id)
    all_successors = [
        (successor_plan, successor)
        for successor, successor_plan in session.exec(
            select(Action, Plan)
            .join(Plan, Plan.id == Action.plan_id)
            .where(Action.carried_forward_from_id == action.id)
            .order_by(Plan.period_start)
        )
    ]
    successors = [pair for pair in all_successors if among(plan_ids, pair[0].id)]
    return ActionPage(
        plan=plan,
        action=action,
        theme=session.get(Theme, action.theme_id),
        lead=session.get(Person, action.lead_person_id) if action.lead_person_id else None,
        lead_organisation=session.get(Organisation, action.lead_organisation_id)
        if action.lead_organisation_id
        else None,
        partners=list(
            session.exec(
                select(Organisation)
                .join(ActionPartner, ActionPartner.organisation_id == Organisation.id)
                .where(ActionPartner.action_id == action.id)
                .order_by(Organisation.short_name)
            )
        ),
        milestones=list(
            session.exec(
                select(Milestone)
                .where(Milestone.action_id == action.id)
                .order_by(Milestone.due_date)
            )
        ),
        history=rows,
        lineage=action_lineage(session=session, action=action, plan_ids=plan_ids),
        successors=successors,
        current=current,
        carried_forward=bool(all_successors),
        older_than=older_than,
        paged=before is not None,
    )


def list_milestones(
    *, session: Session, plan: Plan, after_id: int | None, limit: int
) -> list[tuple[Milestone, str | None]]:
    """A page of the plan's milestones, each with its action's ref (None: the plan's own), in
    the order they were made (a cursor's order), after the milestone ``after_id``."""
    query = (
        select(Milestone, Action.ref)
        .outerjoin(Action, Action.id == Milestone.action_id)
        .where(Milestone.plan_id == plan.id)
        .order_by(Milestone.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Milestone.id > after_id)
    return [(milestone, ref) for milestone, ref in session.exec(query)]
