"""Boards and meetings through HTTP: the office's forms (GOV.UK date inputs and errors), role
checks on every page and post, and reports filed only under the plan's own board's meetings."""

from datetime import date

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, Board, Meeting, PublishedReport
from app.domain.boards import get_board
from app.domain.progress import get_plan
from tests.conftest import sign_in

SLUG = "reduced-offending-2018-21"


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def date_fields(name: str, when: date | None = None, **typed) -> dict:
    """The GOV.UK date input's three boxes, from a date or as typed."""
    if when is not None:
        typed = {"day": str(when.day), "month": str(when.month), "year": str(when.year)} | typed
    return {f"{name}-{part}": value for part, value in typed.items()}


def omcdb_meeting(session, day: date) -> Meeting:
    board = get_board(session=session, short_name="OMCDB")
    return session.exec(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.held_on == day)
    ).one()


def add_form(client, day: date, **extra) -> dict:
    return {"csrf_token": client.csrf} | date_fields("held_on", day) | extra


# --- Who may do what ---------------------------------------------------------------------------


def office_posts(session) -> list[tuple[str, dict]]:
    meeting = omcdb_meeting(session, date(2021, 3, 18))
    base = f"/boards/OMCDB/meetings/{meeting.id}"
    return [
        ("/boards", {"name": "Youth Justice Board", "short_name": "YJB"}),
        ("/boards/OMCDB/meetings", date_fields("held_on", date(2027, 3, 18))),
        (f"{base}/move", date_fields("held_on", date(2021, 3, 25))),
        (f"{base}/deadline", date_fields("update_deadline", date(2021, 3, 1))),
        (f"{base}/cancel", {"confirm": "yes"}),
    ]


@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_viewers_and_editors_read_boards_but_change_nothing(app_client, session, who):
    csrf = sign_in(app_client, who)
    assert app_client.get("/boards").status_code == 200
    board = app_client.get("/boards/OMCDB")
    assert board.status_code == 200
    assert "Add a meeting" not in board.text and "/meetings/" not in board.text
    meeting = omcdb_meeting(session, date(2021, 3, 18))
    for path in ("/boards/new", f"/boards/OMCDB/meetings/{meeting.id}"):
        assert app_client.get(path).status_code == 403, path
    before = (count(session, Board), count(session, Meeting), count(session, AuditEvent))
    for path, data in office_posts(session):
        response = app_client.post(path, data=data | {"csrf_token": csrf})
        assert response.status_code == 403, path
    assert (count(session, Board), count(session, Meeting), count(session, AuditEvent)) == before
    assert omcdb_meeting(session, date(2021, 3, 18)).cancelled_at is None


