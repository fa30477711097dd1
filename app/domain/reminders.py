"""Reminder e-mails to owners whose updates are missing before a meeting, and the escalation
once its update deadline has passed.

Only a meeting still ahead (not cancelled) is ever reminded or escalated: reminders go out
until its update deadline; after it, each delivery-group lead and the office get one digest of
their groups' missing updates.

Idempotent: a row (unique per meeting, person and kind) is inserted before the e-mail is sent
and committed after, so two workers or two runs never send the same message twice; if sending
fails the row is rolled back and the next run tries again.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.models import (
    Action,
    DeliveryGroup,
    Meeting,
    Organisation,
    Person,
    Plan,
    PlanStatus,
    Reminder,
    ReminderKind,
    Role,
    Theme,
    User,
)
from app.domain.audit import record_event
from app.domain.cycle import Cycle, cycle_for_meeting, cycle_states, next_meeting
from app.domain.mail import MailError, new_message, send_message
from app.domain.timescales import uk_date


class ReminderError(Exception):
    """The mail server could not be reached; what was sent before is recorded."""


class ReminderRefused(Exception):
    """Not the time for this: the meeting is not ahead, or its deadline has (not) passed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ReminderResult:
    sent: list[str]
    already_sent: list[str]
    kind: str = ReminderKind.reminder


def recipients(
    session: Session, *, plan: Plan, cycle: Cycle
) -> dict[int, tuple[User, list[Action]]]:
    """Each active user who leads an action needing an update, or whose group does."""
    states = [s for s in cycle_states(session, plan=plan, cycle=cycle) if s.needs_update]
    if not states:
        return {}
    themes = {t.id: t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))}
    group_leads = {
        g.id: g.lead_person_id
        for g in session.exec(
            select(DeliveryGroup).where(
                DeliveryGroup.id.in_({t.delivery_group_id for t in themes.values()} - {None})
            )
        )
    }
    by_person: dict[int, list[Action]] = {}
    for state in states:
        action = state.status.action
        people = {action.lead_person_id, group_leads.get(themes[action.theme_id].delivery_group_id)}
        for person_id in people - {None}:
            by_person.setdefault(person_id, []).append(action)
    users = session.exec(
        select(User).where(User.person_id.in_(by_person), User.is_active == True)  # noqa: E712
    ).all()
    return {user.id: (user, by_person[user.person_id]) for user in users}


@dataclass
class GroupMissing:
    """A delivery group's actions still missing an update, each with its owner."""

    label: str
    lead: str
    actions: list[tuple[Action, str]] = field(default_factory=list)


def escalation_recipients(
    session: Session, *, plan: Plan, cycle: Cycle
) -> dict[int, tuple[User, list[GroupMissing]]]:
    """Each active lead of a delivery group with missing updates (their groups), and every
    active member of the office (all groups); constant queries."""
    states = [s for s in cycle_states(session, plan=plan, cycle=cycle) if s.needs_update]
    if not states:
        return {}
    themes = {t.id: t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))}
    groups = {
        g.id: g
        for g in session.exec(
            select(DeliveryGroup).where(
                DeliveryGroup.id.in_({t.delivery_group_id for t in themes.values()} - {None})
            )
        )
    }
    person_ids = {s.status.action.lead_person_id for s in states}
    person_ids |= {g.lead_person_id for g in groups.values()}
    person_ids.discard(None)
    people = {p.id: p for p in session.exec(select(Person).where(Person.id.in_(person_ids)))}
    organisations = {
        o.id: o
        for o in session.exec(
            select(Organisation).where(
                Organisation.id.in_({p.organisation_id for p in people.values()})
            )
        )
    }

    def person_label(person_id: int | None) -> str:
        person = people.get(person_id)
        if person is None:
            return "no lead named"
        return f"{person.role}, {organisations[person.organisation_id].short_name}"

    missing: dict[int | None, GroupMissing] = {}
    for state in sorted(states, key=lambda s: (s.status.action.position, s.status.action.id)):
        action = state.status.action
        group = groups.get(themes[action.theme_id].delivery_group_id)
        entry = missing.setdefault(
            group.id if group else None,
            GroupMissing(
                label=group.name if group else "No delivery group",
                lead=person_label(group.lead_person_id) if group else "no lead named",
            ),
        )
        entry.actions.append((action, person_label(action.lead_person_id)))
    ordered = sorted(missing.items(), key=lambda item: (item[0] is None, item[1].label))
    leads = {group.lead_person_id for group in groups.values()} - {None}
    chosen: dict[int, tuple[User, list[GroupMissing]]] = {}
    users = session.exec(
        select(User).where(
            User.is_active == True,  # noqa: E712
            (User.role == Role.admin) | User.person_id.in_(leads),
        )
    )
    for user in users:
        if user.role == Role.admin:
            digest = [entry for _, entry in ordered]
        else:
            digest = [
                entry
                for group_id, entry in ordered
                if group_id is not None and groups[group_id].lead_person_id == user.person_id
            ]
        if digest:
            chosen[user.id] = (user, digest)
    return chosen


