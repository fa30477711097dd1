"""Report pages cached by data version: a hit for the next reader, never a stale page, never
another person's name or CSRF token; right with two app processes on one database."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.core.models import User
from app.core.passwords import hash_password
from app.deps import load_plan
from app.domain.access import set_board_scope
from app.domain.auth import revoke_all_sessions
from app.web import page_cache
from app.web.page_cache import pages
from benchmarks._concurrency import ADMIN, csrf_of, running_server, signed_in_client
from tests.conftest import app_using, sign_in

PLAN = "reduced-offending-2018-21"
REF = "OM1"
PAGES = [
    f"/plans/{PLAN}",
    f"/plans/{PLAN}/reports/appendix?as_at=2021-03-31",
    f"/plans/{PLAN}/reports/highlight",
]


def _viewer(session, name: str) -> tuple[str, str]:
    email = f"viewer-{uuid.uuid4().hex[:8]}@example.org"
    password = "lantern-orchard-river"
    session.add(
        User(
            email=email,
            display_name=name,
            role="viewer",
            password_hash=hash_password(password),
            created_at=datetime.now(UTC),
        )
    )
    session.commit()
    return email, password


def _signed_in(session, email: str, password: str) -> TestClient:
    client = TestClient(app_using(session), raise_server_exceptions=False)
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


@pytest.mark.parametrize("path", PAGES)
def test_the_second_reader_gets_the_kept_page_with_their_own_name_and_token(session, path):
    pages.clear()
    first = _signed_in(session, *_viewer(session, "Reader <One>"))
    second = _signed_in(session, *_viewer(session, "Reader Two & Co"))

    one = first.get(path)
    hits = pages.hits
    two = second.get(path)

    assert one.status_code == two.status_code == 200
    assert pages.hits == hits + 1  # the second reader's page came from the cache
    assert "Reader &lt;One&gt;" in one.text and "Reader <One>" not in one.text
    assert "Reader Two &amp; Co" in two.text
    assert "Reader &lt;One&gt;" not in two.text
    assert "plantrack-name-" not in two.text and "plantrackcsrf" not in two.text
    first_tokens = set(re.findall(r'X-CSRF-Token": "([^"]+)"', one.text))
    second_tokens = set(re.findall(r'X-CSRF-Token": "([^"]+)"', two.text))
    assert first_tokens and second_tokens and not first_tokens & second_tokens
    # Apart from what is the reader's own, the pages are the same.
    assert _impersonal(one.text) == _impersonal(two.text)


def _impersonal(html: str) -> str:
    html = re.sub(r'X-CSRF-Token": "[^"]+"', "", html)
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return html.replace("Reader &lt;One&gt;", "NAME").replace("Reader Two &amp; Co", "NAME")


def test_roles_do_not_share_a_page(session):
    pages.clear()
    viewer = TestClient(app_using(session), raise_server_exceptions=False)
    sign_in(viewer, "viewer")
    admin = TestClient(app_using(session), raise_server_exceptions=False)
    sign_in(admin, "admin")
    appendix = f"/plans/{PLAN}/reports/appendix?as_at=2021-03-31"
    assert "/reports/appendix/publish" not in viewer.get(appendix).text
    assert (
        "/reports/appendix/publish" in admin.get(appendix).text
    )  # the office's own page, not the viewer's


def test_a_write_shows_on_the_next_view_from_either_of_two_app_processes(own_database):
    """Two servers on one database, each with a cache of its own: an update saved through
    one is on the next page from the other, on SQLite and on PostgreSQL."""
    url, engine = own_database
    engine.dispose()
    marker = f"Cache check {uuid.uuid4().hex[:8]}"
    appendix = f"/plans/{PLAN}/reports/appendix?as_at=2021-03-31"
    with running_server(url) as one, running_server(url) as two:
        writer, reader = signed_in_client(one, *ADMIN), signed_in_client(two, *ADMIN)
        try:
            for client in (writer, reader, writer, reader):  # each keeps its copy
                assert marker not in client.get(appendix).text
                assert client.get(f"/plans/{PLAN}").status_code == 200
            dashboard_before = reader.get(f"/plans/{PLAN}").text
            action = writer.get(f"/plans/{PLAN}/actions/{REF}")
            assert action.status_code == 200, action.text
            version = re.search(r'name="version" value="(\d+)"', action.text).group(1)
            saved = writer.post(
                f"/plans/{PLAN}/actions/{REF}/updates",
                data={
                    "csrf_token": writer.csrf,  # type: ignore[attr-defined]
                    "version": version,
                    "stage": "in_progress",
                    "rag": "red",
                    "commentary": marker,
                    "corrective_action": "Escalated to the board",
                    "effective_on": "2021-03-31",
                },
                follow_redirects=False,
            )
            assert saved.status_code == 303, saved.text
            assert marker in reader.get(appendix).text  # the other process's next page
            assert marker in writer.get(appendix).text
            assert reader.get(f"/plans/{PLAN}").text != dashboard_before
        finally:
            writer.close()
            reader.close()


# --- Served before routing -------------------------------------------------------------------


def _route_refuses(app) -> None:
    """From now on, any request that reaches a page's dependencies fails (500): a 200 after
    this came from the kept copy, before routing."""

    def refuse(slug: str):
        raise RuntimeError(f"the route was asked for {slug}")

    app.dependency_overrides[load_plan] = refuse


def _kept_for_the_office(session, path: str) -> TestClient:
    """The office's client, once ``path`` is kept and served from the cache alone."""
    pages.clear()
    app = app_using(session)
    reader = TestClient(app, raise_server_exceptions=False)
    sign_in(reader, "admin")
    assert reader.get(path).status_code == 200
    _route_refuses(app)
    assert reader.get(path).status_code == 200
    return reader


