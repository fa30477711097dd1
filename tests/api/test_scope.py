"""Access scoped by board on the API: a scoped person's cookie and tokens read only their
boards' plans, boards, indicators, published reports and the feed; another board's are 404."""

from sqlmodel import func, select

from app.core.models import StatusUpdate, User
from app.domain.access import set_board_scope
from tests.api.conftest import bearer
from tests.conftest import sign_in

OWN = "reduced-offending-2018-21"  # the OMCDB's
OTHER = "police-and-crime-plan-2021-24"  # the PFCP's
EDITOR = "iom.lead@plantrack.example"  # leads RR2 here and RO2 there


def scope(session, email: str, boards: list[str]) -> None:
    person = session.exec(select(User).where(User.email == email)).one()
    set_board_scope(session, user=person, board_short_names=boards, by=None)
    session.commit()


def publish(client, slug: str, as_at: str) -> int:
    response = client.post(
        f"/plans/{slug}/reports/appendix/publish",
        data={"csrf_token": client.csrf, "as_at": as_at},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_scoped_persons_token_lists_only_their_boards_records(
    app_client, admin_client, make_token, session
):
    own_report = publish(admin_client, OWN, "2019-03-31")
    other_report = publish(admin_client, OTHER, "2023-09-30")
    scope(session, "board.member@plantrack.example", ["OMCDB"])
    token = bearer(make_token(person="board.member@plantrack.example"))

    plans = app_client.get("/api/v1/plans", headers=token).json()["items"]
    assert sorted(plan["slug"] for plan in plans) == [OWN, "reducing-offending-2015-18"]
    boards = app_client.get("/api/v1/boards", headers=token).json()["items"]
    assert [board["short_name"] for board in boards] == ["OMCDB"]
    indicators = {
        i["key"] for i in app_client.get("/api/v1/indicators", headers=token).json()["items"]
    }
    assert "reoffending-rate-adult" in indicators and "confidence-in-police" not in indicators
    reports = app_client.get("/api/v1/reports", headers=token).json()["items"]
    assert [report["id"] for report in reports] == [own_report]
    for fmt in ("csv", "pdf"):
        mine = app_client.get(f"/api/v1/reports/{own_report}/files/{fmt}", headers=token)
        assert mine.status_code == 200
        theirs = app_client.get(f"/api/v1/reports/{other_report}/files/{fmt}", headers=token)
        assert theirs.status_code == 404 and theirs.json()["status"] == 404
    board = app_client.get("/api/v1/boards/OMCDB", headers=token).json()
    assert sorted(board["plans"]) == [OWN, "reducing-offending-2015-18"]

    # The feed: theirs as JSON and CSV, another board's not found, as an unknown plan is.
    assert (
        app_client.get(f"/api/v1/plans/{OWN}/actions-as-at.csv", headers=token).status_code == 200
    )
    for suffix in ("actions-as-at", "actions-as-at.csv", "reports/appendix", "progress"):
        other = app_client.get(f"/api/v1/plans/{OTHER}/{suffix}", headers=token)
        missing = app_client.get(f"/api/v1/plans/no-such-plan/{suffix}", headers=token)
        assert other.status_code == missing.status_code == 404, suffix

    # Unscoped again: the same token reads every plan.
    scope(session, "board.member@plantrack.example", [])
    assert app_client.get(f"/api/v1/plans/{OTHER}", headers=token).status_code == 200


def test_the_cookie_on_the_api_is_scoped_as_the_pages_are(app_client, session):
    scope(session, "board.member@plantrack.example", ["PFCP"])
    sign_in(app_client, "viewer")
    plans = app_client.get("/api/v1/plans").json()["items"]
    assert [plan["slug"] for plan in plans] == [OTHER]
    assert app_client.get(f"/api/v1/plans/{OWN}/actions").status_code == 404
    assert app_client.get("/api/v1/indicators/confidence-in-police").status_code == 200
    assert app_client.get("/api/v1/indicators/reoffending-rate-adult").status_code == 404


def update(version_etag: str, effective_on: str) -> tuple[dict, dict]:
    body = {
        "stage": "in_progress",
        "rag": "green",
        "commentary": "On track.",
        "effective_on": effective_on,
    }
    return body, {"If-Match": version_etag}


def test_a_scoped_editors_write_token_cannot_update_another_boards_action(
    app_client, make_token, session
):
    scope(session, EDITOR, ["OMCDB"])
    token = bearer(make_token(name="iom", scope="write", person=EDITOR))
    count = select(func.count()).select_from(StatusUpdate)
    before = session.exec(count).one()
    theirs = f"/api/v1/plans/{OTHER}/actions/RO2"
    assert app_client.get(theirs, headers=token).status_code == 404
    body, headers = update('"v1"', "2023-03-01")
    refused = app_client.post(f"{theirs}/updates", json=body, headers=token | headers)
    assert refused.status_code == 404 and refused.json()["status"] == 404
    assert session.exec(count).one() == before

    mine = f"/api/v1/plans/{OWN}/actions/RR2"
    etag = app_client.get(mine, headers=token).headers["etag"]
    body, headers = update(etag, "2019-03-01")
    created = app_client.post(f"{mine}/updates", json=body, headers=token | headers)
    assert created.status_code == 201, created.text
    assert session.exec(count).one() == before + 1
