"""Reminders before the deadline and escalations after it, through a real SMTP server: each sent
once per person, meeting and kind, and only ever for a meeting still ahead."""

import socket
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from app.core.config import get_settings
from app.core.models import AuditEvent, Meeting, Reminder, User
from app.domain.boards import cancel_meeting
from app.domain.cycle import completion, cycle_for_meeting, working_days_before
from app.domain.progress import get_plan
from app.domain.reminders import (
    ReminderError,
    ReminderRefused,
    escalation_recipients,
    run_reminders,
    send_escalations,
    send_reminders,
)

SLUG = "reduced-offending-2018-21"
TODAY = date.today()


def add_meeting(session, board_id: int, held_on: date, deadline: date | None = None) -> Meeting:
    meeting = Meeting(
        board_id=board_id, held_on=held_on, title="Test meeting", update_deadline=deadline
    )
    session.add(meeting)
    session.flush()
    return meeting


@pytest.fixture
def plan(session):
    return get_plan(session=session, slug=SLUG)


@pytest.fixture
def ahead(session, plan):
    """A meeting of the plan's board six weeks ahead: its deadline is still to come."""
    return cycle_for_meeting(
        session, meeting=add_meeting(session, plan.board_id, TODAY + timedelta(weeks=6))
    )


@pytest.fixture
def overdue(session, plan):
    """A meeting a few days ahead whose update deadline was yesterday."""
    meeting = add_meeting(
        session, plan.board_id, TODAY + timedelta(days=5), deadline=TODAY - timedelta(days=1)
    )
    return cycle_for_meeting(session, meeting=meeting)


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def test_the_deadline_is_ten_working_days_before_the_meeting():
    assert working_days_before(date(2019, 5, 16), 10) == date(2019, 5, 2)  # a Thursday
    assert working_days_before(date(2019, 5, 13), 1) == date(2019, 5, 10)  # Monday -> Friday


def test_completion_counts_add_up(session, plan):
    meeting = session.exec(select(Meeting).where(Meeting.held_on == date(2019, 5, 23))).one()
    owners, groups = completion(
        session, plan=plan, cycle=cycle_for_meeting(session, meeting=meeting)
    )
    assert owners and groups
    for row in owners + groups:
        assert row.updated + row.missing == row.outstanding
        assert 0 <= row.stale <= row.outstanding
    assert sum(r.outstanding for r in owners) == sum(r.outstanding for r in groups)


def test_reminders_are_mailed_once_per_person_per_meeting(session, smtp_server, plan, ahead):
    owners, groups = completion(session, plan=plan, cycle=ahead)
    expected = {u.email for row in owners + groups if row.missing for u in row.users}
    assert expected, "owners have updates to make for a meeting ahead"

    first = send_reminders(session, plan=plan, cycle=ahead, today=TODAY)
    assert set(first.sent) == expected
    assert {message["To"] for message in smtp_server} == expected
    body = smtp_server[0].get_payload(decode=True).decode()
    assert "/my-actions" in body and plan.title in body

    second = send_reminders(session, plan=plan, cycle=ahead, today=TODAY)
    assert second.sent == [] and set(second.already_sent) == expected
    assert len(smtp_server) == len(expected)
    assert count(session, Reminder, Reminder.meeting_id == ahead.meeting.id) == len(expected)
    assert count(session, AuditEvent, AuditEvent.verb == "send_reminder") == len(expected)