def test_anonymous_visitors_are_sent_to_sign_in(app_client):
    for path in ("/boards", "/boards/OMCDB", "/boards/new"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


# --- Boards -----------------------------------------------------------------------------------


def test_the_office_creates_a_board(admin, session):
    assert "Add a board" in admin.get("/boards").text
    assert admin.get("/boards/new").status_code == 200
    response = admin.post(
        "/boards",
        data={
            "name": "Youth Justice Board",
            "short_name": "YJB",
            "description": "Oversees youth justice.",
            "csrf_token": admin.csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/boards/YJB"
    page = admin.get("/boards/YJB").text
    assert "Youth Justice Board" in page and "No meetings yet" in page
    assert count(session, AuditEvent, AuditEvent.verb == "create_board") == 1


def test_a_bad_board_is_shown_with_its_errors_and_nothing_is_written(admin, session):
    boards = count(session, Board)
    response = admin.post(
        "/boards",
        data={"name": "", "short_name": "OMCDB", "csrf_token": admin.csrf},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text and "Error: Add a board" in response.text
    assert 'href="#name"' in response.text and "Enter the board&#39;s name" in response.text
    assert "is taken by the Offender Management" in response.text
    assert 'value="OMCDB"' in response.text  # what was typed is kept
    assert count(session, Board) == boards


# --- Meetings ---------------------------------------------------------------------------------


def test_the_office_adds_a_meeting_with_the_date_input(admin, session):
    response = admin.post(
        "/boards/OMCDB/meetings",
        data=add_form(admin, date(2027, 3, 18), title="OMCDB quarterly"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    meeting = omcdb_meeting(session, date(2027, 3, 18))
    assert f"changed={meeting.id}&did=added" in response.headers["location"]
    page = admin.get(response.headers["location"]).text
    assert "The meeting on 18 March 2027 is added: updates are due by 4 March 2027" in page
    assert count(session, AuditEvent, AuditEvent.verb == "add_meeting") == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        (date_fields("held_on", day="", month="", year=""), "Enter the date of the meeting"),
        (date_fields("held_on", day="18", month="", year="2027"), "must include a month"),
        (date_fields("held_on", day="31", month="2", year="2027"), "must be a real date"),
        (date_fields("held_on", day="1", month="3", year="27"), "Year must include 4 numbers"),
        (date_fields("held_on", day="x", month="3", year="2027"), "must be a real date"),
        (date_fields("held_on", date(2021, 3, 18)), "already has a meeting on 18 March 2021"),
        (
            date_fields("held_on", date(2027, 3, 18))
            | date_fields("update_deadline", date(2027, 3, 19)),
            "must be before the meeting",
        ),
    ],
)
def test_a_bad_meeting_is_shown_with_its_errors_and_nothing_is_written(
    admin, session, fields, message
):
    before = (count(session, Meeting), count(session, AuditEvent))
    response = admin.post("/boards/OMCDB/meetings", data={"csrf_token": admin.csrf} | fields)
    assert response.status_code == 400
    assert message in response.text and "govuk-error-summary" in response.text
    assert "govuk-input--error" in response.text
    assert (count(session, Meeting), count(session, AuditEvent)) == before


def test_the_office_moves_a_meeting_and_sets_its_deadline(admin, session):
    admin.post("/boards/OMCDB/meetings", data=add_form(admin, date(2027, 3, 18)))
    meeting = omcdb_meeting(session, date(2027, 3, 18))
    base = f"/boards/OMCDB/meetings/{meeting.id}"
    page = admin.get(base).text
    assert "Move the meeting" in page and "Cancel the meeting" in page
    moved = admin.post(
        f"{base}/move",
        data={"csrf_token": admin.csrf} | date_fields("held_on", date(2027, 3, 25)),
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert "is moved" in admin.get(moved.headers["location"]).text
    set_deadline = admin.post(
        f"{base}/deadline",
        data={"csrf_token": admin.csrf} | date_fields("update_deadline", date(2027, 3, 1)),
        follow_redirects=False,
    )
    assert set_deadline.status_code == 303
    session.refresh(meeting)
    assert meeting.held_on == date(2027, 3, 25) and meeting.update_deadline == date(2027, 3, 1)
    assert "set for this meeting" in admin.get("/boards/OMCDB").text
    back = admin.post(
        f"{base}/deadline",
        data={"csrf_token": admin.csrf, "use_default": "yes"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    session.refresh(meeting)
    assert meeting.update_deadline is None
    verbs = list(session.exec(select(AuditEvent.verb).where(AuditEvent.entity_id == meeting.id)))
    assert {"add_meeting", "move_meeting", "set_meeting_deadline"} <= set(verbs)


def test_bad_moves_and_deadlines_are_refused_and_nothing_is_written(admin, session):
    meeting = omcdb_meeting(session, date(2021, 3, 18))
    base = f"/boards/OMCDB/meetings/{meeting.id}"
    audited = count(session, AuditEvent)
    for path, data, message in [
        (f"{base}/move", date_fields("held_on", date(2020, 12, 10)), "already has a meeting"),
        (f"{base}/move", date_fields("held_on", day="40", month="1", year="2021"), "real date"),
        (f"{base}/move", {}, "Enter the new date"),
        (f"{base}/deadline", {}, "Enter the update deadline, or choose"),
        (f"{base}/deadline", date_fields("update_deadline", date(2021, 3, 18)), "before the"),
        (f"{base}/cancel", {}, "Confirm that the meeting is cancelled"),
    ]:
        response = admin.post(path, data={"csrf_token": admin.csrf} | data)
        assert response.status_code == 400, path
        assert message in response.text, path
    session.refresh(meeting)
    assert meeting.held_on == date(2021, 3, 18) and meeting.update_deadline is None
    assert meeting.cancelled_at is None and count(session, AuditEvent) == audited
    assert admin.get("/boards/OMCDB/meetings/999999").status_code == 404
    other = session.exec(
        select(Meeting).where(Meeting.board_id == get_board(session=session, short_name="PCP").id)
    ).first()
    assert admin.get(f"/boards/OMCDB/meetings/{other.id}").status_code == 404


def test_a_cancelled_meeting_is_marked_and_leaves_the_pickers(admin, session):
    meeting = omcdb_meeting(session, date(2019, 5, 23))
    response = admin.post(
        f"/boards/OMCDB/meetings/{meeting.id}/cancel",
        data={"csrf_token": admin.csrf, "confirm": "yes", "reason": "No quorum"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    board = admin.get(response.headers["location"]).text
    assert "is cancelled" in board and "Cancelled" in board
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "cancel_meeting")).one()
    assert "No quorum" in event.summary
    highlight = admin.get(f"/plans/{SLUG}/reports/highlight").text
    assert f'value="{meeting.id}"' not in highlight
    appendix = admin.get(f"/plans/{SLUG}/reports/appendix?as_at=2019-06-30").text
    assert f'<option value="{meeting.id}"' not in appendix
    refused = admin.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"as_at": "2019-05-20", "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert refused.status_code == 409 and "was cancelled" in refused.text


# --- Reports of a plan go only to its own board's meetings -----------------------------------


def other_boards_meeting(session) -> Meeting:
    panel = get_board(session=session, short_name="PFCP")
    return session.exec(select(Meeting).where(Meeting.board_id == panel.id)).first()


def test_the_pickers_list_only_the_plans_own_boards_meetings(admin, session):
    other = other_boards_meeting(session)
    for path in (f"/plans/{SLUG}/reports/highlight", f"/plans/{SLUG}/reports/appendix"):
        page = admin.get(path).text
        assert "of the OMCDB" in page, path
        assert f'<option value="{other.id}"' not in page, path
        assert "PFCP" not in page and "Police, Fire and Crime Panel (" not in page, path


@pytest.mark.parametrize("kind", ["appendix", "highlight"])
def test_publishing_for_another_boards_meeting_is_refused_and_nothing_is_written(
    admin, session, kind
):
    other = other_boards_meeting(session)
    before = (count(session, PublishedReport), count(session, AuditEvent))
    response = admin.post(
        f"/plans/{SLUG}/reports/{kind}/publish",
        data={"as_at": "2019-03-31", "meeting": other.id, "csrf_token": admin.csrf},
    )
    assert response.status_code == 400
    assert "is a meeting of the Staffordshire Police, Fire and Crime Panel (PFCP)" in response.text
    assert "not of the Offender Management" in response.text
    assert (count(session, PublishedReport), count(session, AuditEvent)) == before


def test_drafting_a_highlight_for_another_boards_meeting_is_refused(admin, session):
    other = other_boards_meeting(session)
    page = admin.get(f"/plans/{SLUG}/reports/highlight", params={"meeting": other.id})
    assert page.status_code == 400 and "can only be drafted or published" in page.text
    download = admin.get(f"/plans/{SLUG}/reports/highlight.json", params={"meeting": other.id})
    assert download.status_code == 400
    assert admin.get(f"/plans/{SLUG}/reports/highlight?meeting=999999").status_code == 404
    own = omcdb_meeting(session, date(2019, 5, 23))
    assert admin.get(f"/plans/{SLUG}/reports/highlight?meeting={own.id}").status_code == 200


def test_a_plan_of_another_board_drafts_for_its_own_meetings(admin, session):
    plan = get_plan(session=session, slug="police-and-crime-plan-2021-24")
    own = other_boards_meeting(session)
    assert plan.board_id == own.board_id
    page = admin.get(f"/plans/{plan.slug}/reports/highlight", params={"meeting": own.id})
    assert page.status_code == 200
    omcdb = omcdb_meeting(session, date(2021, 3, 18))
    refused = admin.get(f"/plans/{plan.slug}/reports/highlight", params={"meeting": omcdb.id})
    assert refused.status_code == 400