def _reminder_message(
    *, user: User, plan: Plan, cycle: Cycle, actions: list[Action]
) -> EmailMessage:
    settings = get_settings()
    lines = "\n".join(f"- {a.ref}: {a.title}" for a in sorted(actions, key=lambda a: a.position))
    return new_message(
        to=user.email,
        subject=f"Updates due by {uk_date(cycle.deadline)} for the {cycle.board.short_name} "
        f"meeting on {uk_date(cycle.meeting.held_on)}",
        body=f"Dear {user.display_name},\n\n"
        f"The {cycle.board.name} meets on {uk_date(cycle.meeting.held_on)}. Please update these "
        f"actions of {plan.title} by {uk_date(cycle.deadline)}:\n\n{lines}\n\n"
        f"Update them at {settings.base_url}/my-actions\n\n"
        "This is an automatic reminder from plantrack.\n",
    )


def _escalation_message(
    *, user: User, plan: Plan, cycle: Cycle, digest: list[GroupMissing]
) -> EmailMessage:
    settings = get_settings()
    sections = "\n\n".join(
        f"{group.label} (lead: {group.lead}):\n"
        + "\n".join(
            f"- {action.ref}: {action.title} (owner: {owner})" for action, owner in group.actions
        )
        for group in digest
    )
    where = (
        f"{settings.base_url}/completion?plan={plan.slug}&meeting={cycle.meeting.id}"
        if user.role == Role.admin
        else f"{settings.base_url}/my-actions"
    )
    count = sum(len(group.actions) for group in digest)
    return new_message(
        to=user.email,
        subject=f"{count} update{'' if count == 1 else 's'} missing for the "
        f"{cycle.board.short_name} meeting on {uk_date(cycle.meeting.held_on)} "
        f"(due by {uk_date(cycle.deadline)})",
        body=f"Dear {user.display_name},\n\n"
        f"Updates to {plan.title} for the {cycle.board.name} meeting on "
        f"{uk_date(cycle.meeting.held_on)} were due by {uk_date(cycle.deadline)}. "
        f"These are still missing:\n\n{sections}\n\n"
        f"See them at {where}\n\n"
        "This is an automatic message from plantrack, sent once the deadline has passed.\n",
    )


def _refuse_unless(allowed: bool, cycle: Cycle, today: date, why: str) -> None:
    if allowed:
        return
    meeting = cycle.meeting
    when = f"the {cycle.board.short_name} meeting on {uk_date(meeting.held_on)}"
    if meeting.cancelled_at is not None:
        raise ReminderRefused(f"{when.capitalize()} was cancelled: nobody is reminded of it.")
    if meeting.held_on < today:
        raise ReminderRefused(
            f"{when.capitalize()} has been held: reminders and escalations only go out for "
            "meetings still ahead."
        )
    raise ReminderRefused(why)


def _send_once(
    session: Session,
    *,
    cycle: Cycle,
    kind: ReminderKind,
    user: User,
    count: int,
    message: EmailMessage,
    sender: User | None,
    summary: str,
) -> bool:
    """Record, send, commit: False when someone else recorded it first."""
    try:
        with session.begin_nested():
            session.add(
                Reminder(
                    meeting_id=cycle.meeting.id,
                    user_id=user.id,
                    kind=kind,
                    email=user.email,
                    sent_at=datetime.now(UTC),
                    sent_by_id=sender.id if sender else None,
                    action_count=count,
                )
            )
            session.flush()
    except IntegrityError:
        return False  # another worker got there first
    try:
        send_message(message)
    except MailError as error:
        session.rollback()
        raise ReminderError(
            f"{error} Messages sent before this one are recorded; run again to retry."
        ) from None
    record_event(
        session,
        user=sender,
        verb="send_reminder" if kind == ReminderKind.reminder else "send_escalation",
        entity_type="meeting",
        entity_id=cycle.meeting.id,
        summary=summary,
        after={"to": user.email, "kind": kind.value, "actions": count},
    )
    session.commit()
    return True


