"""Recording status updates: validation, the version check, approval, and the audit trail.

An update is appended, never changed. Two people updating one action at once are told apart by
the action's version: each form carries the version it was drawn from, and the database bumps it
in one conditional UPDATE, so exactly one of two simultaneous posts wins and the other is told
what was recorded in between.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlmodel import Session, select

from app.core.models import (
    Action,
    Plan,
    PlanStatus,
    ReviewState,
    Role,
    Stage,
    StatusUpdate,
    User,
)
from app.domain.access import among
from app.domain.audit import record_event
from app.domain.rag import RAG_LABELS, STAGE_LABELS, allowed_rags
from app.domain.timescales import TimescaleError, require_timescale, uk_date

MAX_TEXT = 10_000
# Next steps are one or two sentences read on a one-page report, not a second commentary.
MAX_NEXT_STEPS = 1_000


@dataclass
class UpdateIn:
    stage: str
    rag: str | None
    commentary: str
    corrective_action: str
    effective_on: date | None
    expected_version: int | None
    next_steps: str = ""


class UpdateRejected(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class UpdateNotAllowed(Exception):
    """The action takes no more updates: its plan is closed, or it was carried forward."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def frozen_message(
    *, plan: Plan, successor: tuple[Plan, Action] | None, carried_forward: bool = False
) -> str | None:
    """Why an action takes no more updates (its plan is closed, or it was carried forward to
    ``successor``, or to a plan the reader may not read: ``carried_forward`` with no
    ``successor``), or None when it does."""
    if plan.status == PlanStatus.closed:
        return (
            f"{plan.short_title} is closed: its updates are frozen, so its reports stay as "
            "they were."
        )
    if successor is not None:
        next_plan, copy = successor
        return (
            f"This action was carried forward to {next_plan.short_title} ({copy.ref}): record "
            "its progress there."
        )
    if carried_forward:
        return "This action was carried forward to another plan: it takes no more updates here."
    return None


def frozen_reason(
    *, session: Session, plan: Plan, action: Action, plan_ids: frozenset[int] | None = None
) -> str | None:
    """Why the action takes no more updates; its successor is named only if among
    ``plan_ids`` (the plans the writer may read; None: every plan)."""
    successors = session.exec(
        select(Plan, Action)
        .join(Plan, Plan.id == Action.plan_id)
        .where(Action.carried_forward_from_id == action.id)
        .order_by(Plan.period_start)
    ).all()
    named = next((tuple(row) for row in successors if among(plan_ids, row[0].id)), None)
    return frozen_message(plan=plan, successor=named, carried_forward=bool(successors))


@dataclass
class UpdateConflict(Exception):
    latest: StatusUpdate | None
    author: User | None
    current_version: int
    errors: dict[str, str] = field(default_factory=dict)


def validate_update(*, plan: Plan, update_in: UpdateIn, today: date) -> dict[str, str]:
    """Every problem with a proposed update, keyed by form field; empty when it is good."""
    errors: dict[str, str] = {}
    stages = {stage.value for stage in Stage}
    if update_in.stage not in stages:
        errors["stage"] = "Choose the stage the action has reached."
    rag = update_in.rag or None
    if update_in.stage == Stage.in_progress:
        if rag is None:
            errors["rag"] = "Choose a RAG rating: how confident you are of delivering on time."
        elif rag not in allowed_rags(plan.rag_scheme):
            errors["rag"] = "Choose one of this plan's RAG ratings."
    elif rag is not None and "stage" not in errors:
        stage_label = STAGE_LABELS[Stage(update_in.stage)].lower()
        errors["rag"] = (
            f"A RAG rating is only given to an action in progress, not one that is {stage_label}."
        )
    commentary = update_in.commentary.strip()
    if not commentary:
        errors["commentary"] = "Enter a commentary: what has happened since the last update."
    elif len(commentary) > MAX_TEXT:
        errors["commentary"] = (
            f"The commentary must be {MAX_TEXT:,} characters or fewer; it has {len(commentary):,}."
        )
    corrective = update_in.corrective_action.strip()
    if rag == "red" and update_in.stage == Stage.in_progress and not corrective:
        errors["corrective_action"] = "Enter the corrective action: a Red rating needs one."
    elif len(corrective) > MAX_TEXT:
        errors["corrective_action"] = (
            f"The corrective action must be {MAX_TEXT:,} characters or fewer."
        )
    next_steps = update_in.next_steps.strip()
    if len(next_steps) > MAX_NEXT_STEPS:
        errors["next_steps"] = (
            f"The next steps must be {MAX_NEXT_STEPS:,} characters or fewer; "
            f"they have {len(next_steps):,}."
        )
    effective = update_in.effective_on
    if effective is None:
        errors["effective_on"] = "Enter the date the update is effective from, like 31 3 2018."
    elif effective > today:
        errors["effective_on"] = "The effective date cannot be in the future."
    elif effective < plan.period_start:
        errors["effective_on"] = (
            f"The effective date must be on or after the start of the plan, "
            f"{uk_date(plan.period_start)}."
        )
    elif effective > plan.period_end:
        errors["effective_on"] = (
            f"The effective date must be on or before the end of the plan, "
            f"{uk_date(plan.period_end)}."
        )
    return errors


