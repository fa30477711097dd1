"""Access scoped by board on the pages: lists show only the person's boards' plans, another
board's records (and their files) are not found, and the office sets the boards, audited."""

import json

from sqlmodel import select

from app.core.models import AuditEvent, User, UserBoard
from app.domain.access import set_board_scope
from tests.conftest import sign_in
from tests.report_files import download

OWN = "reduced-offending-2018-21"  # the OMCDB's
OTHER = "police-and-crime-plan-2021-24"  # the PFCP's
VIEWER = "board.member@plantrack.example"
EDITOR = "iom.lead@plantrack.example"  # leads actions on the OMCDB's, PFCP's and PoliceCOG's plans


def account(session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def scope(session, email: str, boards: list[str]) -> None:
    set_board_scope(session, user=account(session, email), board_short_names=boards, by=None)
    session.commit()


def test_a_scoped_viewer_sees_only_their_boards_plans_boards_and_indicators(app_client, session):
    scope(session, VIEWER, ["OMCDB"])
    sign_in(app_client, "viewer")
    home = app_client.get("/").text
    assert f"/plans/{OWN}" in home and f"/plans/{OTHER}" not in home
    assert "/plans/managing-offenders-2018-21" not in home
    boards = app_client.get("/boards").text
    assert "/boards/OMCDB" in boards and "/boards/PFCP" not in boards
    indicators = app_client.get("/indicators").text
    assert "/indicators/reoffending-rate-adult" in indicators
    assert "/indicators/confidence-in-police" not in indicators
    assert OTHER not in app_client.get("/indicators/reoffending-rate-adult").text


def test_another_boards_appendix_files_are_refused(app_client, session):
    scope(session, VIEWER, ["OMCDB"])
    sign_in(app_client, "viewer")
    for extension in ("pdf", "csv", "xlsx"):
        mine = download(
            app_client, f"/plans/{OWN}/reports/appendix.{extension}?as_at=2019-03-31", session
        )
        assert mine.status_code == 200 and mine.content, extension
        theirs = app_client.get(f"/plans/{OTHER}/reports/appendix.{extension}")
        assert theirs.status_code == 404, extension
        assert "There is no plan called" in theirs.text
    assert app_client.get(f"/plans/{OTHER}/reports/highlight.pdf").status_code == 404
    # Nor is the state of its files, made or being made.
    for path in ("appendix.pdf/status", "highlight.docx/status"):
        assert app_client.get(f"/plans/{OTHER}/reports/{path}").status_code == 404, path


def test_another_boards_published_report_is_not_found(app_client, admin_client, session):
    response = admin_client.post(
        f"/plans/{OTHER}/reports/appendix/publish",
        data={"csrf_token": admin_client.csrf, "as_at": "2023-09-30"},
        follow_redirects=False,
    )
    report = response.headers["location"]
    scope(session, VIEWER, ["OMCDB"])
    sign_in(app_client, "viewer")
    for path in (report, f"{report}.pdf", f"{report}/changes"):
        assert app_client.get(path).status_code == 404, path
    scope(session, VIEWER, [])
    assert app_client.get(report).status_code == 200


def test_my_actions_shows_only_the_scoped_editors_boards_plans(app_client, session):
    sign_in(app_client, EDITOR)
    before = app_client.get("/my-actions").text
    assert f"/plans/{OTHER}/" in before
    scope(session, EDITOR, ["OMCDB"])
    after = app_client.get("/my-actions").text
    assert f"/plans/{OWN}/" in after and f"/plans/{OTHER}/" not in after


def test_the_office_limits_a_person_to_boards_audited(admin, session):
    person = account(session, VIEWER)
    listing = admin.get("/accounts")
    assert listing.status_code == 200 and VIEWER in listing.text
    form = admin.get(f"/accounts/{person.id}/boards")
    assert form.status_code == 200 and 'value="OMCDB"' in form.text
    saved = admin.post(
        f"/accounts/{person.id}/boards",
        data={"boards": ["OMCDB", "PFCP"], "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/accounts?changed={person.id}#account-{person.id}"
    assert "Only the plans of OMCDB, PFCP" in admin.get(saved.headers["location"]).text
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "scope_user")).one()
    assert json.loads(event.before_json)["boards"] == []
    assert json.loads(event.after_json)["boards"] == ["OMCDB", "PFCP"]
    assert event.actor == "admin@plantrack.example"
    # None ticked: every plan again.
    cleared = admin.post(
        f"/accounts/{person.id}/boards", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert cleared.status_code == 303
    assert not session.exec(select(UserBoard).where(UserBoard.user_id == person.id)).all()


def test_bad_boards_and_the_office_are_refused_with_a_readable_page(admin, session):
    person = account(session, VIEWER)
    refused = admin.post(
        f"/accounts/{person.id}/boards", data={"boards": ["NOSUCH"], "csrf_token": admin.csrf}
    )
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and "There is no board called" in refused.text
    office = account(session, "admin@plantrack.example")
    refused = admin.post(
        f"/accounts/{office.id}/boards", data={"boards": ["OMCDB"], "csrf_token": admin.csrf}
    )
    assert refused.status_code == 400 and "only a viewer or an editor" in refused.text
    assert admin.get("/accounts/99999999/boards").status_code == 404
    assert not session.exec(select(UserBoard)).all()
