"""Single sign-on against a real OpenID Connect provider (oidc-provider-mock, run on loopback by
the tests): plantrack redirects the client to it, the test authorises a person there (with the
claims the provider will put in the signed ID token), and the provider's redirect comes back to
plantrack's callback, which exchanges the code over HTTP and checks the token."""

import html
import os
import re
from contextlib import contextmanager
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from sqlmodel import select

from app.core.config import get_settings
from app.core.models import AuditEvent, Role, User
from app.domain.auth import SESSION_COOKIE
from app.domain.sso import SSO_FLOW_COOKIE, SSO_PROVIDER_COOKIE
from tests.conftest import csrf_from, demo_users

CLIENT_ID = "plantrack-test"
CALLBACK = "http://testserver/sign-in/oidc/mock/callback"
VIEWER = demo_users()["viewer"]
ADMIN = demo_users()["admin"]


@pytest.fixture(scope="module")
def provider_url():
    """A real OpenID Connect provider in a thread on loopback; it insists on a nonce."""
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@contextmanager
def environment(**variables: str):
    """Settings as read from these PLANTRACK_* variables (the real parsing), for the block."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("PLANTRACK_OIDC_")]:
            patch.delenv(name)
        for name, value in variables.items():
            patch.setenv(f"PLANTRACK_{name}", value)
        get_settings.cache_clear()
        try:
            yield get_settings()
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


def provider_variables(issuer: str, **overrides: str) -> dict[str, str]:
    return {
        "BASE_URL": "http://testserver",
        "OIDC_PROVIDERS": "mock",
        "OIDC_MOCK_ISSUER": issuer,
        "OIDC_MOCK_CLIENT_ID": CLIENT_ID,
        "OIDC_MOCK_CLIENT_SECRET": "test-secret",
        "OIDC_MOCK_LABEL": "Test ID",
        "OIDC_MOCK_ALLOWED_DOMAINS": "plantrack.example, partner.example",
    } | overrides


@pytest.fixture
def configure(provider_url):
    """configure(**overrides): plantrack set up with the test provider (and the overrides)."""
    stack = []

    def apply(**overrides: str):
        if stack:
            stack.pop().__exit__(None, None, None)
        block = environment(**provider_variables(provider_url, **overrides))
        settings = block.__enter__()
        stack.append(block)
        return settings

    apply()
    yield apply
    while stack:
        stack.pop().__exit__(None, None, None)


def set_person(provider_url: str, sub: str, claims: dict) -> None:
    response = httpx.put(f"{provider_url}/users/{quote(sub, safe='')}", json=claims)
    assert response.status_code == 204


def start(client, next_path: str = "/"):
    response = client.get(
        f"/sign-in/oidc/mock?next={quote(next_path, safe='')}", follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response


def authorise(location: str, sub: str) -> str:
    """The person approves at the provider's form; where the provider sends them back."""
    granted = httpx.post(location, data={"sub": sub})
    assert granted.status_code == 302, granted.text
    back = granted.headers["location"]
    assert back.startswith(CALLBACK + "?")
    return back


def sign_in_with_provider(client, provider_url, claims: dict, next_path: str = "/"):
    sub = f"sub-{claims.get('email', 'nobody')}"
    set_person(provider_url, sub, claims)
    location = start(client, next_path).headers["location"]
    return client.get(authorise(location, sub), follow_redirects=False)


def verified(email: str, **more) -> dict:
    return {"email": email, "email_verified": True, "name": "Test Person"} | more


def audit(session, verb: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.verb == verb)))


def assert_not_signed_in(client, response) -> None:
    assert SESSION_COOKIE not in response.cookies
    assert client.get("/", follow_redirects=False).status_code == 303  # sent to sign in


