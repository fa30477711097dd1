"""Sign-in, sessions and their ends, rate limits."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.core.models import AuthSession
from app.domain.auth import SESSION_COOKIE, token_hash
from tests.conftest import csrf_from, demo_users, sign_in


def attempt(client, email: str, password: str, next_path: str = "/"):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app_client):
    admin = demo_users()["admin"]
    wrong = attempt(app_client, admin["email"], "not-the-password")
    unknown = attempt(app_client, "nobody@plantrack.example", "whatever-it-is")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Enter a correct e-mail address and password." in response.text
        assert SESSION_COOKIE not in response.cookies


def test_the_session_cookie_is_httponly_and_samesite(app_client):
    admin = demo_users()["admin"]
    response = attempt(app_client, admin["email"], admin["password"])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_after_five_failures_an_account_is_locked_for_the_window(app_client):
    admin = demo_users()["admin"]
    for _ in range(5):
        assert attempt(app_client, admin["email"], "guess-guess-guess").status_code == 400
    locked = attempt(app_client, admin["email"], admin["password"])
    assert locked.status_code == 400
    assert "Too many failed sign-in attempts" in locked.text


def test_next_never_leaves_the_site(app_client):
    admin = demo_users()["admin"]
    for target in ("https://evil.example/", "//evil.example/x"):
        response = attempt(app_client, admin["email"], admin["password"], next_path=target)
        assert response.headers["location"] == "/"
        app_client.cookies.clear()
    response = attempt(app_client, admin["email"], admin["password"], next_path="/audit")
    assert response.headers["location"] == "/audit"


def test_a_page_sends_you_to_sign_in_and_back(app_client):
    response = app_client.get("/plans/reduced-offending-2018-21?rag=red", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/sign-in?next=%2Fplans%2Freduced-offending-2018-21%3Frag%3Dred"
    )


def test_signing_out_ends_the_session_on_the_server(app_client, session):
    csrf = sign_in(app_client, "viewer")
    token = app_client.cookies.get(SESSION_COOKIE)
    response = app_client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    stored = session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).one()
    assert stored.revoked_at is not None
    # Even a copy of the old cookie no longer works.
    app_client.cookies.set(SESSION_COOKIE, token)
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_an_idle_session_expires(app_client, session):
    sign_in(app_client, "viewer")
    token = app_client.cookies.get(SESSION_COOKIE)
    stored = session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).one()
    stored.last_seen_at = datetime.now(UTC) - timedelta(minutes=31)
    session.add(stored)
    session.flush()
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_changing_the_password_ends_every_session(app_client, viewer_client, session):
    viewer = demo_users()["viewer"]
    page = viewer_client.get("/account/password").text
    mismatch = viewer_client.post(
        "/account/password",
        data={
            "current_password": viewer["password"],
            "new_password": "a-brand-new-password",
            "confirm_password": "something-else-entirely",
            "csrf_token": csrf_from(page),
        },
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    sign_in(app_client, "viewer")  # a second session of the same account
    changed = viewer_client.post(
        "/account/password",
        data={
            "current_password": viewer["password"],
            "new_password": "a-brand-new-password",
            "confirm_password": "a-brand-new-password",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    for client in (viewer_client, app_client):
        assert client.get("/", follow_redirects=False).status_code == 303
    assert attempt(app_client, viewer["email"], "a-brand-new-password").status_code == 303


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_the_default_secret_key_is_refused_outside_development(environment, monkeypatch):
    from pydantic import ValidationError

    from app.core.config import Settings

    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="PLANTRACK_SECRET_KEY"):
        Settings(environment=environment)
    assert Settings(environment=environment, secret_key="s3cret-for-tests").secure_cookies
