"""Every route, every role: allowed, forbidden, or sent to sign in (checked on the server)."""

import pytest

from tests.conftest import csrf_from, sign_in

SLUG = "reduced-offending-2018-21"
OWN = f"/plans/{SLUG}/actions/OM1"  # led through the OMRR delivery group by omrr.lead
OTHERS = f"/plans/{SLUG}/actions/P3"  # led through another group

ALLOWED, FORBIDDEN, SIGN_IN, UNAUTHORISED = 200, 403, "sign-in", 401

GET_ROUTES = {
    "/": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    OWN: (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}/reports/appendix": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}/reports/appendix.csv": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    "/account/password": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED),
    "/my-actions": (SIGN_IN, FORBIDDEN, ALLOWED, ALLOWED),
    "/completion": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/approvals": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/audit": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/tokens": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/tokens/new": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/api/v1/plans": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/progress": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/reports/appendix": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/themes": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/actions": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1{OWN}": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1{OWN}/updates": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/actions-as-at": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/actions-as-at.csv": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/boards": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/boards/OMCDB": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/indicators": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/indicators/confidence-in-police": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/reports": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/audit": (UNAUTHORISED, FORBIDDEN, FORBIDDEN, ALLOWED),
    "/sign-in": (ALLOWED, "/", "/", "/"),
    "/healthz": (ALLOWED, ALLOWED, ALLOWED, ALLOWED),
}
ROLES = ("anonymous", "viewer", "omrr.lead@plantrack.example", "admin")


def signed_in(client, role: str) -> str | None:
    if role == "anonymous":
        client.get("/sign-in")
        return csrf_from(client.get("/sign-in").text)
    return sign_in(client, role)


def check(response, expected) -> None:
    if expected == SIGN_IN:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")
    elif isinstance(expected, str):
        assert response.status_code == 303
        assert response.headers["location"] == expected
    else:
        assert response.status_code == expected, response.text[:500]


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_every_page_answers_each_role_as_it_should(app_client, role_index, role):
    signed_in(app_client, role)
    for path, expected in GET_ROUTES.items():
        response = app_client.get(path, follow_redirects=False)
        try:
            check(response, expected[role_index])
        except AssertionError as error:
            raise AssertionError(f"GET {path} as {role}: {error}") from None


def update_form(csrf: str, **overrides) -> dict:
    return {
        "stage": "in_progress",
        "rag": "amber",
        "commentary": "Progressing.",
        "corrective_action": "",
        "effective_on": "2019-03-01",
        "version": "",
        "csrf_token": csrf,
    } | overrides


POST_CASES = [
    # (path, role, expected status)
    (f"{OWN}/updates", "anonymous", SIGN_IN),
    (f"{OWN}/updates", "viewer", FORBIDDEN),
    (f"{OTHERS}/updates", "omrr.lead@plantrack.example", FORBIDDEN),
    (f"{OWN}/updates", "omrr.lead@plantrack.example", 303),
    (f"{OTHERS}/updates", "admin", 303),
    ("/approvals/1", "viewer", FORBIDDEN),
    ("/approvals/1", "omrr.lead@plantrack.example", FORBIDDEN),
    ("/completion/reminders", "viewer", FORBIDDEN),
    ("/completion/reminders", "omrr.lead@plantrack.example", FORBIDDEN),
    ("/completion/reminders", "admin", ALLOWED),
    ("/tokens/new", "viewer", FORBIDDEN),
    ("/tokens/new", "omrr.lead@plantrack.example", FORBIDDEN),
    ("/tokens/revoke", "viewer", FORBIDDEN),
    ("/tokens/revoke", "omrr.lead@plantrack.example", FORBIDDEN),
    ("/tokens/new", "admin", ALLOWED),
    ("/tokens/revoke", "admin", 404),
]


@pytest.mark.parametrize("path, role, expected", POST_CASES)
def test_every_change_is_checked_on_the_server(
    app_client, session, smtp_server, path, role, expected
):
    from sqlmodel import select

    from app.core.models import Action, Meeting, Plan

    csrf = signed_in(app_client, role)
    if path.endswith("/updates"):
        ref = path.split("/")[-2]
        plan = session.exec(select(Plan).where(Plan.slug == SLUG)).one()
        action = session.exec(
            select(Action).where(Action.plan_id == plan.id, Action.ref == ref)
        ).one()
        data = update_form(csrf, version=str(action.version))
    elif path == "/completion/reminders":
        from datetime import date, timedelta

        plan = session.exec(select(Plan).where(Plan.slug == SLUG)).one()
        # Reminders only go out for a meeting still ahead.
        meeting = Meeting(
            board_id=plan.board_id, held_on=date.today() + timedelta(weeks=6), title="Ahead"
        )
        session.add(meeting)
        session.flush()
        data = {"plan": SLUG, "meeting": str(meeting.id), "csrf_token": csrf}
    elif path.startswith("/tokens"):
        data = {
            "name": "matrix",
            "holder": "service",
            "service": "Matrix",
            "scope": "read",
            "expires_in": "30",
            "csrf_token": csrf,
        }
    else:
        data = {"decision": "approve", "csrf_token": csrf}
    response = app_client.post(path, data=data, follow_redirects=False)
    if expected == SIGN_IN:
        # Anonymous: refused before anything else (no session, so no valid token either).
        assert response.status_code in (303, 403)
    else:
        assert response.status_code == expected, response.text[:500]


@pytest.mark.parametrize("token", [None, "", "forged-token-value"])
def test_a_missing_or_forged_csrf_token_is_refused_and_nothing_is_written(
    app_client, session, token
):
    from sqlmodel import func, select

    from app.core.models import StatusUpdate

    sign_in(app_client, "admin")
    before = session.exec(select(func.count()).select_from(StatusUpdate)).one()
    data = update_form("x")
    data.pop("csrf_token")
    if token is not None:
        data["csrf_token"] = token
    response = app_client.post(f"{OWN}/updates", data=data)
    assert response.status_code == 403
    assert "did not come from plantrack" in response.text
    assert session.exec(select(func.count()).select_from(StatusUpdate)).one() == before


def test_htmx_requests_carry_the_token_in_a_header(app_client):
    csrf = sign_in(app_client, "admin")
    page = app_client.get("/").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page
    refused = app_client.post(
        f"{OWN}/updates", data={"stage": "complete"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 403
    accepted = app_client.post(
        f"{OWN}/updates",
        data={"stage": "complete"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert accepted.status_code == 400  # past the CSRF check, stopped by validation