def latest_recorded_update(session: Session, *, action_id: int) -> StatusUpdate | None:
    """The most recently recorded update, approved or not (what a colleague just wrote)."""
    return session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.action_id == action_id)
        .order_by(StatusUpdate.recorded_at.desc(), StatusUpdate.id.desc())
        .limit(1)
    ).first()


def snapshot(update: StatusUpdate) -> dict:
    return {
        "id": update.id,
        "action_id": update.action_id,
        "effective_on": update.effective_on,
        "stage": update.stage,
        "rag": update.rag,
        "commentary": update.commentary,
        "corrective_action": update.corrective_action,
        "next_steps": update.next_steps,
        "review_state": update.review_state,
    }


def record_update(
    session: Session,
    *,
    action: Action,
    plan: Plan,
    user: User,
    update_in: UpdateIn,
    today: date | None = None,
    plan_ids: frozenset[int] | None = None,
) -> StatusUpdate:
    """Append a status update; raise UpdateNotAllowed, UpdateRejected or UpdateConflict and
    write nothing. ``plan_ids``: the plans the writer may read, the only ones a refusal names."""
    today = today or date.today()
    refusal = frozen_reason(session=session, plan=plan, action=action, plan_ids=plan_ids)
    if refusal:
        raise UpdateNotAllowed(refusal)
    errors = validate_update(plan=plan, update_in=update_in, today=today)
    if errors:
        raise UpdateRejected(errors)
    bumped = session.execute(
        update(Action)
        .where(Action.id == action.id, Action.version == update_in.expected_version)
        .values(version=Action.version + 1)
    )
    if bumped.rowcount != 1:
        latest = latest_recorded_update(session, action_id=action.id)
        author = (
            session.get(User, latest.recorded_by_id) if latest and latest.recorded_by_id else None
        )
        current = session.exec(select(Action.version).where(Action.id == action.id)).one()
        raise UpdateConflict(latest=latest, author=author, current_version=current)
    needs_approval = plan.requires_approval and user.role != Role.admin
    rag = update_in.rag if update_in.stage == Stage.in_progress else None
    status_update = StatusUpdate(
        action_id=action.id,
        recorded_by_id=user.id,
        recorded_at=datetime.now(UTC),
        effective_on=update_in.effective_on,
        stage=update_in.stage,
        rag=rag,
        commentary=update_in.commentary.strip(),
        corrective_action=update_in.corrective_action.strip() if rag == "red" else "",
        next_steps=update_in.next_steps.strip(),
        review_state=ReviewState.submitted if needs_approval else ReviewState.approved,
    )
    session.add(status_update)
    session.flush()
    stage_text = STAGE_LABELS[Stage(status_update.stage)]
    rag_text = f", {RAG_LABELS[rag]}" if rag else ""
    record_event(
        session,
        user=user,
        verb="record_update",
        entity_type="action",
        entity_id=action.id,
        summary=f"{plan.short_title} {action.ref}: {stage_text}{rag_text}"
        + (" (awaiting approval)" if needs_approval else ""),
        after=snapshot(status_update),
    )
    session.expire(action, ["version"])
    return status_update


