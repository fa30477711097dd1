"""Security headers on every response: each route of the app (pages, downloads, the API, error
pages, static files), as the office and as an anonymous visitor; and pages that need no inline
script or style, so the Content-Security-Policy can refuse them all."""

from html.parser import HTMLParser

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import Session, select
from starlette.routing import Mount

from app.core.config import get_settings
from app.core.models import (
    Board,
    Indicator,
    IndicatorValue,
    Meeting,
    Person,
    Plan,
    StatusUpdate,
    Theme,
    User,
)
from app.deps import cookie_name
from app.domain.auth import PRESESSION_COOKIE, SESSION_COOKIE, start_session
from tests.conftest import csrf_from, sign_in

SLUG = "reduced-offending-2018-21"
STATIC_FILES = [
    "/static/css/plantrack.css",
    "/static/js/plantrack.js",
    "/static/vendor/htmx/htmx.min.js",
    "/static/vendor/swagger-ui/swagger-ui-bundle.js",
]
# A file of each kind that is quick to make (the PDF is checked by the reports' own tests).
EXTENSIONS = {"appendix": "csv", "highlight": "json", "published": "json"}


def check_headers(response, what: str, *, secure: bool = False) -> None:
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    problems = []
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'"):
        if directive not in policy:
            problems.append(f"the policy lacks {directive}")
    if "frame-ancestors 'none'" not in policy:
        problems.append("the policy lets other sites frame the page")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append("the policy allows inline code")
    expected = {
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name} is {headers.get(name)!r}, not {value!r}")
    hsts = headers.get("strict-transport-security", "")
    if secure and "max-age=" not in hsts:
        problems.append("no Strict-Transport-Security although cookies are secure")
    if not secure and hsts:
        problems.append("Strict-Transport-Security over plain http (development)")
    cache = headers.get("cache-control", "")
    api_read = what.startswith("GET /api/v1/") and response.status_code in (200, 304)
    if api_read:
        # The API's reads may be kept by the client, never a shared cache, and checked each
        # time by their ETag.
        if cache != "private, max-age=0, must-revalidate":
            problems.append(f"an API read with Cache-Control {cache!r}")
    elif what.startswith("GET /static/"):
        if "no-store" in cache or not cache:
            problems.append(f"a static file with Cache-Control {cache!r}")
    elif "no-store" not in cache:
        problems.append(f"Cache-Control is {cache!r}, not no-store")
    assert not problems, f"{what} ({response.status_code}): " + "; ".join(problems)


def publish_appendix(client) -> int:
    response = client.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"csrf_token": client.csrf, "as_at": "2019-03-31"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    client.post(
        f"/plans/{SLUG}/public",
        data={"csrf_token": client.csrf, "public": "yes"},
        follow_redirects=False,
    )
    return int(response.headers["location"].rsplit("/", 1)[1])


def demo_values(session, report_id: int) -> dict[str, str]:
    """A value from the demo data for every name a route's path can hold."""
    return {
        "slug": SLUG,
        "ref": "OM1",
        "report_id": str(report_id),
        "key": session.exec(select(Indicator.key)).first(),
        "short_name": session.exec(select(Board.short_name)).first(),
        "update_id": str(session.exec(select(StatusUpdate.id)).first()),
        "value_id": str(session.exec(select(IndicatorValue.id)).first()),
        "theme_id": str(
            session.exec(
                select(Theme.id).join(Plan, Plan.id == Theme.plan_id).where(Plan.slug == SLUG)
            ).first()
        ),
        "meeting_id": str(session.exec(select(Meeting.id)).first()),
        "person_id": str(session.exec(select(Person.id)).first()),
        "token": "not-a-real-invitation",
        "name": "entra",  # a single sign-on provider (none is set up here: 404)
        "format": "csv",
        "user_id": str(session.exec(select(User.id)).first()),
    }


