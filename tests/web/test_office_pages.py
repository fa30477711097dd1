"""The office's pages through HTTP: updates due (the meeting list follows the plan, with and
without HTMX), reminders and escalations, who was sent what and when, approvals."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from app.core.models import Action, AuditEvent, Meeting, Reminder, StatusUpdate
from app.domain.boards import get_board
from app.domain.progress import get_plan
from tests.conftest import csrf_from, sign_in

SLUG = "reduced-offending-2018-21"
SHORT_TITLE = "Reduced Offending 2018-21"
TODAY = date.today()


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def add_meeting(session, short_name: str, held_on: date, deadline: date | None = None) -> Meeting:
    board = get_board(session=session, short_name=short_name)
    meeting = Meeting(
        board_id=board.id, held_on=held_on, title="Meeting ahead", update_deadline=deadline
    )
    session.add(meeting)
    session.flush()
    return meeting


def selected_meeting(html: str) -> str:
    select_html = html[html.index('id="meeting"') :]
    return re.search(r'<option value="(\d+)" selected', select_html).group(1)


# --- Updates due: the meeting list follows the plan -------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_changing_the_plan_shows_the_new_plans_next_meeting(admin, session, htmx):
    """The form still carries the old plan's meeting (another board's) when the plan changes:
    the new plan's next meeting is shown, not a 404."""
    omcdb = session.exec(
        select(Meeting).where(Meeting.held_on == date(2021, 3, 18))
    ).one()  # of the reduced-offending plan's board
    ahead = add_meeting(session, "PFCP", TODAY + timedelta(weeks=4))
    headers = {"HX-Request": "true"} if htmx else {}
    response = admin.get(
        "/completion",
        params={"plan": "police-and-crime-plan-2021-24", "meeting": omcdb.id},
        headers=headers,
    )
    assert response.status_code == 200
    assert selected_meeting(response.text) == str(ahead.id)
    assert "Staffordshire Police, Fire and Crime Panel meets on" in response.text
    assert f'<option value="{omcdb.id}"' not in response.text  # only the PFCP's meetings
    assert response.headers["Vary"] == "HX-Request"
    if htmx:
        assert response.text.lstrip().startswith('<div id="completion">')
        assert "<html" not in response.text and 'name="csrf_token"' in response.text
    else:
        assert "<html" in response.text and 'hx-get="/completion"' in response.text


def test_without_a_meeting_ahead_the_latest_is_shown_and_nothing_can_be_sent(admin):
    page = admin.get("/completion", params={"plan": SLUG}).text
    assert "meeting on <strong>18 March 2021" not in page  # wording is "met on" for the past
    assert "met on <strong>18 March 2021</strong>" in page
    assert "reminders and escalations only go out for meetings still ahead" in page
    assert 'action="/completion/reminders"' not in page
    assert 'action="/completion/escalations"' not in page


@pytest.mark.parametrize("path", ["/completion", "/approvals"])
@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_office_pages_are_refused_to_viewers_and_editors(app_client, path, who):
    sign_in(app_client, who)
    assert app_client.get(path).status_code == 403


@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_viewers_and_editors_cannot_send_reminders_or_escalations(
    app_client, session, smtp_server, who
):
    csrf = sign_in(app_client, who)
    meeting = add_meeting(session, "OMCDB", TODAY + timedelta(days=3), TODAY - timedelta(days=1))
    for path in ("/completion/reminders", "/completion/escalations"):
        response = app_client.post(
            path, data={"plan": SLUG, "meeting": meeting.id, "csrf_token": csrf}
        )
        assert response.status_code == 403
    assert smtp_server == [] and count(session, Reminder) == 0


# --- Reminders and escalations ----------------------------------------------------------------