def test_a_person_signs_in_with_the_provider_and_the_session_works(
    app_client, session, configure, provider_url
):
    set_person(provider_url, "viewer-sub", verified(VIEWER["email"].upper()))
    started = start(app_client, "/boards")
    location = started.headers["location"]
    query = parse_qs(urlsplit(location).query)
    # The authorisation code flow with PKCE (S256), a state and a nonce.
    assert location.startswith(f"{provider_url}/oauth2/authorize?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    flow_cookie = started.headers["set-cookie"]
    assert flow_cookie.startswith(f"{SSO_FLOW_COOKIE}=")
    assert "HttpOnly" in flow_cookie and "SameSite=lax" in flow_cookie
    # The state, nonce and verifier are sealed, not readable in the cookie.
    assert query["state"][0] not in flow_cookie and query["nonce"][0] not in flow_cookie

    callback = app_client.get(authorise(location, "viewer-sub"), follow_redirects=False)
    assert callback.status_code == 303, callback.text
    assert callback.headers["location"] == "/boards"
    assert SESSION_COOKIE in callback.cookies
    assert SSO_FLOW_COOKIE not in app_client.cookies

    page = app_client.get("/boards")
    assert page.status_code == 200
    viewer = session.exec(select(User).where(User.email == VIEWER["email"])).one()
    assert viewer.display_name in page.text
    [event] = audit(session, "sign_in_sso")
    assert event.user_id == viewer.id
    assert event.summary == f"{VIEWER['email']} signed in with Test ID"


def test_an_id_token_for_another_audience_is_refused(app_client, session, configure, provider_url):
    # The provider signs a token whose audience is another client (naming this one as the
    # authorised party, which alone must not be enough).
    response = sign_in_with_provider(
        app_client, provider_url, verified(VIEWER["email"], aud="another-client", azp=CLIENT_ID)
    )
    assert response.status_code == 400
    assert "could not be checked, so plantrack did not sign you in" in response.text
    assert_not_signed_in(app_client, response)
    [event] = audit(session, "sso_refused")
    assert "the ID token failed a check" in event.summary and "aud" in event.summary
    assert audit(session, "sign_in_sso") == []


def test_an_id_token_from_another_issuer_is_refused(app_client, session, configure, provider_url):
    response = sign_in_with_provider(
        app_client, provider_url, verified(VIEWER["email"], iss="https://impostor.example")
    )
    assert response.status_code == 400
    assert_not_signed_in(app_client, response)
    [event] = audit(session, "sso_refused")
    assert "iss" in event.summary


def test_a_callback_with_a_bad_state_is_refused(app_client, session, configure, provider_url):
    set_person(provider_url, "viewer-sub", verified(VIEWER["email"]))
    back = authorise(start(app_client).headers["location"], "viewer-sub")
    state = parse_qs(urlsplit(back).query)["state"][0]
    forged = back.replace(f"state={state}", "state=forged-" + state[7:])
    response = app_client.get(forged)
    assert response.status_code == 400
    assert "Your sign-in with Test ID did not complete" in response.text
    assert_not_signed_in(app_client, response)
    # The flow is spent: the genuine answer no longer works either.
    assert app_client.get(back).status_code == 400
    assert_not_signed_in(app_client, response)
    # Nothing is written for an answer to a sign-in nobody began here.
    assert audit(session, "sso_refused") == []


def test_a_callback_in_another_browser_is_refused(app_client, configure, provider_url):
    """Login CSRF: an answer the attacker obtained, sent to a browser that never began it."""
    set_person(provider_url, "viewer-sub", verified(VIEWER["email"]))
    back = authorise(start(app_client).headers["location"], "viewer-sub")
    app_client.cookies.clear()
    response = app_client.get(back)
    assert response.status_code == 400
    assert_not_signed_in(app_client, response)


def test_a_replayed_code_is_refused(app_client, session, configure, provider_url):
    set_person(provider_url, "viewer-sub", verified(VIEWER["email"]))
    started = start(app_client)
    flow = app_client.cookies.get(SSO_FLOW_COOKIE)
    back = authorise(started.headers["location"], "viewer-sub")
    assert app_client.get(back, follow_redirects=False).status_code == 303
    # The same answer again, with the flow cookie put back (as an attacker who copied both):
    # the provider refuses a code used once.
    app_client.cookies.clear()
    app_client.cookies.set(SSO_FLOW_COOKIE, flow)
    replayed = app_client.get(back)
    assert replayed.status_code == 400
    assert "Test ID did not accept the sign-in" in replayed.text
    assert_not_signed_in(app_client, replayed)
    [event] = audit(session, "sso_refused")
    assert "the provider refused the code (invalid_grant)" in event.summary
    assert len(audit(session, "sign_in_sso")) == 1


def test_an_unverified_email_is_refused(app_client, session, configure, provider_url):
    response = sign_in_with_provider(
        app_client, provider_url, verified(VIEWER["email"], email_verified=False)
    )
    assert response.status_code == 403
    assert f"Test ID has not verified your e-mail address {VIEWER['email']}" in response.text
    assert_not_signed_in(app_client, response)
    [event] = audit(session, "sso_refused")
    assert event.actor == VIEWER["email"] and "not verified" in event.summary
    # No claim at all is no better than false.
    missing = {"email": VIEWER["email"]}
    assert sign_in_with_provider(app_client, provider_url, missing).status_code == 403


def test_the_verified_claim_can_be_entras(app_client, configure, provider_url):
    configure(OIDC_MOCK_EMAIL_VERIFIED_CLAIM="xms_edov")
    standard_only = verified(VIEWER["email"])
    assert sign_in_with_provider(app_client, provider_url, standard_only).status_code == 403
    entra = {"email": VIEWER["email"], "xms_edov": True}
    assert sign_in_with_provider(app_client, provider_url, entra).status_code == 303


def test_an_email_outside_the_allowed_domains_is_refused(
    app_client, session, configure, provider_url
):
    response = sign_in_with_provider(
        app_client, provider_url, verified("someone@elsewhere.example")
    )
    assert response.status_code == 403
    assert "Accounts at elsewhere.example cannot sign in with Test ID" in response.text
    assert_not_signed_in(app_client, response)
    [event] = audit(session, "sso_refused")
    assert "the domain elsewhere.example is not allowed" in event.summary


def test_google_workspace_accounts_must_belong_to_the_domain(app_client, configure, provider_url):
    configure(OIDC_MOCK_REQUIRE_HOSTED_DOMAIN="true")
    personal = verified(VIEWER["email"])  # a consumer account using a work address: no hd
    assert sign_in_with_provider(app_client, provider_url, personal).status_code == 403
    managed = verified(VIEWER["email"], hd="plantrack.example")
    assert sign_in_with_provider(app_client, provider_url, managed).status_code == 303


def test_a_disabled_account_cannot_sign_in_with_the_provider(
    app_client, session, configure, provider_url
):
    viewer = session.exec(select(User).where(User.email == VIEWER["email"])).one()
    viewer.is_active = False
    session.add(viewer)
    session.commit()
    response = sign_in_with_provider(app_client, provider_url, verified(VIEWER["email"]))
    assert response.status_code == 403
    assert "Your plantrack account has been disabled" in response.text
    assert_not_signed_in(app_client, response)
    [event] = audit(session, "sso_refused")
    assert event.entity_id == viewer.id and "disabled" in event.summary


def test_an_unknown_person_is_refused_by_default(app_client, session, configure, provider_url):
    email = "new.person@partner.example"
    response = sign_in_with_provider(app_client, provider_url, verified(email))
    assert response.status_code == 403
    assert f"There is no plantrack account for {email}" in response.text
    assert_not_signed_in(app_client, response)
    assert session.exec(select(User).where(User.email == email)).first() is None
    [event] = audit(session, "sso_refused")
    assert event.actor == email


def test_an_unknown_person_can_be_given_a_viewers_account(
    app_client, session, configure, provider_url
):
    configure(SSO_UNKNOWN_PEOPLE="viewer")
    email = "new.person@partner.example"
    response = sign_in_with_provider(
        app_client, provider_url, verified(email, name="Partnership Analyst"), "/boards"
    )
    assert response.status_code == 303, response.text
    assert app_client.get("/boards").status_code == 200
    session.expire_all()
    created = session.exec(select(User).where(User.email == email)).one()
    assert created.role == Role.viewer and created.is_active
    assert created.display_name == "Partnership Analyst" and created.password_hash == ""
    [event] = audit(session, "create_user_sso")
    assert event.entity_id == created.id and "first sign-in with Test ID" in event.summary
    # A viewer: the office's pages stay closed.
    assert app_client.get("/audit").status_code == 403
    # Signing in again uses the same account.
    app_client.cookies.clear()
    again = sign_in_with_provider(app_client, provider_url, verified(email))
    assert again.status_code == 303
    assert len(audit(session, "create_user_sso")) == 1
    assert len(audit(session, "sign_in_sso")) == 2


def password_attempt(client, email: str, password: str):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "next": "/",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )


