"""The reporting cycle: a board's meeting sets when updates are due, who has updated, who has not.

An action needs an update for a meeting when it is outstanding (not complete, carried forward
or withdrawn) and nothing has been recorded for it since the board's previous meeting. An
update is stale when the latest one is older than the stale period at the deadline.

Cancelled meetings are no part of the cycle. Reminders and escalations only ever concern a
meeting still ahead: reminders until its update deadline, an escalation once it has passed.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.models import (
    Action,
    Board,
    DeliveryGroup,
    Meeting,
    Organisation,
    Person,
    Plan,
    PlanStatus,
    Reminder,
    ReviewState,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.auth import editable_action_ids
from app.domain.errors import NotFound
from app.domain.status import ActionStatus, latest_approved_updates, statuses_as_at

DONE_STAGES = frozenset({Stage.complete, Stage.carried_forward, Stage.withdrawn})


def working_days_before(day: date, working_days: int) -> date:
    """The date ``working_days`` Monday-to-Friday days before ``day`` (bank holidays aside)."""
    current = day
    remaining = working_days
    while remaining:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def update_deadline(meeting: Meeting) -> date:
    return meeting.update_deadline or working_days_before(
        meeting.held_on, get_settings().update_deadline_working_days
    )


def not_cancelled():
    """The condition that keeps cancelled meetings out of a query."""
    return Meeting.cancelled_at.is_(None)


@dataclass
class Cycle:
    meeting: Meeting
    board: Board
    previous: Meeting | None
    deadline: date

    @property
    def opens(self) -> date:
        """Updates recorded after the previous meeting count towards this one."""
        return self.previous.held_on if self.previous else date.min

    def is_ahead(self, today: date) -> bool:
        return self.meeting.cancelled_at is None and self.meeting.held_on >= today

    def deadline_passed(self, today: date) -> bool:
        return self.deadline < today

    def can_remind(self, today: date) -> bool:
        """Reminders go out for a meeting ahead until its update deadline."""
        return self.is_ahead(today) and not self.deadline_passed(today)

    def can_escalate(self, today: date) -> bool:
        """Escalations go out once the deadline has passed, while the meeting is still ahead."""
        return self.is_ahead(today) and self.deadline_passed(today)


def board_meetings(session: Session, *, board_id: int) -> list[Meeting]:
    """The board's meetings that are not cancelled, in date order."""
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.board_id == board_id, not_cancelled())
            .order_by(Meeting.held_on)
        )
    )


def cycle_for_meeting(session: Session, *, meeting: Meeting) -> Cycle:
    previous = session.exec(
        select(Meeting)
        .where(
            Meeting.board_id == meeting.board_id,
            Meeting.held_on < meeting.held_on,
            not_cancelled(),
        )
        .order_by(Meeting.held_on.desc())
        .limit(1)
    ).first()
    return Cycle(
        meeting=meeting,
        board=session.get(Board, meeting.board_id),
        previous=previous,
        deadline=update_deadline(meeting),
    )


def next_meeting(session: Session, *, board_id: int, today: date) -> Meeting | None:
    """The board's next meeting on or after today (not cancelled); None when none is ahead."""
    return session.exec(
        select(Meeting)
        .where(Meeting.board_id == board_id, Meeting.held_on >= today, not_cancelled())
        .order_by(Meeting.held_on)
        .limit(1)
    ).first()


def meeting_to_show(session: Session, *, board_id: int, today: date) -> Meeting | None:
    """What a page shows by default: the next meeting ahead, else the latest one held (a page
    may look back; reminders and escalations never do)."""
    upcoming = next_meeting(session, board_id=board_id, today=today)
    if upcoming:
        return upcoming
    return session.exec(
        select(Meeting)
        .where(Meeting.board_id == board_id, not_cancelled())
        .order_by(Meeting.held_on.desc())
        .limit(1)
    ).first()


@dataclass
class ActionCycleState:
    status: ActionStatus
    last_recorded: datetime | None
    needs_update: bool
    stale: bool
    overdue: bool


def _last_recorded(session: Session, action_ids: list[int], until: datetime) -> dict[int, datetime]:
    if not action_ids:
        return {}
    rows = session.exec(
        select(StatusUpdate.action_id, func.max(StatusUpdate.recorded_at))
        .where(StatusUpdate.action_id.in_(action_ids), StatusUpdate.recorded_at <= until)
        .group_by(StatusUpdate.action_id)
    ).all()
    return {action_id: moment for action_id, moment in rows}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cycle_states(
    session: Session, *, plan: Plan, cycle: Cycle, action_ids: set[int] | None = None
) -> list[ActionCycleState]:
    """Each action's standing for the meeting: updated, missing, stale; constant queries."""
    as_at = cycle.deadline
    statuses = [
        s
        for s in statuses_as_at(session=session, plan_id=plan.id, as_at=as_at, approved_only=False)
        if action_ids is None or s.action.id in action_ids
    ]
    deadline_end = datetime.combine(cycle.deadline, time.max, UTC)
    opens = datetime.combine(cycle.opens, time.max, UTC) if cycle.previous else None
    last = _last_recorded(session, [s.action.id for s in statuses], deadline_end)
    stale_before = deadline_end - timedelta(days=get_settings().stale_after_days)
    states = []
    for status in statuses:
        recorded = _aware(last.get(status.action.id))
        outstanding = status.stage not in DONE_STAGES
        updated_in_cycle = recorded is not None and (opens is None or recorded > opens)
        states.append(
            ActionCycleState(
                status=status,
                last_recorded=recorded,
                needs_update=outstanding and not updated_in_cycle,
                stale=outstanding and (recorded is None or recorded < stale_before),
                overdue=status.is_overdue(as_at),
            )
        )
    return states