def _already(session: Session, *, cycle: Cycle, kind: ReminderKind, user_ids) -> set[int]:
    return set(
        session.exec(
            select(Reminder.user_id).where(
                Reminder.meeting_id == cycle.meeting.id,
                Reminder.kind == kind,
                Reminder.user_id.in_(user_ids),
            )
        )
    )


def send_reminders(
    session: Session, *, plan: Plan, cycle: Cycle, today: date, sender: User | None = None
) -> ReminderResult:
    """Remind each owner with missing updates, once per meeting, until the deadline."""
    _refuse_unless(
        cycle.can_remind(today),
        cycle,
        today,
        f"Updates were due by {uk_date(cycle.deadline)}: that has passed, so owners are no "
        "longer reminded; send the escalation to the delivery-group leads and the office.",
    )
    result = ReminderResult(sent=[], already_sent=[], kind=ReminderKind.reminder)
    due = recipients(session, plan=plan, cycle=cycle)
    done = _already(session, cycle=cycle, kind=ReminderKind.reminder, user_ids=due)
    for user_id, (user, actions) in sorted(due.items()):
        sent = user_id not in done and _send_once(
            session,
            cycle=cycle,
            kind=ReminderKind.reminder,
            user=user,
            count=len(actions),
            message=_reminder_message(user=user, plan=plan, cycle=cycle, actions=actions),
            sender=sender,
            summary=f"Reminded {user.email} of {len(actions)} updates due by "
            f"{uk_date(cycle.deadline)}",
        )
        (result.sent if sent else result.already_sent).append(user.email)
    return result


def send_escalations(
    session: Session, *, plan: Plan, cycle: Cycle, today: date, sender: User | None = None
) -> ReminderResult:
    """Once the deadline has passed (the meeting still ahead): one digest of the missing
    updates to each delivery-group lead (their groups) and each member of the office (all)."""
    _refuse_unless(
        cycle.can_escalate(today),
        cycle,
        today,
        f"Updates are due by {uk_date(cycle.deadline)}: missing updates are escalated only "
        "once that has passed.",
    )
    result = ReminderResult(sent=[], already_sent=[], kind=ReminderKind.escalation)
    due = escalation_recipients(session, plan=plan, cycle=cycle)
    done = _already(session, cycle=cycle, kind=ReminderKind.escalation, user_ids=due)
    for user_id, (user, digest) in sorted(due.items()):
        count = sum(len(group.actions) for group in digest)
        sent = user_id not in done and _send_once(
            session,
            cycle=cycle,
            kind=ReminderKind.escalation,
            user=user,
            count=count,
            message=_escalation_message(user=user, plan=plan, cycle=cycle, digest=digest),
            sender=sender,
            summary=f"Escalated {count} missing updates of {plan.short_title} "
            f"({', '.join(group.label for group in digest)}) to {user.email}",
        )
        (result.sent if sent else result.already_sent).append(user.email)
    return result


@dataclass
class CycleRun:
    """What `plantrack reminders` did for a plan: nothing (no meeting ahead), or reminders or
    escalations for its board's next meeting."""

    meeting: Meeting | None
    result: ReminderResult | None


def plans_in_cycle(*, session: Session) -> list[Plan]:
    """The plans whose owners are reminded: active, with a board."""
    return list(
        session.exec(
            select(Plan)
            .where(Plan.status == PlanStatus.active, Plan.board_id.is_not(None))
            .order_by(Plan.slug)
        )
    )


def run_reminders(*, session: Session, plan: Plan, today: date) -> CycleRun:
    """For the plan's board's next meeting: reminders until its deadline, then escalations."""
    meeting = next_meeting(session, board_id=plan.board_id, today=today) if plan.board_id else None
    if meeting is None:
        return CycleRun(meeting=None, result=None)
    cycle = cycle_for_meeting(session, meeting=meeting)
    send = send_reminders if cycle.can_remind(today) else send_escalations
    return CycleRun(meeting=meeting, result=send(session, plan=plan, cycle=cycle, today=today))
