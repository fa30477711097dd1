"""Reminder e-mails through a real SMTP server, sent once per person per meeting."""

import pytest
from sqlmodel import func, select

from app.core.models import Meeting, Reminder
from app.domain.cycle import completion, cycle_for_meeting, working_days_before
from app.domain.progress import get_plan
from app.domain.reminders import ReminderError, send_reminders


@pytest.fixture
def plan_and_cycle(session):
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    meetings = session.exec(
        select(Meeting).where(Meeting.board_id == plan.board_id).order_by(Meeting.held_on)
    ).all()
    # A meeting in the plan's life, so some owners have updated and some have not.
    meeting = next(m for m in meetings if m.held_on.year == 2019)
    return plan, cycle_for_meeting(session, meeting=meeting)


def test_the_deadline_is_ten_working_days_before_the_meeting():
    from datetime import date

    assert working_days_before(date(2019, 5, 16), 10) == date(2019, 5, 2)  # a Thursday
    assert working_days_before(date(2019, 5, 13), 1) == date(2019, 5, 10)  # Monday -> Friday


def test_completion_counts_add_up(session, plan_and_cycle):
    plan, cycle = plan_and_cycle
    owners, groups = completion(session, plan=plan, cycle=cycle)
    assert owners and groups
    for row in owners + groups:
        assert row.updated + row.missing == row.outstanding
        assert 0 <= row.stale <= row.outstanding
    assert sum(r.outstanding for r in owners) == sum(r.outstanding for r in groups)


def test_reminders_are_mailed_once_per_person_per_meeting(session, smtp_server, plan_and_cycle):
    plan, cycle = plan_and_cycle
    owners, groups = completion(session, plan=plan, cycle=cycle)
    expected = {u.email for row in owners + groups if row.missing for u in row.users}
    assert expected, "the demo should have owners with missing updates for this meeting"

    first = send_reminders(session, plan=plan, cycle=cycle)
    assert set(first.sent) == expected
    assert {message["To"] for message in smtp_server} == expected
    body = smtp_server[0].get_payload(decode=True).decode()
    assert "/my-actions" in body and plan.title in body

    second = send_reminders(session, plan=plan, cycle=cycle)
    assert second.sent == [] and set(second.already_sent) == expected
    assert len(smtp_server) == len(expected)
    rows = session.exec(
        select(func.count()).select_from(Reminder).where(Reminder.meeting_id == cycle.meeting.id)
    ).one()
    assert rows == len(expected)


def test_an_unreachable_mail_server_is_reported_and_nothing_is_recorded(
    session, monkeypatch, plan_and_cycle
):
    import socket

    from app.core.config import get_settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setattr(get_settings(), "smtp_port", closed_port)
    plan, cycle = plan_and_cycle
    with pytest.raises(ReminderError, match="Could not send reminders"):
        send_reminders(session, plan=plan, cycle=cycle)
    assert session.exec(select(func.count()).select_from(Reminder)).one() == 0


def test_the_office_sends_reminders_from_the_completion_page(
    admin, session, smtp_server, plan_and_cycle
):
    plan, cycle = plan_and_cycle
    page = admin.get("/completion", params={"plan": plan.slug, "meeting": cycle.meeting.id})
    assert page.status_code == 200
    assert "missing" in page.text
    sent = admin.post(
        "/completion/reminders",
        data={"plan": plan.slug, "meeting": cycle.meeting.id, "csrf_token": admin.csrf},
    )
    assert sent.status_code == 200
    assert "reminder" in sent.text and "sent" in sent.text
    assert smtp_server
    for message in smtp_server:
        assert message["To"] in sent.text  # listed in the app