def test_the_office_reminds_and_the_page_shows_who_and_when(admin, session, smtp_server):
    meeting = add_meeting(session, "OMCDB", TODAY + timedelta(weeks=6))
    page = admin.get("/completion", params={"plan": SLUG, "meeting": meeting.id}).text
    assert "Send reminders to owners with missing updates" in page
    assert "Escalate missing updates" not in page
    sent = admin.post(
        "/completion/reminders",
        data={"plan": SLUG, "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert sent.status_code == 200
    assert re.search(r"\d+ reminders? sent", sent.text)
    assert smtp_server
    today = f"{TODAY.day} {TODAY.strftime('%B')} {TODAY.year}"
    for message in smtp_server:
        assert message["To"] in sent.text
    assert f"(reminded {today})" in sent.text
    assert sent.text.count('<td class="govuk-table__cell">Reminder</td>') == len(smtp_server)
    again = admin.post(
        "/completion/reminders",
        data={"plan": SLUG, "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert f"0 reminders sent; {len(smtp_server)} already sent" in again.text


def test_the_office_escalates_once_the_deadline_has_passed(admin, session, smtp_server):
    meeting = add_meeting(session, "OMCDB", TODAY + timedelta(days=3), TODAY - timedelta(days=1))
    page = admin.get("/completion", params={"plan": SLUG, "meeting": meeting.id}).text
    assert "Escalate missing updates" in page and "Send reminders" not in page
    refused = admin.post(
        "/completion/reminders",
        data={"plan": SLUG, "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert refused.status_code == 409 and "has passed" in refused.text
    assert smtp_server == []
    sent = admin.post(
        "/completion/escalations",
        data={"plan": SLUG, "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert sent.status_code == 200 and "escalations sent" in sent.text
    assert "admin@plantrack.example" in {message["To"] for message in smtp_server}
    assert "(escalated " in sent.text
    kinds = set(session.exec(select(Reminder.kind).where(Reminder.meeting_id == meeting.id)))
    assert kinds == {"escalation"}


def test_reminders_for_a_meeting_held_or_of_another_board_are_refused(admin, session, smtp_server):
    held = session.exec(select(Meeting).where(Meeting.held_on == date(2021, 3, 18))).one()
    response = admin.post(
        "/completion/reminders",
        data={"plan": SLUG, "meeting": held.id, "csrf_token": admin.csrf},
    )
    assert response.status_code == 409 and "has been held" in response.text
    other = add_meeting(session, "PFCP", TODAY + timedelta(weeks=6))
    response = admin.post(
        "/completion/reminders",
        data={"plan": SLUG, "meeting": other.id, "csrf_token": admin.csrf},
    )
    assert response.status_code == 400
    assert smtp_server == [] and count(session, Reminder) == 0


def test_an_owner_without_an_account_links_to_the_owners_page(admin):
    page = admin.get("/completion", params={"plan": SLUG}).text
    assert f'href="/plans/{SLUG}/owners">invite or link one</a>' in page


# --- Approvals --------------------------------------------------------------------------------


@pytest.fixture
def submitted(session, app_client):
    """OM1 of the reduced-offending plan, with approval on, updated by its group's lead."""
    plan = get_plan(session=session, slug=SLUG)
    plan.requires_approval = True
    session.add(plan)
    session.flush()
    sign_in(app_client, "omrr.lead@plantrack.example")
    action_page = app_client.get(f"/plans/{SLUG}/actions/OM1").text
    version = re.search(r'name="version" value="(\d+)"', action_page).group(1)
    response = app_client.post(
        f"/plans/{SLUG}/actions/OM1/updates",
        data={
            "stage": "in_progress",
            "rag": "amber",
            "commentary": "Submitted for approval.",
            "corrective_action": "",
            "effective_on": "2020-06-01",
            "version": version,
            "csrf_token": csrf_from(action_page),
        },
        follow_redirects=False,
    )
    assert response.headers["location"].endswith("updated=submitted")
    action = session.exec(
        select(Action).where(Action.plan_id == plan.id, Action.ref == "OM1")
    ).one()
    return session.exec(
        select(StatusUpdate).where(
            StatusUpdate.action_id == action.id, StatusUpdate.review_state == "submitted"
        )
    ).one()


def latest_approved(session, action_id: int) -> StatusUpdate:
    return session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.action_id == action_id, StatusUpdate.review_state == "approved")
        .order_by(StatusUpdate.effective_on.desc(), StatusUpdate.recorded_at.desc())
    ).first()


def test_the_approval_page_shows_the_approved_status_beside_the_submitted_one(
    admin_client, session, submitted
):
    previous = latest_approved(session, submitted.action_id)
    page = admin_client.get("/approvals").text
    block = page[page.index("Submitted for approval.") - 3000 :]
    assert "Approved status now" in block
    assert f"Effective {previous.effective_on.day} {previous.effective_on.strftime('%B')}" in block
    assert previous.commentary.split("\n")[0][:40] in block


@pytest.mark.parametrize(
    "decision, reason, state, words",
    [
        ("approve", "", "approved", "is approved: reports now show it"),
        ("return", "Say what changed.", "returned", "is returned to its author"),
    ],
)
def test_approving_or_returning_shows_a_confirmation(
    admin_client, session, submitted, decision, reason, state, words
):
    response = admin_client.post(
        f"/approvals/{submitted.id}",
        data={"decision": decision, "reason": reason, "csrf_token": admin_client.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/approvals?reviewed={submitted.id}"
    page = admin_client.get(response.headers["location"]).text
    assert "govuk-notification-banner--success" in page
    assert f"The update to {SHORT_TITLE} OM1 {words}" in page
    session.refresh(submitted)
    assert submitted.review_state == state


def test_no_confirmation_is_shown_for_an_update_still_waiting(admin_client, submitted):
    page = admin_client.get(f"/approvals?reviewed={submitted.id}").text
    assert "govuk-notification-banner" not in page and "Submitted for approval." in page


def test_returning_without_a_reason_is_refused_and_nothing_changes(
    admin_client, session, submitted
):
    audited = count(session, AuditEvent)
    response = admin_client.post(
        f"/approvals/{submitted.id}",
        data={"decision": "return", "reason": " ", "csrf_token": admin_client.csrf},
    )
    assert response.status_code == 400
    assert "Enter the reason" in response.text and f'href="#reason-{submitted.id}"' in response.text
    session.refresh(submitted)
    assert submitted.review_state == "submitted" and count(session, AuditEvent) == audited


@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_viewers_and_editors_cannot_approve(viewer_client, session, submitted, who):
    client = viewer_client
    csrf = sign_in(client, who)
    response = client.post(
        f"/approvals/{submitted.id}", data={"decision": "approve", "csrf_token": csrf}
    )
    assert response.status_code == 403
    session.refresh(submitted)
    assert submitted.review_state == "submitted"


def test_a_plan_whose_board_has_no_meetings_yet_says_so(admin, session):
    from app.core.models import Board
    from tests.factories import make_plan

    board = Board(short_name="NEWB", name="A new board")
    session.add(board)
    session.flush()
    plan = make_plan(session, board_id=board.id)
    page = admin.get("/completion", params={"plan": plan.slug})
    assert page.status_code == 200
    assert "The A new board has no meetings yet" in page.text
    assert 'href="/boards/NEWB#add-meeting"' in page.text
    refused = admin.post(
        "/completion/reminders",
        data={"plan": plan.slug, "meeting": 1, "csrf_token": admin.csrf},
    )
    assert refused.status_code == 400


def test_the_audit_log_is_filtered_by_dates_typed_into_gov_uk_date_inputs(admin, session):
    """The boxes and since=/until=YYYY-MM-DD (its pages' links) give the same events."""
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id)).first()
    day = event.occurred_at.date()
    page = admin.get("/audit").text
    assert 'type="date"' not in page
    assert 'id="since-day" name="since-day"' in page and 'id="until-year" name="until-year"' in page
    boxes = {"since-day": str(day.day), "since-month": str(day.month), "since-year": str(day.year)}
    by_boxes = admin.get(
        "/audit", params=boxes | {"until-day": "1", "until-month": "1", "until-year": "2100"}
    )
    by_link = admin.get("/audit", params={"since": day.isoformat(), "until": "2100-01-01"})
    assert by_boxes.status_code == by_link.status_code == 200
    rows = re.compile(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">')
    assert len(rows.findall(by_boxes.text)) == len(rows.findall(by_link.text)) > 0
    assert re.search(rf'name="since-day" [^>]*value="{day.day}"', by_boxes.text)
    future = admin.get(
        "/audit", params={"since-day": "1", "since-month": "1", "since-year": "2100"}
    )
    assert "No events match." in future.text
    bad = admin.get("/audit", params={"since-day": "1", "since-month": "1"})
    assert bad.status_code == 400
    assert "The &#39;from&#39; date must include a year" in bad.text