@pytest.mark.parametrize("path", PAGES)
def test_a_kept_page_is_served_before_routing_in_three_small_statements(
    session, path, count_statements
):
    pages.clear()
    app = app_using(session)
    reader = TestClient(app, raise_server_exceptions=False)
    sign_in(reader, "admin")
    first = reader.get(path)
    assert first.status_code == 200

    _route_refuses(app)
    with count_statements() as counted:
        again = reader.get(path)
    assert again.status_code == 200, again.text[:300]
    assert again.text == first.text
    assert dict(again.headers) == dict(first.headers)  # Vary and the edge's headers too
    assert again.headers["cache-control"] == "no-store"
    # the sign-in, the plan and its data version (the office is not scoped: no board query)
    # (the test's own savepoints aside: here every request's unit of work is one)
    queries = [sql for sql in counted.statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) == 3, queries
    # A page not kept yet goes on to the route.
    assert reader.get(path + ("&" if "?" in path else "?") + "theme=1").status_code == 500


def test_the_kept_page_is_not_served_once_the_sign_in_has_ended(session):
    pages.clear()
    path = PAGES[0]
    email, password = _viewer(session, "Reader One")
    app = app_using(session)
    reader = TestClient(app, raise_server_exceptions=False)
    response = reader.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_of(reader.get("/sign-in").text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert reader.get(path).status_code == 200

    stranger = TestClient(app, raise_server_exceptions=False)
    refused = stranger.get(path, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/sign-in")

    person = session.exec(select(User).where(User.email == email)).one()
    person.is_active = False
    session.commit()
    disabled = reader.get(path, follow_redirects=False)
    assert disabled.status_code == 303 and disabled.headers["location"].startswith("/sign-in")

    person.is_active = True
    session.commit()
    assert reader.get(path).status_code == 200  # the same sign-in, active again
    revoke_all_sessions(session, user_id=person.id)
    session.commit()
    revoked = reader.get(path, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"].startswith("/sign-in")


def test_a_reader_scoped_away_from_the_plan_is_not_served_its_kept_page(session):
    pages.clear()
    email, password = _viewer(session, "Reader One")
    reader = _signed_in(session, email, password)
    assert reader.get(PAGES[0]).status_code == 200
    person = session.exec(select(User).where(User.email == email)).one()
    set_board_scope(session, user=person, board_short_names=["PFCP"], by=None)
    session.commit()
    refused = reader.get(PAGES[0])
    assert refused.status_code == 404
    assert "There is no plan called" in refused.text


def test_a_page_kept_today_is_not_served_tomorrow(session, monkeypatch):
    """With no date asked for, a page shows the plan as at today: tomorrow it is made again."""
    reader = _kept_for_the_office(session, PAGES[2])

    class Tomorrow(date):
        @classmethod
        def today(cls):
            return date.today() + timedelta(days=1)

    monkeypatch.setattr(page_cache, "date", Tomorrow)
    assert reader.get(PAGES[2]).status_code == 500  # the route was asked, not the kept copy


def test_only_a_get_is_answered_from_the_kept_pages(session):
    reader = _kept_for_the_office(session, PAGES[0])
    assert reader.head(PAGES[0]).status_code == 405  # routed: the page answers GET alone
    nul = reader.get(PAGES[0] + "?as_at=%00")
    assert nul.status_code == 400  # the edge's checks come first