@dataclass
class CompletionRow:
    label: str
    kind: str  # "owner" or "delivery group"
    outstanding: int = 0
    updated: int = 0
    missing: int = 0
    stale: int = 0
    users: list[User] = field(default_factory=list)


def completion(
    session: Session, *, plan: Plan, cycle: Cycle
) -> tuple[list[CompletionRow], list[CompletionRow]]:
    """For the coming meeting: per owner and per delivery group, updated / missing / stale."""
    states = cycle_states(session, plan=plan, cycle=cycle)
    themes = {t.id: t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))}
    groups = {
        g.id: g
        for g in session.exec(
            select(DeliveryGroup).where(
                DeliveryGroup.id.in_({t.delivery_group_id for t in themes.values()} - {None})
            )
        )
    }
    person_ids = {s.status.action.lead_person_id for s in states} - {None}
    person_ids |= {g.lead_person_id for g in groups.values()} - {None}
    people = {p.id: p for p in session.exec(select(Person).where(Person.id.in_(person_ids)))}
    organisations = {
        o.id: o
        for o in session.exec(
            select(Organisation).where(
                Organisation.id.in_({p.organisation_id for p in people.values()})
            )
        )
    }
    users_by_person: dict[int, list[User]] = {}
    for user in session.exec(
        select(User).where(User.person_id.in_(person_ids), User.is_active == True)  # noqa: E712
    ):
        users_by_person.setdefault(user.person_id, []).append(user)

    def person_label(person_id: int | None) -> str:
        if person_id is None or person_id not in people:
            return "No lead named"
        person = people[person_id]
        return f"{person.role}, {organisations[person.organisation_id].short_name}"

    owners: dict[int | None, CompletionRow] = {}
    by_group: dict[int | None, CompletionRow] = {}
    for state in states:
        action = state.status.action
        if state.status.stage in DONE_STAGES:
            continue
        owner = owners.setdefault(
            action.lead_person_id,
            CompletionRow(
                label=person_label(action.lead_person_id),
                kind="owner",
                users=users_by_person.get(action.lead_person_id, []),
            ),
        )
        group_id = themes[action.theme_id].delivery_group_id
        group = by_group.setdefault(
            group_id,
            CompletionRow(
                label=groups[group_id].name if group_id in groups else "No delivery group",
                kind="delivery group",
                users=users_by_person.get(groups[group_id].lead_person_id, [])
                if group_id in groups
                else [],
            ),
        )
        for row in (owner, group):
            row.outstanding += 1
            row.updated += 0 if state.needs_update else 1
            row.missing += 1 if state.needs_update else 0
            row.stale += 1 if state.stale else 0
    order = lambda row: (-row.missing, row.label)  # noqa: E731
    return sorted(owners.values(), key=order), sorted(by_group.values(), key=order)


# --- Pages of the cycle ---------------------------------------------------------------------


@dataclass
class MyActionsSection:
    plan: Plan
    cycle: Cycle
    states: list[ActionCycleState]  # needing an update first, then overdue, then by due date
    themes: dict[int, Theme]
    pending: dict[int, StatusUpdate]  # the user's own updates awaiting approval or returned


def read_my_actions(
    *, session: Session, user: User, today: date, plan_ids: frozenset[int] | None = None
) -> list[MyActionsSection]:
    """The actions a lead may update, plan by plan (among ``plan_ids``, the plans they may
    read; None: every plan), with what the next meeting needs."""
    sections = []
    query = select(Plan).where(Plan.status == PlanStatus.active).order_by(Plan.title)
    if plan_ids is not None:
        query = query.where(Plan.id.in_(plan_ids))
    plans = session.exec(query).all()
    for plan in plans:
        ids = editable_action_ids(session, user=user, plan_id=plan.id)
        if not ids or plan.board_id is None:
            continue
        meeting = meeting_to_show(session, board_id=plan.board_id, today=today)
        if meeting is None:
            continue
        cycle = cycle_for_meeting(session, meeting=meeting)
        states = cycle_states(session, plan=plan, cycle=cycle, action_ids=ids)
        states.sort(key=lambda s: (not s.needs_update, not s.overdue, s.status.action.due_date))
        pending = {
            update.action_id: update
            for update in session.exec(
                select(StatusUpdate).where(
                    StatusUpdate.action_id.in_(ids),
                    StatusUpdate.review_state.in_([ReviewState.submitted, ReviewState.returned]),
                    StatusUpdate.recorded_by_id == user.id,
                )
            )
        }
        themes = {t.id: t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))}
        sections.append(MyActionsSection(plan, cycle, states, themes, pending))
    return sections