def test_password_sign_in_can_be_turned_off_but_for_the_break_glass_admin(
    app_client, configure, provider_url
):
    configure(PASSWORD_SIGN_IN="false", BREAK_GLASS_ADMINS=f"{ADMIN['email']}, {VIEWER['email']}")
    page = app_client.get("/sign-in")
    assert "Sign in with Test ID" in page.text
    assert '<details class="govuk-details">' in page.text  # the password form, folded away
    editor = demo_users()["editor"]
    refused = password_attempt(app_client, editor["email"], editor["password"])
    assert refused.status_code == 400
    assert "plantrack no longer accepts passwords" in refused.text
    assert '<details class="govuk-details" open>' in refused.text
    assert SESSION_COOKIE not in refused.cookies
    # Named as break-glass but not an admin: still refused.
    viewer = password_attempt(app_client, VIEWER["email"], VIEWER["password"])
    assert viewer.status_code == 400 and SESSION_COOKIE not in viewer.cookies
    # The break-glass admin, with the right password only.
    assert password_attempt(app_client, ADMIN["email"], "not-the-password").status_code == 400
    admin = password_attempt(app_client, ADMIN["email"], ADMIN["password"])
    assert admin.status_code == 303 and SESSION_COOKIE in admin.cookies
    assert app_client.get("/audit").status_code == 200
    # Everyone else signs in with the provider.
    app_client.cookies.clear()
    sso = sign_in_with_provider(app_client, provider_url, verified(editor["email"]))
    assert sso.status_code == 303


