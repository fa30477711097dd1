"""Sign-in, sessions and their ends, rate limits."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import select

from app.core.config import get_settings
from app.core.models import AuthSession, User
from app.core.passwords import needs_rehash, verify_password
from app.domain import auth
from app.domain.auth import SESSION_COOKIE, token_hash
from tests.conftest import app_using, csrf_from, demo_users, sign_in
from tests.factories import someone_else_can_write


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


def client_at(session, address: str) -> TestClient:
    """A browser connecting from ``address`` (the app shares the test's session)."""
    return TestClient(app_using(session), raise_server_exceptions=False, client=(address, 50000))


def test_an_attackers_failures_slow_the_attacker_not_the_owner(session):
    admin = demo_users()["admin"]
    with (
        client_at(session, "203.0.113.66") as attacker,
        client_at(session, "198.51.100.10") as owner,
    ):
        for _ in range(5):
            assert attempt(attacker, admin["email"], "guess-guess-guess").status_code == 400
        slowed = attempt(attacker, admin["email"], admin["password"])
        assert slowed.status_code == 429
        # The wait is a minute from the first failure, less the time the guesses took (a loaded
        # machine hashes slowly): said in minutes or, near its end, seconds.
        assert re.search(
            r"Too many failed sign-in attempts\. Wait (1 minute|\d+ seconds?) and try again\.",
            slowed.text,
        )
        assert 0 < int(slowed.headers["retry-after"]) <= 60
        assert SESSION_COOKIE not in slowed.cookies
        # The owner, elsewhere, signs in at once with the right password.
        assert attempt(owner, admin["email"], admin["password"]).status_code == 303


def test_x_forwarded_for_is_ignored_by_default(session):
    """Without trusted proxies a guesser cannot become someone new by writing the header."""
    admin = demo_users()["admin"]
    with client_at(session, "203.0.113.67") as attacker:
        for number in range(5):
            attacker.headers["X-Forwarded-For"] = f"192.0.2.{number}"
            assert attempt(attacker, admin["email"], "guess-guess-guess").status_code == 400
        attacker.headers["X-Forwarded-For"] = "192.0.2.99"
        assert attempt(attacker, admin["email"], "guess-guess-guess").status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_address(
    session, monkeypatch
):
    monkeypatch.setattr(get_settings(), "trusted_proxies", "10.0.0.0/8")
    admin = demo_users()["admin"]
    with client_at(session, "10.0.0.2") as proxy:
        for number in range(5):
            # The client may write anything left of what the proxy appends; it is not believed.
            proxy.headers["X-Forwarded-For"] = f"192.0.2.{number}, 203.0.113.68"
            assert attempt(proxy, admin["email"], "guess-guess-guess").status_code == 400
        proxy.headers["X-Forwarded-For"] = "192.0.2.99, 203.0.113.68"
        assert attempt(proxy, admin["email"], admin["password"]).status_code == 429
        # Someone else behind the same proxy is not slowed, and their session records them.
        proxy.headers["X-Forwarded-For"] = "198.51.100.11"
        assert attempt(proxy, admin["email"], admin["password"]).status_code == 303
        stored = session.exec(
            select(AuthSession).where(
                AuthSession.token_hash == token_hash(proxy.cookies.get(SESSION_COOKIE))
            )
        ).one()
        assert stored.client_address == "198.51.100.11"


def test_signing_in_rehashes_a_password_hashed_with_older_parameters(app_client, session):
    admin = demo_users()["admin"]
    user = session.exec(select(User).where(User.email == admin["email"])).one()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(admin["password"])
    user.password_hash = weak
    session.add(user)
    session.flush()
    assert needs_rehash(weak)
    assert attempt(app_client, admin["email"], admin["password"]).status_code == 303
    session.expire_all()
    stored = session.exec(select(User.password_hash).where(User.email == admin["email"])).one()
    assert stored != weak
    assert not needs_rehash(stored) and verify_password(stored, admin["password"])


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


def change(client, page: str, *, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": csrf_from(page),
        },
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("            ", "A password cannot be only spaces."),
        ("aaaaaaaaaaaa", "short pattern repeated"),
        ("password1234", "one of the most common passwords"),
        ("board.member2024", "your e-mail address"),
        ("my plantrack password", "“plantrack”"),
        ("demo-viewer-password", "different from the current one"),
    ],
)
def test_a_weak_new_password_is_refused_beside_its_field(viewer_client, new, message):
    viewer = demo_users()["viewer"]
    page = viewer_client.get("/account/password").text
    refused = change(viewer_client, page, current=viewer["password"], new=new)
    assert refused.status_code == 400
    assert '<p id="new_password-error" class="govuk-error-message">' in refused.text
    error = refused.text.split('id="new_password-error"')[1].split("</p>")[0]
    assert message in error
    assert 'aria-describedby="new_password-hint new_password-error"' in refused.text


def test_guessing_the_current_password_is_slowed_like_signing_in(viewer_client, session):
    viewer = demo_users()["viewer"]
    page = viewer_client.get("/account/password").text
    for _ in range(5):
        wrong = change(
            viewer_client, page, current="guess-guess-guess", new="harbour-meadow-kettle"
        )
        assert wrong.status_code == 400 and "Your current password is not right." in wrong.text
    # Even the right password now waits; nothing changes.
    slowed = change(viewer_client, page, current=viewer["password"], new="harbour-meadow-kettle")
    assert slowed.status_code == 400
    assert re.search(
        r"Too many wrong passwords\. Wait (1 minute|\d+ seconds?) and try again\.", slowed.text
    )
    with client_at(session, "198.51.100.12") as elsewhere:
        assert attempt(elsewhere, viewer["email"], viewer["password"]).status_code == 303


def test_sign_in_checks_the_password_without_holding_the_write_lock(
    own_app_client, own_database, backend, monkeypatch
):
    checked = []
    verify = auth.verify_password

    def verify_while_someone_else_writes(password_hash: str, password: str) -> bool:
        checked.append(someone_else_can_write(own_database[1]))
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", verify_while_someone_else_writes)
    viewer = demo_users()["viewer"]
    assert attempt(own_app_client, viewer["email"], viewer["password"]).status_code == 303
    assert attempt(own_app_client, viewer["email"], "not-the-password").status_code == 400
    assert checked == ["free to write", "free to write"]


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_the_default_secret_key_is_refused_outside_development(environment, monkeypatch):
    from pydantic import ValidationError

    from app.core.config import Settings

    monkeypatch.delenv("PLANTRACK_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="PLANTRACK_SECRET_KEY"):
        Settings(environment=environment)
    assert Settings(environment=environment, secret_key="s3cret-for-tests").secure_cookies


def test_unreadable_trusted_proxies_refuse_to_start():
    from pydantic import ValidationError

    from app.core.config import Settings

    with pytest.raises(ValidationError, match="PLANTRACK_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.0/8, the-load-balancer")
    assert [str(network) for network in Settings(trusted_proxies="").trusted_proxy_networks] == []
    assert [
        str(network)
        for network in Settings(trusted_proxies=" 10.0.0.5 ,fd00::/8").trusted_proxy_networks
    ] == ["10.0.0.5/32", "fd00::/8"]


def test_a_csrf_token_with_characters_beyond_ascii_is_refused_not_an_error(app_client):
    app_client.get("/sign-in")
    response = app_client.post(
        "/sign-in", data={"email": "a@plantrack.example", "password": "x", "csrf_token": "é"}
    )
    assert response.status_code == 403
    assert "This form has expired or did not come from plantrack" in response.text