class ReviewError(ValueError):
    pass


def review_update(
    session: Session,
    *,
    status_update: StatusUpdate,
    reviewer: User,
    approve: bool,
    reason: str = "",
) -> StatusUpdate:
    """The office approves an update, or returns it with a reason; only submitted ones."""
    if reviewer.role != Role.admin:
        raise ReviewError("Only the office can approve or return updates.")
    if status_update.review_state != ReviewState.submitted:
        raise ReviewError("This update has already been reviewed.")
    reason = reason.strip()
    if not approve and not reason:
        raise ReviewError("Enter the reason for returning the update, so its author can act on it.")
    if len(reason) > MAX_TEXT:
        raise ReviewError(f"The reason must be {MAX_TEXT:,} characters or fewer.")
    before = snapshot(status_update)
    status_update.review_state = ReviewState.approved if approve else ReviewState.returned
    status_update.reviewed_by_id = reviewer.id
    status_update.reviewed_at = datetime.now(UTC)
    status_update.review_note = reason
    session.add(status_update)
    session.flush()
    action = session.get(Action, status_update.action_id)
    record_event(
        session,
        user=reviewer,
        verb="approve_update" if approve else "return_update",
        entity_type="status_update",
        entity_id=status_update.id,
        summary=f"{'Approved' if approve else 'Returned'} the update of {action.ref}"
        + (f": {reason}" if reason else ""),
        before=before,
        after=snapshot(status_update),
    )
    return status_update


def get_update(*, session: Session, update_id: int) -> StatusUpdate | None:
    return session.get(StatusUpdate, update_id)


def pending_updates(session: Session) -> list[tuple[StatusUpdate, Action, Plan, User | None]]:
    rows = session.exec(
        select(StatusUpdate, Action, Plan, User)
        .join(Action, Action.id == StatusUpdate.action_id)
        .join(Plan, Plan.id == Action.plan_id)
        .outerjoin(User, User.id == StatusUpdate.recorded_by_id)
        .where(StatusUpdate.review_state == ReviewState.submitted)
        .order_by(StatusUpdate.recorded_at)
    ).all()
    return list(rows)


class ActionEditRejected(UpdateRejected):
    pass


def edit_action(
    session: Session,
    *,
    action: Action,
    plan: Plan,
    user: User,
    title: str,
    description: str,
    due: str,
) -> Action:
    """The office corrects an action's wording or timescale; audited with before and after."""
    errors: dict[str, str] = {}
    title, description, due = title.strip(), description.strip(), due.strip()
    if not title:
        errors["title"] = "Enter the action's title."
    elif len(title) > 500:
        errors["title"] = "The title must be 500 characters or fewer."
    if len(description) > MAX_TEXT:
        errors["description"] = f"The description must be {MAX_TEXT:,} characters or fewer."
    due_date, due_label = None, ""
    try:
        timescale = require_timescale(due)
        due_date, due_label = timescale.end, timescale.label
    except TimescaleError as error:
        errors["due"] = str(error)
    if due_date and action.start_date and due_date < action.start_date:
        errors["due"] = f"The action cannot be due before it starts ({uk_date(action.start_date)})."
    if errors:
        raise ActionEditRejected(errors)
    before = {
        "title": action.title,
        "description": action.description,
        "due_date": action.due_date,
        "due_label": action.due_label,
    }
    action.title, action.description, action.due_date = title, description, due_date
    action.due_label = due_label
    session.add(action)
    session.flush()
    after = {
        "title": action.title,
        "description": action.description,
        "due_date": action.due_date,
        "due_label": action.due_label,
    }
    record_event(
        session,
        user=user,
        verb="edit_action",
        entity_type="action",
        entity_id=action.id,
        summary=f"{plan.short_title} {action.ref}: edited "
        + ", ".join(key for key in after if after[key] != before[key]),
        before=before,
        after=after,
    )
    return action