def test_the_sign_in_page_offers_each_provider_beside_the_password_form(
    app_client, configure, provider_url
):
    configure(
        OIDC_PROVIDERS="mock,other",
        OIDC_OTHER_ISSUER="https://accounts.google.com",
        OIDC_OTHER_CLIENT_ID="x",
        OIDC_OTHER_CLIENT_SECRET="y",
        OIDC_OTHER_LABEL="Google",
    )
    page = app_client.get("/sign-in?next=/boards")
    assert 'href="/sign-in/oidc/mock?next=/boards"' in page.text
    assert ">Sign in with Test ID</a>" in page.text and ">Sign in with Google</a>" in page.text
    assert 'id="password"' in page.text and "<details" not in page.text
    # No provider of that name: no page.
    assert app_client.get("/sign-in/oidc/nosuch").status_code == 404
    assert app_client.get("/sign-in/oidc/nosuch/callback?code=a&state=b").status_code == 404


def test_sign_out_ends_the_session_and_offers_the_providers_sign_out(
    app_client, session, configure, provider_url
):
    assert (
        sign_in_with_provider(app_client, provider_url, verified(VIEWER["email"])).status_code
        == 303
    )
    assert app_client.cookies.get(SSO_PROVIDER_COOKIE) == "mock"
    csrf = csrf_from(app_client.get("/").text)
    signed_out = app_client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/signed-out?provider=mock"
    assert app_client.get("/", follow_redirects=False).status_code == 303  # session over
    page = app_client.get("/signed-out?provider=mock")
    assert page.status_code == 200
    assert "You have signed out of plantrack" in page.text
    link = re.search(r'href="([^"]+)"[^>]*>Sign out of Test ID too', page.text)
    assert link, page.text
    url = link.group(1).replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{provider_url}/oauth2/end_session?")
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["http://testserver/sign-in"]
    # The provider's own sign-out page answers.
    assert httpx.get(url).status_code == 200
    # Someone who signed in with a password is simply sent to sign in again.
    app_client.cookies.clear()
    password_attempt(app_client, ADMIN["email"], ADMIN["password"])
    csrf = csrf_from(app_client.get("/").text)
    plain = app_client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert plain.headers["location"] == "/sign-in"


def test_a_provider_that_cannot_be_reached_is_a_readable_page(app_client, configure):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configure(OIDC_MOCK_ISSUER=f"http://127.0.0.1:{port}")  # nothing listens there
    response = app_client.get("/sign-in/oidc/mock", follow_redirects=False)
    assert response.status_code == 502
    assert "Sign-in with Test ID is not available at the moment" in response.text
    assert 'href="#sso"' in response.text


def test_a_discovery_document_for_another_issuer_is_refused(app_client, configure, provider_url):
    # The provider names itself http://localhost:<port>, without the slash: not the issuer
    # configured, so plantrack will not trust its keys (OpenID Connect Discovery 4.3).
    configure(OIDC_MOCK_ISSUER=provider_url + "/")
    response = app_client.get("/sign-in/oidc/mock", follow_redirects=False)
    assert response.status_code == 502
    assert (
        f"its discovery document names the issuer '{provider_url}', not '{provider_url}/'"
        in html.unescape(response.text)
    )
