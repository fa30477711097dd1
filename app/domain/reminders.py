"""Reminder e-mails to owners whose updates are missing before a meeting.

Idempotent: a reminder row (unique per meeting and person) is inserted before the e-mail is
sent and committed after, so two workers or two runs never send the same reminder twice; if
sending fails the row is rolled back and the next run tries again.
"""

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.models import Action, DeliveryGroup, Meeting, Plan, Reminder, Theme, User
from app.domain.audit import record_event
from app.domain.cycle import Cycle, cycle_states
from app.domain.timescales import uk_date


class ReminderError(Exception):
    pass


@dataclass
class ReminderResult:
    sent: list[str]
    already_sent: list[str]


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


def _message(*, user: User, plan: Plan, cycle: Cycle, actions: list[Action]) -> EmailMessage:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = user.email
    message["Subject"] = (
        f"Updates due by {uk_date(cycle.deadline)} for the {cycle.board.short_name} meeting "
        f"on {uk_date(cycle.meeting.held_on)}"
    )
    lines = "\n".join(f"- {a.ref}: {a.title}" for a in sorted(actions, key=lambda a: a.position))
    message.set_content(
        f"Dear {user.display_name},\n\n"
        f"The {cycle.board.name} meets on {uk_date(cycle.meeting.held_on)}. Please update these "
        f"actions of {plan.title} by {uk_date(cycle.deadline)}:\n\n{lines}\n\n"
        f"Update them at {settings.base_url}/my-actions\n\n"
        "This is an automatic reminder from plantrack.\n"
    )
    return message


def send_reminders(
    session: Session, *, plan: Plan, cycle: Cycle, sender: User | None = None
) -> ReminderResult:
    settings = get_settings()
    result = ReminderResult(sent=[], already_sent=[])
    due = recipients(session, plan=plan, cycle=cycle)
    done = set(
        session.exec(
            select(Reminder.user_id).where(
                Reminder.meeting_id == cycle.meeting.id, Reminder.user_id.in_(due)
            )
        )
    )
    for user_id, (user, actions) in sorted(due.items()):
        if user_id in done:
            result.already_sent.append(user.email)
            continue
        try:
            with session.begin_nested():
                session.add(
                    Reminder(
                        meeting_id=cycle.meeting.id,
                        user_id=user.id,
                        email=user.email,
                        sent_at=datetime.now(UTC),
                        sent_by_id=sender.id if sender else None,
                        action_count=len(actions),
                    )
                )
                session.flush()
        except IntegrityError:
            result.already_sent.append(user.email)  # another worker got there first
            continue
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
                smtp.send_message(_message(user=user, plan=plan, cycle=cycle, actions=actions))
        except (OSError, smtplib.SMTPException) as error:
            session.rollback()
            raise ReminderError(
                f"Could not send reminders through {settings.smtp_host}:{settings.smtp_port}: "
                f"{error}. Reminders sent before this one are recorded; run again to retry."
            ) from None
        record_event(
            session,
            user=sender,
            verb="send_reminder",
            entity_type="meeting",
            entity_id=cycle.meeting.id,
            summary=f"Reminded {user.email} of {len(actions)} updates due by "
            f"{uk_date(cycle.deadline)}",
        )
        session.commit()
        result.sent.append(user.email)
    return result


def reminders_for_meeting(session: Session, *, meeting: Meeting) -> list[Reminder]:
    return list(
        session.exec(
            select(Reminder).where(Reminder.meeting_id == meeting.id).order_by(Reminder.sent_at)
        )
    )