def test_an_unreachable_mail_server_is_reported_and_nothing_is_recorded(
    session, monkeypatch, plan, ahead
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setattr(get_settings(), "smtp_port", closed_port)
    with pytest.raises(ReminderError, match="Could not send e-mail"):
        send_reminders(session, plan=plan, cycle=ahead, today=TODAY)
    assert count(session, Reminder) == 0


@pytest.mark.parametrize("send", [send_reminders, send_escalations])
def test_a_meeting_already_held_is_never_reminded_or_escalated(session, smtp_server, plan, send):
    held = session.exec(select(Meeting).where(Meeting.held_on == date(2019, 5, 23))).one()
    with pytest.raises(ReminderRefused, match="has been held"):
        send(session, plan=plan, cycle=cycle_for_meeting(session, meeting=held), today=TODAY)
    assert smtp_server == [] and count(session, Reminder) == 0


def test_a_cancelled_meeting_is_never_reminded(session, smtp_server, plan, ahead):
    cancel_meeting(session=session, user=None, board=ahead.board, meeting=ahead.meeting)
    with pytest.raises(ReminderRefused, match="was cancelled"):
        send_reminders(session, plan=plan, cycle=ahead, today=TODAY)
    assert smtp_server == []


def test_reminders_stop_at_the_deadline_and_escalations_start_after_it(
    session, smtp_server, plan, ahead, overdue
):
    with pytest.raises(ReminderRefused, match="has passed"):
        send_reminders(session, plan=plan, cycle=overdue, today=TODAY)
    with pytest.raises(ReminderRefused, match="only once that has passed"):
        send_escalations(session, plan=plan, cycle=ahead, today=TODAY)
    assert smtp_server == [] and count(session, Reminder) == 0


def test_escalation_sends_each_group_lead_their_group_and_the_office_everything(
    session, smtp_server, plan, overdue
):
    owners, groups = completion(session, plan=plan, cycle=overdue)
    missing_groups = {row.label: row for row in groups if row.missing}
    assert len(missing_groups) >= 2, "the demo plan's two delivery groups both have gaps"

    result = send_escalations(session, plan=plan, cycle=overdue, today=TODAY)

    leads = {user.email: label for label, row in missing_groups.items() for user in row.users}
    office = set(session.exec(select(User.email).where(User.role == "admin")))
    assert set(result.sent) == set(leads) | office
    messages = {message["To"]: message for message in smtp_server}
    assert set(messages) == set(leads) | office
    for email, label in leads.items():
        body = messages[email].get_payload(decode=True).decode()
        assert label in body
        others = set(missing_groups) - {label}
        assert not any(f"{other} (lead:" in body for other in others)
        assert f"{missing_groups[label].missing} update" in messages[email]["Subject"]
    for email in office:
        body = messages[email].get_payload(decode=True).decode()
        assert all(f"{label} (lead:" in body for label in missing_groups)
        assert "/completion?plan=" in body

    again = send_escalations(session, plan=plan, cycle=overdue, today=TODAY)
    assert again.sent == [] and set(again.already_sent) == set(result.sent)
    assert len(smtp_server) == len(result.sent)
    rows = session.exec(select(Reminder).where(Reminder.meeting_id == overdue.meeting.id)).all()
    assert {row.kind for row in rows} == {"escalation"} and len(rows) == len(result.sent)
    assert count(session, AuditEvent, AuditEvent.verb == "send_escalation") == len(rows)


def test_a_person_reminded_before_the_deadline_is_escalated_to_after_it(
    session, smtp_server, plan, ahead
):
    reminded = send_reminders(session, plan=plan, cycle=ahead, today=TODAY)
    later = ahead.deadline + timedelta(days=1)
    escalated = send_escalations(session, plan=plan, cycle=ahead, today=later)
    both = set(reminded.sent) & set(escalated.sent)
    assert both, "a group lead is both reminded and, once the deadline passes, escalated to"
    kinds = session.exec(
        select(Reminder.kind).where(
            Reminder.meeting_id == ahead.meeting.id, Reminder.email == sorted(both)[0]
        )
    ).all()
    assert sorted(kinds) == ["escalation", "reminder"]


def test_escalation_recipients_take_constant_queries(session, plan, overdue, count_statements):
    with count_statements() as counted:
        escalation_recipients(session, plan=plan, cycle=overdue)
    assert counted.count <= 10


def test_the_scheduled_run_reminds_then_escalates_and_looks_only_ahead(session, smtp_server, plan):
    assert run_reminders(session=session, plan=plan, today=TODAY).meeting is None  # all held
    meeting = add_meeting(session, plan.board_id, TODAY + timedelta(weeks=6))
    deadline = cycle_for_meeting(session, meeting=meeting).deadline

    before = run_reminders(session=session, plan=plan, today=TODAY)
    assert before.meeting.id == meeting.id and before.result.kind == "reminder"
    assert before.result.sent

    after = run_reminders(session=session, plan=plan, today=deadline + timedelta(days=1))
    assert after.meeting.id == meeting.id and after.result.kind == "escalation"
    assert after.result.sent

    held = run_reminders(session=session, plan=plan, today=meeting.held_on + timedelta(days=1))
    assert held.meeting is None
