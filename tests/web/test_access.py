"""Every route, every role: allowed, forbidden, or sent to sign in (checked on the server)."""

import re

import pytest

from tests.conftest import csrf_from, demo_users, sign_in

SLUG = "reduced-offending-2018-21"
OWN = f"/plans/{SLUG}/actions/OM1"  # led through the OMRR delivery group by omrr.lead
OTHERS = f"/plans/{SLUG}/actions/P3"  # led through another group

OTHER_BOARD = "police-and-crime-plan-2021-24"  # the PFCP's; the plans above are the OMCDB's

ALLOWED, FORBIDDEN, NOT_FOUND, SIGN_IN, UNAUTHORISED = 200, 403, 404, "sign-in", 401
# Access scoped by board: the demo viewer, and an editor who leads actions on several boards'
# plans, each limited to the OMCDB's plans. What is not theirs is not found (404, as for
# something that does not exist), never forbidden.
SCOPED_VIEWER = "scoped viewer"
SCOPED_EDITOR = "scoped editor"
SCOPED = {SCOPED_VIEWER: "viewer", SCOPED_EDITOR: "iom.lead@plantrack.example"}
SCOPE = ["OMCDB"]

GET_ROUTES = {
    "/": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    OWN: (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}/reports/appendix": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/plans/{SLUG}/reports/appendix.csv": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/account/password": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/my-actions": (SIGN_IN, FORBIDDEN, ALLOWED, ALLOWED, FORBIDDEN, ALLOWED),
    "/completion": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/approvals": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/audit": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/tokens": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/tokens/new": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/api/v1/plans": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/progress": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/reports/appendix": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    f"/api/v1/plans/{SLUG}": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/themes": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/actions": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1{OWN}": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1{OWN}/updates": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/actions-as-at": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    f"/api/v1/plans/{SLUG}/actions-as-at.csv": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    f"/api/v1/plans/{SLUG}/outcomes": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/milestones": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    f"/api/v1/plans/{SLUG}/owners": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/boards": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/boards/OMCDB": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/indicators": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    # Shown by the police and crime plan (PFCP) only: another board's, so not found when scoped.
    "/api/v1/indicators/confidence-in-police": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    "/api/v1/indicators/reoffending-rate-adult": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
    ),
    # Another board's plan, its action, files, board and the API's view of them.
    f"/plans/{OTHER_BOARD}": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    f"/plans/{OTHER_BOARD}/actions/LR1": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    f"/plans/{OTHER_BOARD}/reports/appendix": (
        SIGN_IN,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    f"/plans/{OTHER_BOARD}/reports/appendix.csv": (
        SIGN_IN,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    f"/plans/{OTHER_BOARD}/reports/highlight": (
        SIGN_IN,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    "/boards": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/boards/OMCDB": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/boards/PFCP": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    "/indicators": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/indicators/reoffending-rate-adult": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/indicators/confidence-in-police": (SIGN_IN, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    f"/api/v1/plans/{OTHER_BOARD}": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    f"/api/v1/plans/{OTHER_BOARD}/actions": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    f"/api/v1/plans/{OTHER_BOARD}/actions/LR1/updates": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    f"/api/v1/plans/{OTHER_BOARD}/actions-as-at.csv": (
        UNAUTHORISED,
        ALLOWED,
        ALLOWED,
        ALLOWED,
        NOT_FOUND,
        NOT_FOUND,
    ),
    "/api/v1/boards/PFCP": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, NOT_FOUND, NOT_FOUND),
    **{
        f"/api/v1/plans/{OTHER_BOARD}/{part}": (
            UNAUTHORISED,
            ALLOWED,
            ALLOWED,
            ALLOWED,
            NOT_FOUND,
            NOT_FOUND,
        )
        for part in ("outcomes", "milestones", "owners")
    },
    "/accounts": (SIGN_IN, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/api/v1/reports": (UNAUTHORISED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/api/v1/audit": (UNAUTHORISED, FORBIDDEN, FORBIDDEN, ALLOWED, FORBIDDEN, FORBIDDEN),
    "/sign-in": (ALLOWED, "/", "/", "/", "/", "/"),
    "/healthz": (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
}
ROLES = (
    "anonymous",
    "viewer",
    "omrr.lead@plantrack.example",
    "admin",
    SCOPED_VIEWER,
    SCOPED_EDITOR,
)


def scope(session, who: str, boards: list[str]) -> None:
    """Limit a demo account to some boards' plans (none: every plan), as the office does."""
    from sqlmodel import select

    from app.core.models import User
    from app.domain.access import set_board_scope

    email = demo_users()[who]["email"]
    user = session.exec(select(User).where(User.email == email)).one()
    set_board_scope(session, user=user, board_short_names=boards, by=None)
    session.commit()


def signed_in(client, role: str, session=None) -> str | None:
    if role == "anonymous":
        client.get("/sign-in")
        return csrf_from(client.get("/sign-in").text)
    if role in SCOPED:
        scope(session, SCOPED[role], SCOPE)
        return sign_in(client, SCOPED[role])
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
def test_every_page_answers_each_role_as_it_should(app_client, session, role_index, role):
    signed_in(app_client, role, session)
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
    # A scoped editor updates what they lead on their own board's plan, and finds the action
    # they lead on another board's plan not found; nothing is written.
    (f"/plans/{SLUG}/actions/RR2/updates", SCOPED_EDITOR, 303),
    (f"/plans/{OTHER_BOARD}/actions/RO2/updates", SCOPED_EDITOR, NOT_FOUND),
    (f"/plans/{OTHER_BOARD}/actions/RO2/updates", "iom.lead@plantrack.example", 303),
    (f"{OWN}/updates", SCOPED_VIEWER, FORBIDDEN),
    (f"/plans/{OTHER_BOARD}/actions/RO2/updates", SCOPED_VIEWER, NOT_FOUND),
    ("/accounts/1/boards", SCOPED_EDITOR, FORBIDDEN),
    ("/accounts/1/boards", "omrr.lead@plantrack.example", FORBIDDEN),
]


@pytest.mark.parametrize("path, role, expected", POST_CASES)
def test_every_change_is_checked_on_the_server(
    app_client, session, smtp_server, path, role, expected
):
    from sqlmodel import func, select

    from app.core.models import Action, Meeting, Plan, StatusUpdate

    csrf = signed_in(app_client, role, session)
    updates = select(func.count()).select_from(StatusUpdate)
    before = session.exec(updates).one()
    if path.endswith("/updates"):
        ref = path.split("/")[-2]
        plan = session.exec(select(Plan).where(Plan.slug == path.split("/")[2])).one()
        action = session.exec(
            select(Action).where(Action.plan_id == plan.id, Action.ref == ref)
        ).one()
        # Within the plan's period: the police and crime plan runs 2021-24.
        effective_on = "2023-03-01" if OTHER_BOARD in path else "2019-03-01"
        data = update_form(csrf, version=str(action.version), effective_on=effective_on)
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
    elif path.startswith("/accounts"):
        data = {"boards": "PFCP", "csrf_token": csrf}
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
    if response.status_code != 303:
        assert session.exec(updates).one() == before


# The API's writes to a plan's outcomes and owners: the office only; another board's plan is not
# found by a scoped person, before anything else is checked. Nothing is written when refused.
API_WRITES = {
    "anonymous": (UNAUTHORISED, UNAUTHORISED),
    "viewer": (FORBIDDEN, FORBIDDEN),
    "omrr.lead@plantrack.example": (FORBIDDEN, FORBIDDEN),
    "admin": (ALLOWED, 201),
    SCOPED_VIEWER: (FORBIDDEN, NOT_FOUND),
    SCOPED_EDITOR: (FORBIDDEN, NOT_FOUND),
}


@pytest.mark.parametrize("role", ROLES)
def test_the_apis_writes_to_outcomes_and_owners_are_the_offices(app_client, session, role):
    from sqlmodel import func, select

    from app.core.models import AuditEvent

    csrf = signed_in(app_client, role, session)
    headers = {"X-CSRF-Token": csrf} if role != "anonymous" else {}
    events = select(func.count()).select_from(AuditEvent)
    before = session.exec(events).one()
    own_outcomes, other_owner = API_WRITES[role]
    if role == "admin":  # the cookie writes only with its CSRF token
        unsigned = app_client.put(f"/api/v1/plans/{SLUG}/outcomes", json={"outcomes": ["One"]})
        assert unsigned.status_code == FORBIDDEN
    outcomes = app_client.put(
        f"/api/v1/plans/{SLUG}/outcomes", json={"outcomes": ["One"]}, headers=headers
    )
    assert outcomes.status_code == own_outcomes, outcomes.text[:300]
    owner = app_client.post(
        f"/api/v1/plans/{OTHER_BOARD}/owners",
        json={"role": "Matrix lead", "organisation": "OPCC"},
        headers=headers,
    )
    assert owner.status_code == other_owner, owner.text[:300]
    assert session.exec(events).one() == before + (2 if role == "admin" else 0)


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


# --- Access scoped by board: every route, with another board's records --------------------------

# What a route's path can name that belongs to a board (through its plan, or itself).
BOARD_SCOPED = {"slug", "ref", "report_id", "key", "short_name", "meeting_id", "theme_id"}
EXTENSIONS = {"appendix": "csv", "highlight": "json", "published": "json"}


def publish(client, slug: str, as_at: str) -> int:
    response = client.post(
        f"/plans/{slug}/reports/appendix/publish",
        data={"csrf_token": client.csrf, "as_at": as_at},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def path_values(session, slug: str, *, ref: str, report_id: int, key: str, board: str) -> dict:
    from sqlmodel import select

    from app.core.models import Board, Meeting, Plan, Theme

    plan = session.exec(select(Plan).where(Plan.slug == slug)).one()
    board_row = session.exec(select(Board).where(Board.short_name == board)).one()
    return {
        "slug": slug,
        "ref": ref,
        "report_id": str(report_id),
        "key": key,
        "short_name": board,
        "meeting_id": str(
            session.exec(select(Meeting.id).where(Meeting.board_id == board_row.id)).first()
        ),
        "theme_id": str(session.exec(select(Theme.id).where(Theme.plan_id == plan.id)).first()),
    }


def get_routes(app) -> list[str]:
    """The path of every GET route of the app (routers within routers, flattened)."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Mount

    return sorted(
        route.path
        for route in iter_route_contexts(app.routes)
        if not isinstance(route.original_route, Mount) and "GET" in route.methods
    )


def fill(path: str, values: dict) -> str:
    kind = next((k for k in EXTENSIONS if k in path), "published")
    return path.format_map(values | {"extension": EXTENSIONS[kind]})


@pytest.mark.parametrize("role", [SCOPED_VIEWER, SCOPED_EDITOR])
def test_a_scoped_person_walks_every_route_and_finds_other_boards_records_not_found(
    app_client, admin_client, session, role
):
    """Every GET route of the pages and the API, for a viewer and an editor limited to the
    OMCDB: with their own board's records it answers as it does when they are not limited;
    with another board's it answers exactly as for a record that does not exist (404 where
    there is a record to find), so the other board's records are neither shown nor revealed."""
    own_report = publish(admin_client, SLUG, "2019-03-31")
    other_report = publish(admin_client, OTHER_BOARD, "2023-09-30")
    who = SCOPED[role]
    common = {
        "user_id": str(demo_user_id(session, who)),
        "token": "not-a-real-invitation",
        "name": "entra",  # a single sign-on provider (none is set up here)
        "format": "csv",
    }
    own = common | path_values(
        session, SLUG, ref="OM1", report_id=own_report, key="reoffending-rate-adult", board="OMCDB"
    )
    other = common | path_values(
        session,
        OTHER_BOARD,
        ref="LR1",
        report_id=other_report,
        key="confidence-in-police",
        board="PFCP",
    )
    missing = common | {
        "slug": "no-such-plan",
        "ref": "LR1",
        "report_id": "99999999",
        "key": "no-such-indicator",
        "short_name": "NOSUCH",
        "meeting_id": "99999999",
        "theme_id": "99999999",
    }
    sign_in(app_client, who)
    routes = get_routes(app_client.app)
    assert (
        "/plans/{slug}/actions/{ref}" in routes
        and "/api/v1/reports/{report_id}/files/{format}" in routes
    )

    def walk(values: dict) -> dict[str, int]:
        return {
            route: app_client.get(fill(route, values), follow_redirects=False).status_code
            for route in routes
        }

    scope(session, who, [])
    unscoped_own, unscoped_other = walk(own), walk(other)
    scope(session, who, SCOPE)
    scoped_own, scoped_other, scoped_missing = walk(own), walk(other), walk(missing)

    hidden = 0
    for route in routes:
        assert scoped_own[route] == unscoped_own[route], (route, scoped_own[route])
        assert scoped_own[route] < 500 and scoped_other[route] < 500, route
        if BOARD_SCOPED & set(re.findall(r"{(\w+)}", route)):
            assert scoped_other[route] == scoped_missing[route], (route, scoped_other[route])
            assert scoped_other[route] != 200, route
            if unscoped_other[route] == 200:
                assert scoped_other[route] == 404, route
                hidden += 1
    # The plan, its actions, reports and files, the board, the indicator, the published
    # report and its files, on the pages and in the API.
    assert hidden >= 20, hidden
    own_pages = [f"/plans/{SLUG}", "/boards/OMCDB", f"/published/{own_report}"]
    assert all(app_client.get(page).status_code == 200 for page in own_pages)


def demo_user_id(session, who: str) -> int:
    from sqlmodel import select

    from app.core.models import User

    email = demo_users()[who]["email"]
    return session.exec(select(User.id).where(User.email == email)).one()