@dataclass
class CompletionPage:
    plans: list[Plan]
    plan: Plan
    board: Board
    meetings: list[Meeting]
    cycle: Cycle | None  # None while the plan's board has no meetings
    owners: list[CompletionRow]
    groups: list[CompletionRow]
    sent: list[Reminder]  # reminders and escalations for the meeting, oldest first
    today: date

    def sent_to(self, user: User) -> list[Reminder]:
        return [reminder for reminder in self.sent if reminder.user_id == user.id]

    @property
    def can_remind(self) -> bool:
        return self.cycle is not None and self.cycle.can_remind(self.today)

    @property
    def can_escalate(self) -> bool:
        return self.cycle is not None and self.cycle.can_escalate(self.today)


def read_completion_page(
    *, session: Session, plan_slug: str | None, meeting_id: int | None, today: date
) -> CompletionPage:
    """Updates due for a meeting of a plan's board (default: the first plan, its next meeting),
    with the reminders and escalations sent for it.

    A meeting that belongs to another board (the plan was changed on the page) is not an error:
    the plan's own next meeting is shown instead.
    """
    plans = list(
        session.exec(
            select(Plan)
            .where(Plan.board_id.is_not(None))
            .order_by((Plan.status != PlanStatus.active), Plan.title)
        )
    )
    if not plans:
        raise NotFound("There are no plans with a board yet.")
    plan = next((p for p in plans if p.slug == plan_slug), None) if plan_slug else plans[0]
    if plan is None:
        raise NotFound(f"There is no plan called '{plan_slug}'.")
    meetings = board_meetings(session, board_id=plan.board_id)
    meeting = next((m for m in meetings if m.id == meeting_id), None)
    if meeting is None:
        meeting = meeting_to_show(session, board_id=plan.board_id, today=today)
    board = session.get(Board, plan.board_id)
    if meeting is None:
        return CompletionPage(plans, plan, board, [], None, [], [], [], today)
    cycle = cycle_for_meeting(session, meeting=meeting)
    owners, groups = completion(session, plan=plan, cycle=cycle)
    sent = list(
        session.exec(
            select(Reminder)
            .where(Reminder.meeting_id == meeting.id)
            .order_by(Reminder.sent_at, Reminder.id)
        )
    )
    return CompletionPage(plans, plan, board, meetings, cycle, owners, groups, sent, today)


# --- Approvals ------------------------------------------------------------------------------


@dataclass
class PendingUpdate:
    update: StatusUpdate
    action: Action
    plan: Plan
    author: User | None
    approved: StatusUpdate | None  # the action's approved status now, beside the submitted one


@dataclass
class ApprovalsPage:
    pending: list[PendingUpdate]
    # The update just approved or returned, for the confirmation: (update, action, plan).
    reviewed: tuple[StatusUpdate, Action, Plan] | None


def _latest_approved(session: Session, action_ids: set[int]) -> dict[int, StatusUpdate]:
    """Each action's latest approved update (the status boards see now), in one query."""
    return latest_approved_updates(session=session, action_ids=action_ids)


def read_approvals_page(*, session: Session, reviewed_id: int | None = None) -> ApprovalsPage:
    """Updates awaiting the office's approval, each beside the action's approved status now."""
    pending = session.exec(
        select(StatusUpdate, Action, Plan, User)
        .join(Action, Action.id == StatusUpdate.action_id)
        .join(Plan, Plan.id == Action.plan_id)
        .outerjoin(User, User.id == StatusUpdate.recorded_by_id)
        .where(StatusUpdate.review_state == ReviewState.submitted)
        .order_by(StatusUpdate.recorded_at, StatusUpdate.id)
    ).all()
    approved = _latest_approved(session, {action.id for _, action, _, _ in pending})
    reviewed = None
    if reviewed_id is not None:
        reviewed = session.exec(
            select(StatusUpdate, Action, Plan)
            .join(Action, Action.id == StatusUpdate.action_id)
            .join(Plan, Plan.id == Action.plan_id)
            .where(
                StatusUpdate.id == reviewed_id,
                StatusUpdate.review_state != ReviewState.submitted,
            )
        ).first()
    return ApprovalsPage(
        pending=[
            PendingUpdate(update, action, plan, author, approved.get(action.id))
            for update, action, plan, author in pending
        ],
        reviewed=tuple(reviewed) if reviewed else None,
    )
