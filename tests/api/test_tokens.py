"""Bearer tokens on the API: what they may read and write, where they never work, and errors as
problem details."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.core.models import ApiToken, AuditEvent, Plan, User
from tests.api.conftest import bearer
from tests.conftest import sign_in

SLUG = "reduced-offending-2018-21"
OTHER = "reducing-offending-2015-18"


def test_a_read_token_reads_the_api_without_a_cookie(app_client, make_token, session):
    secret = make_token()
    response = app_client.get("/api/v1/plans", headers=bearer(secret))
    assert response.status_code == 200
    slugs = [plan["slug"] for plan in response.json()["items"]]
    assert SLUG in slugs and OTHER in slugs
    assert not app_client.cookies
    token = session.exec(select(ApiToken).where(ApiToken.name == "client")).one()
    session.refresh(token)
    assert token.last_used_at is not None


def test_a_token_never_works_on_the_pages(app_client, make_token):
    secret = make_token(person="admin@plantrack.example", scope="write")
    for path in ("/", f"/plans/{SLUG}", "/audit", "/tokens", "/api/docs"):
        response = app_client.get(path, headers=bearer(secret), follow_redirects=False)
        assert response.status_code == 303, path  # treated as signed out
        assert response.headers["location"].startswith("/sign-in")
    assert app_client.get("/api/openapi.json", headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer pt_" + "x" * 43, "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-plantrack-token"],
)
def test_a_bad_or_unknown_token_is_401_problem_details(app_client, header):
    response = app_client.get("/api/v1/plans", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="plantrack"')
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Not signed in" and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]


def test_expired_revoked_and_disabled_holders_tokens_stop_working(
    app_client, make_token, session, admin_client
):
    secret = make_token(person="omrr.lead@plantrack.example")
    assert app_client.get("/api/v1/plans", headers=bearer(secret)).status_code == 200
    editor = session.exec(select(User).where(User.email == "omrr.lead@plantrack.example")).one()
    editor.is_active = False
    session.add(editor)
    session.commit()
    assert app_client.get("/api/v1/plans", headers=bearer(secret)).status_code == 401

    other = make_token(name="other")
    token = session.exec(select(ApiToken).where(ApiToken.name == "other")).one()
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    token.created_at = token.expires_at - timedelta(days=1)
    session.add(token)
    session.commit()
    assert app_client.get("/api/v1/plans", headers=bearer(other)).status_code == 401

    third = make_token(name="third")
    assert app_client.get("/api/v1/plans", headers=bearer(third)).status_code == 200
    revoked = admin_client.post(
        "/tokens/revoke", data={"name": "third", "csrf_token": admin_client.csrf}
    )
    assert revoked.status_code == 200  # followed to the list
    assert app_client.get("/api/v1/plans", headers=bearer(third)).status_code == 401


def test_a_token_restricted_to_plans_sees_only_those(app_client, make_token):
    secret = make_token(plans=[SLUG])
    listed = app_client.get("/api/v1/plans", headers=bearer(secret)).json()["items"]
    assert [plan["slug"] for plan in listed] == [SLUG]
    assert app_client.get(f"/api/v1/plans/{SLUG}", headers=bearer(secret)).status_code == 200
    hidden = app_client.get(f"/api/v1/plans/{OTHER}/actions", headers=bearer(secret))
    assert hidden.status_code == 404 and hidden.json()["status"] == 404
    feed = app_client.get(f"/api/v1/plans/{OTHER}/actions-as-at.csv", headers=bearer(secret))
    assert feed.status_code == 404


def test_a_read_token_cannot_write_and_a_write_token_needs_no_csrf(app_client, make_token, session):
    plan = {
        "slug": "youth-2024-27",
        "title": "Youth",
        "period_start": "2024-04-01",
        "period_end": "2027-03-31",
        "board": "OMCDB",
    }
    read = make_token(name="reader", person="admin@plantrack.example")
    refused = app_client.post("/api/v1/plans", json=plan, headers=bearer(read))
    assert refused.status_code == 403 and "only read" in refused.json()["detail"]
    write = make_token(name="writer", person="admin@plantrack.example", scope="write")
    created = app_client.post("/api/v1/plans", json=plan, headers=bearer(write))
    assert created.status_code == 201, created.text
    assert session.exec(select(Plan).where(Plan.slug == "youth-2024-27")).one()
    actors = set(session.exec(select(AuditEvent.actor).where(AuditEvent.verb == "create_plan")))
    assert "admin@plantrack.example" in actors
    uses = session.exec(select(AuditEvent.summary).where(AuditEvent.verb == "use_token")).all()
    assert uses == ["POST /api/v1/plans"]  # the write token's use; the read token's is not


def test_every_use_of_a_write_token_is_audited_reads_too(app_client, make_token, session):
    secret = make_token(name="council", scope="write")
    count = select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "use_token")
    before = session.exec(count).one()
    app_client.get("/api/v1/plans", headers=bearer(secret))
    app_client.get(f"/api/v1/plans/{SLUG}/actions", headers=bearer(secret))
    assert session.exec(count).one() == before + 2
    actor = session.exec(select(AuditEvent.actor).where(AuditEvent.verb == "use_token")).first()
    assert actor == "token:council"


def test_the_cookie_still_works_on_the_api_with_csrf_on_writes(app_client):
    csrf = sign_in(app_client, "admin")
    assert app_client.get("/api/v1/plans").status_code == 200
    body = {"slug": "x-plan"}
    without = app_client.post("/api/v1/plans", json=body)
    assert without.status_code == 403
    assert without.headers["content-type"] == "application/problem+json"
    with_token = app_client.post("/api/v1/plans", json=body, headers={"X-CSRF-Token": csrf})
    assert with_token.status_code == 422  # past the CSRF check: the body is incomplete


def test_the_office_only_audit_log_refuses_others_and_restricted_tokens(app_client, make_token):
    office = make_token(name="office", person="admin@plantrack.example")
    make_token(name="another")
    make_token(name="and-another")  # three events in the log at least
    response = app_client.get("/api/v1/audit?limit=2", headers=bearer(office))
    assert response.status_code == 200
    page = response.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    following = app_client.get(
        f"/api/v1/audit?limit=2&cursor={page['next_cursor']}", headers=bearer(office)
    ).json()
    assert following["items"][0]["id"] < page["items"][-1]["id"]
    service = make_token(name="service")
    assert app_client.get("/api/v1/audit", headers=bearer(service)).status_code == 403
    restricted = make_token(name="restricted", person="admin@plantrack.example", plans=[SLUG])
    assert app_client.get("/api/v1/audit", headers=bearer(restricted)).status_code == 403


def test_reads_carry_an_etag_and_answer_304_when_it_still_matches(app_client, make_token):
    headers = bearer(make_token())
    for path in (
        "/api/v1/plans",
        f"/api/v1/plans/{SLUG}/actions",
        f"/api/v1/plans/{SLUG}/reports/appendix",
    ):
        first = app_client.get(path, headers=headers)
        assert first.headers["cache-control"] == "private, max-age=0, must-revalidate"
        etag = first.headers["etag"]
        again = app_client.get(path, headers=headers | {"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        changed = app_client.get(path, headers=headers | {"If-None-Match": '"other"'})
        assert changed.status_code == 200


def test_plans_page_with_a_cursor_and_a_bad_cursor_is_422(app_client, make_token):
    headers = bearer(make_token())
    everything = app_client.get("/api/v1/plans", headers=headers).json()["items"]
    seen, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = app_client.get("/api/v1/plans", params=params, headers=headers).json()
        seen += [plan["slug"] for plan in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [plan["slug"] for plan in everything] and len(seen) >= 4
    bad = app_client.get("/api/v1/plans?cursor=bm9wZQ", headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.json()["errors"]


def test_actions_filter_like_the_page(app_client, make_token):
    headers = bearer(make_token())
    path = f"/api/v1/plans/{SLUG}/actions"
    everything = app_client.get(path, params={"as_at": "2019-09-30"}, headers=headers).json()
    assert everything["as_at"] == "2019-09-30" and everything["items"]
    theme_id = everything["items"][0]["theme_id"]
    for params, keep in [
        ({"theme": theme_id}, lambda a: a["theme_id"] == theme_id),
        ({"stage": "complete"}, lambda a: a["stage"] == "complete"),
        ({"rag": "amber"}, lambda a: a["rag"] == "amber"),
        ({"overdue": "true"}, lambda a: a["overdue"]),
    ]:
        filtered = app_client.get(
            path, params={"as_at": "2019-09-30"} | params, headers=headers
        ).json()["items"]
        assert [a["ref"] for a in filtered] == [a["ref"] for a in everything["items"] if keep(a)]
    bad = app_client.get(path, params={"rag": "purple"}, headers=headers)
    assert bad.status_code == 422 and "rag" in bad.json()["errors"]
    bad_stage = app_client.get(path, params={"stage": "done"}, headers=headers)
    assert bad_stage.status_code == 422 and "stage" in bad_stage.json()["errors"]


def test_boards_indicators_and_published_reports(app_client, make_token, admin_client):
    publish = admin_client.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"csrf_token": admin_client.csrf, "as_at": "2019-03-31"},
        follow_redirects=False,
    )
    assert publish.status_code == 303
    headers = bearer(make_token())
    boards = app_client.get("/api/v1/boards", headers=headers).json()["items"]
    board = app_client.get(f"/api/v1/boards/{boards[0]['short_name']}", headers=headers).json()
    assert "meetings" in board and "plans" in board
    indicators = app_client.get("/api/v1/indicators", headers=headers).json()["items"]
    detail = app_client.get(f"/api/v1/indicators/{indicators[0]['key']}", headers=headers).json()
    assert detail["versions"] and detail["key"] == indicators[0]["key"]
    reports = app_client.get("/api/v1/reports", headers=headers).json()["items"]
    report = next(r for r in reports if r["plan"] == SLUG)
    assert {link["format"] for link in report["files"]} >= {"csv", "pdf"}
    csv_link = next(link["url"] for link in report["files"] if link["format"] == "csv")
    downloaded = app_client.get(csv_link, headers=headers)
    assert downloaded.status_code == 200 and b"Ref" in downloaded.content
    restricted = bearer(make_token(name="other-plan", plans=[OTHER]))
    assert app_client.get(csv_link, headers=restricted).status_code == 404