def route_paths(app, values: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path) for every route of the app, its path filled from the demo data; a route
    whose path names something this table does not know fails the test (add it above)."""
    requests = []
    for route in iter_route_contexts(app.routes):  # routers included in routers, flattened
        if isinstance(route.original_route, Mount):
            assert route.path == "/static", f"a mount this test does not know: {route.path}"
            requests += [("GET", path) for path in STATIC_FILES]
            continue
        kind = next((k for k in EXTENSIONS if k in route.path), "published")
        filled = values | {"extension": EXTENSIONS[kind]}
        try:
            path = route.path.format_map(filled)
        except KeyError as missing:
            raise AssertionError(f"{route.path}: no demo value for {missing}") from None
        for method in sorted(route.methods - {"HEAD"}):
            requests.append((method, path))
    # Signing out ends the walk's session: last.
    return sorted(requests, key=lambda request: (request == ("POST", "/sign-out"), request[0]))


def walk(client, requests, csrf: str | None, *, secure: bool = False) -> int:
    for method, path in requests:
        if method == "GET":
            response = client.get(path, follow_redirects=False)
        else:
            response = client.request(
                method, path, data={"csrf_token": csrf or ""}, follow_redirects=False
            )
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
        check_headers(response, f"{method} {path}", secure=secure)
    return len(requests)


def test_every_route_answers_the_office_with_the_security_headers(own_app_client, own_database):
    # The app exactly as served (its own sessions): the export reads the database through an
    # engine of its own, which the tests' shared session cannot give it.
    client = own_app_client
    client.csrf = sign_in(client, "admin")
    report_id = publish_appendix(client)
    with Session(own_database[1]) as session:
        values = demo_values(session, report_id)
    requests = route_paths(client.app, values)
    assert ("GET", f"/published/{report_id}.json") in requests
    assert ("GET", "/api/docs") in requests and ("GET", "/api/openapi.json") in requests
    assert walk(client, requests, client.csrf) > 60


def test_every_route_answers_an_anonymous_visitor_with_the_security_headers(app_client, session):
    requests = route_paths(app_client.app, demo_values(session, report_id=1))
    csrf = csrf_from(app_client.get("/sign-in").text)
    walk(app_client, requests, csrf)


def test_error_pages_carry_the_headers(admin, monkeypatch):
    import app.web.plan_pages

    for path, status in [
        ("/plans/no-such-plan", 404),
        ("/published/99999999999999999999", 404),
        (f"/plans/{SLUG}?as_at=31-03-2018", 400),
        ("/api/v1/plans/no-such-plan/progress", 404),
    ]:
        response = admin.get(path)
        assert response.status_code == status, path
        check_headers(response, f"GET {path}")
    too_large = admin.post("/sign-out", content=b"x" * (2 * 1024 * 1024))
    assert too_large.status_code == 413
    check_headers(too_large, "an oversized POST")

    def broken(**_kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(app.web.plan_pages, "read_plan_summaries", broken)
    failed = admin.get("/")
    assert failed.status_code == 500 and "Something went wrong on our side" in failed.text
    check_headers(failed, "the unexpected-error page")


def test_static_files_may_be_cached_but_pages_and_downloads_may_not(admin):
    static = admin.get("/static/css/plantrack.css")
    assert static.headers["cache-control"] == "no-cache"  # kept, but checked again each time
    for path in (
        "/",
        f"/plans/{SLUG}/reports/appendix.csv",
        f"/plans/{SLUG}/reports/highlight.json",
        "/import/template.xlsx",
    ):
        assert admin.get(path).headers["cache-control"] == "no-store", path
    api = admin.get("/api/v1/plans").headers["cache-control"]
    assert api == "private, max-age=0, must-revalidate"
    assert admin.get("/api/v1/plans/no-such-plan").headers["cache-control"] == "no-store"


@pytest.fixture
def secure_cookies(monkeypatch):
    monkeypatch.setattr(get_settings(), "cookie_secure", True)


def test_hsts_on_every_route_when_cookies_are_secure(app_client, session, secure_cookies):
    requests = route_paths(app_client.app, demo_values(session, report_id=1))
    walk(app_client, [r for r in requests if r[0] == "GET"], None, secure=True)


def test_cookie_names_carry_the_host_prefix_when_cookies_are_secure(
    app_client, session, monkeypatch
):
    assert cookie_name(SESSION_COOKIE) == SESSION_COOKIE  # development: plain http
    monkeypatch.setattr(get_settings(), "cookie_secure", True)
    assert cookie_name(SESSION_COOKIE) == "__Host-plantrack_session"
    assert cookie_name(PRESESSION_COOKIE) == "__Host-plantrack_presession"

    viewer = session.exec(select(User).where(User.role == "viewer")).first()
    token = start_session(session, user=viewer, client_address="testclient")
    session.commit()
    app_client.cookies.set(SESSION_COOKIE, token)  # without the prefix: not read
    assert app_client.get("/", follow_redirects=False).status_code == 303
    app_client.cookies.clear()
    app_client.cookies.set("__Host-plantrack_session", token)
    assert app_client.get("/", follow_redirects=False).status_code == 200


# --- No inline script or style ------------------------------------------------------------------


class InlineCode(HTMLParser):
    """What a strict Content-Security-Policy would refuse in a page: inline scripts, <style>
    elements, style="" and on...="" attributes, javascript: links. Inside an <svg> they are
    counted apart (charts drawn by matplotlib)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_svg: list[str] = []
        self.svg_depth = 0
        self.htmx_config = None

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg_depth += 1
        found = self.in_svg if self.svg_depth else self.found
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            found.append("an inline <script>")
        if tag == "style":
            found.append("a <style> element")
        for name, value in attrs:
            if name == "style":
                found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                found.append(f"<{tag} {name}={value}>")
        if tag == "meta" and attributes.get("name") == "htmx-config":
            self.htmx_config = attributes.get("content")

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def signed_in_pages(admin, session) -> list[str]:
    report_id = publish_appendix(admin)
    requests = route_paths(admin.app, demo_values(session, report_id))
    return [path for method, path in requests if method == "GET"]


def test_no_page_has_inline_script_or_style(admin, session):
    checked = 0
    for path in signed_in_pages(admin, session) + [f"/plans/{SLUG}?rag=red"]:
        response = admin.get(path)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        found = inline_code(response.text)
        assert not found.found, f"{path}: {found.found[:5]}"
        checked += 1
    assert checked > 25


def test_htmx_is_told_to_inject_no_style_and_evaluate_nothing(admin):
    import json

    config = json.loads(inline_code(admin.get("/").text).htmx_config)
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False


def test_the_check_finds_inline_code():
    planted = (
        "<p style='color: red' onclick='x()'>a</p><script>alert(1)</script>"
        "<style>p{}</style><a href='javascript:alert(1)'>b</a>"
    )
    assert len(inline_code(planted).found) == 5


def test_charts_have_no_inline_style(admin, session):
    key = session.exec(select(Indicator.key)).first()
    found = inline_code(admin.get(f"/indicators/{key}").text)
    assert found.in_svg == []
