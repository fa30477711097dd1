"""FastAPI dependencies, in one place: the request's unit of work, the signed-in user, roles,
CSRF, and the records a path names (loaded, or 404)."""

import re
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import writing
from app.core.models import Action, Plan, Role, User
from app.domain.access import Principal, cookie_principal, may_read_plan
from app.domain.actions import get_action
from app.domain.as_at import AsAtError, ReportDates, check_in_range, resolve_dates
from app.domain.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    WRITES,
    SignedIn,
    load_session,
    presession_csrf_token,
    tokens_match,
)
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.progress import get_plan
from app.domain.tokens import authenticate

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Posts whose handlers write only in short transactions of their own (app.core.db
# own_transaction), so that their slow part holds no lock: signing in checks a password with
# argon2 (tens of milliseconds), which must not queue every other writer behind it.
# Trying a failed report file again only queues it (app.jobs.retry_job), in the same way.
# Publishing renders the report's files (seconds, for a large plan) before it writes.
WRITES_IN_OWN_TRANSACTIONS = {
    ("POST", "/sign-in"),
    ("POST", "/plans/{slug}/reports/appendix/publish"),
    ("POST", "/plans/{slug}/reports/highlight/publish"),
    ("POST", "/plans/{slug}/reports/appendix.{extension}"),
    ("POST", "/plans/{slug}/reports/highlight.{extension}"),
}

# Numbers and dates as they come in from a request, bounded once here: an id no table can hold
# (ids are PostgreSQL integers) is a page that does not exist (404), never a query that fails;
# a date outside the years plantrack reads is refused with the words of app.domain.as_at.
MAX_ID = 2**31 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FormId = Annotated[int | None, Form(ge=1, le=MAX_ID)]
RequiredFormId = Annotated[int, Form(ge=1, le=MAX_ID)]
QueryCount = Annotated[int | None, Query(ge=0, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


def _date_in_range(value: date | None) -> date | None:
    return value if value is None else check_in_range(value)


QueryDate = Annotated[date | None, Query(), AfterValidator(_date_in_range)]


def date_or_parts(request: Request, value: date | None, name: str, label: str) -> date | None:
    """A date a GET form asks for: ``value`` when the address gives NAME=YYYY-MM-DD (links,
    bookmarks and the API use it), else the GOV.UK date input's boxes NAME-day, NAME-month and
    NAME-year, read by the one reader (app.domain.date_input); None when neither is given.
    Boxes that do not make a date are a 400 page (422 from the API) in the pattern's words;
    ``label`` names the date mid-sentence ("the as-at date")."""
    if value is not None:
        return value
    query = request.query_params
    parts = DateParts(*(query.get(f"{name}-{part}", "") for part in ("day", "month", "year")))
    if parts.is_blank:
        return None
    try:
        return check_in_range(parse_date_parts(parts, label=label), name)
    except (DateInputError, AsAtError) as error:
        raise HTTPException(422 if is_api(request) else 400, error.message) from None


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work, and the one place that decides its fate: committed when the
    handler returns, rolled back when it raises. Handlers and domain functions never commit.

    A request that may write (POST and the like) begins as a write transaction, so on SQLite it
    queues for the write lock at its start instead of failing half-way through. Where the
    session comes from is the app's ``open_session`` (the tests give the app their own).
    """
    with request.app.state.open_session() as session:
        route = request.scope.get("route")
        session.info[WRITES] = (
            request.method in UNSAFE_METHODS
            and (
                request.method,
                getattr(route, "path", None),
            )
            not in WRITES_IN_OWN_TRANSACTIONS
        )
        with writing(session) if session.info[WRITES] else nullcontext():
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()


# scope="function": the commit happens before the response is sent, so a redirect after a post
# never reaches the browser before what it points to is written.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class UserView:
    """What pages show of the signed-in user: plain values, safe to read after the request's
    database session has closed (an error page is rendered after it)."""

    id: int
    email: str
    display_name: str
    role: str


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in user; answered with a redirect to sign-in."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def cookie_name(name: str) -> str:
    """A cookie's name as sent. Where cookies are secure it carries the __Host- prefix: a browser
    then keeps it only if it came over HTTPS from this very host for the whole site, so a
    neighbouring subdomain can neither plant nor overwrite a session."""
    return f"__Host-{name}" if get_settings().secure_cookies else name


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def get_signed_in(request: Request, session: SessionDep) -> SignedIn | None:
    if not hasattr(request.state, "signed_in"):
        signed_in = load_session(session, request.cookies.get(cookie_name(SESSION_COOKIE)))
        request.state.signed_in = signed_in
        request.state.user = (
            UserView(
                id=signed_in.user.id,
                email=signed_in.user.email,
                display_name=signed_in.user.display_name,
                role=signed_in.user.role,
            )
            if signed_in
            else None
        )
        request.state.csrf_token = (
            signed_in.auth_session.csrf_token
            if signed_in
            else presession_csrf_token(request.cookies.get(cookie_name(PRESESSION_COOKIE)) or "")
        )
    return request.state.signed_in


OptionalSignedIn = Annotated[SignedIn | None, Depends(get_signed_in)]


def get_current_user(request: Request, signed_in: OptionalSignedIn) -> User:
    if signed_in is None:
        if is_api(request):
            raise HTTPException(401, "Sign in first.", headers={"WWW-Authenticate": "Cookie"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return signed_in.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role):
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise HTTPException(403, "Your account does not have permission to do this.")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
EditorUser = Annotated[User, Depends(require_role(Role.admin, Role.editor))]


async def verify_csrf(request: Request, signed_in: OptionalSignedIn) -> None:
    """Every state-changing request carries the session's CSRF token, in the form or a header
    (HTMX sends the header, set once on <body>)."""
    if request.method not in UNSAFE_METHODS:
        return
    given = request.headers.get("X-CSRF-Token")
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            given = form.get("csrf_token")
    if signed_in is not None:
        expected = signed_in.auth_session.csrf_token
    else:
        nonce = request.cookies.get(cookie_name(PRESESSION_COOKIE))
        expected = presession_csrf_token(nonce) if nonce else None
    if not tokens_match(expected, given if isinstance(given, str) else None):
        raise HTTPException(
            403,
            "This form has expired or did not come from plantrack. Go back, reload the page "
            "and try again.",
        )


def sign_in_redirect_path(next_path: str) -> str:
    return f"/sign-in?next={quote(next_path, safe='')}"


def get_page_principal(user: CurrentUser) -> Principal:
    """Who a page acts for: the signed-in person (pages never take a token)."""
    return cookie_principal(user)


PagePrincipal = Annotated[Principal, Depends(get_page_principal)]


def readable_plan(session: Session, principal, slug: str) -> Plan:
    """The one rule for a plan in a path, for pages and the API alike: a plan the principal may
    read (app.domain.access); any other, like one that does not exist, is not found."""
    plan = get_plan(session=session, slug=slug)
    if plan is None or not may_read_plan(session, principal, plan):
        raise HTTPException(404, f"There is no plan called '{slug}'.")
    return plan


def _action_of(session: Session, plan: Plan, ref: str) -> Action:
    action = get_action(session=session, plan=plan, ref=ref)
    if action is None:
        raise HTTPException(404, f"{plan.short_title} has no action {ref}.")
    return action


def load_plan(slug: str, session: SessionDep, principal: PagePrincipal) -> Plan:
    """A plan the signed-in person may read (app.domain.access); any other, like one that does
    not exist, is not found: a person scoped to some boards never learns of other boards' plans."""
    return readable_plan(session, principal, slug)


PlanDep = Annotated[Plan, Depends(load_plan)]


def load_action(plan: PlanDep, ref: str, session: SessionDep) -> Action:
    return _action_of(session, plan, ref)


ActionDep = Annotated[Action, Depends(load_action)]


def resolve_report_dates(
    request: Request, plan: PlanDep, as_at: date | None = None, since: date | None = None
) -> ReportDates:
    """The one as-at rule (app.domain.as_at) for every page and API route that reads a plan at
    a date: a bad pair is a 400 page, or 422 from the API, in the same words."""
    as_at = date_or_parts(request, as_at, "as_at", "the as-at date")
    since = date_or_parts(request, since, "since", "the 'changes since' date")
    try:
        return resolve_dates(plan, as_at=as_at, since=since)
    except AsAtError as error:
        raise HTTPException(422 if is_api(request) else 400, error.message) from None


ReportDatesDep = Annotated[ReportDates, Depends(resolve_report_dates)]


# --- The API's principal: a cookie session or a bearer token ----------------------------------

API_V1 = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PROBLEM_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
    428: "Precondition required",
    500: "Internal server error",
}
_BEARER = re.compile(r"^Bearer[ ]+(\S+)[ ]*$", re.IGNORECASE)
BEARER_CHALLENGE = 'Bearer realm="plantrack"'


def is_api_v1(request: Request) -> bool:
    path = request.url.path
    return path == API_V1 or path.startswith(API_V1 + "/")


class ApiProblem(HTTPException):
    """An API error with more than a status and a sentence: ``errors`` by field (422), or
    ``extra`` members of the problem (412: the update recorded in between)."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        errors: dict[str, str] | None = None,
        extra: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.errors = errors
        self.extra = extra


def problem_response(
    status_code: int,
    detail: str,
    *,
    errors: dict[str, str] | None = None,
    extra: dict | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """RFC 9457 problem details: the one shape of every error under /api/v1."""
    body = {
        "type": "about:blank",
        "title": PROBLEM_TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body |= jsonable_encoder(extra)
    return JSONResponse(body, status_code=status_code, media_type=PROBLEM_JSON, headers=headers)


def get_principal(request: Request, session: SessionDep, signed_in: OptionalSignedIn) -> Principal:
    """Who an API request acts for. ``Authorization: Bearer`` (the API only: the pages read the
    cookie alone), else the browser's cookie session."""
    header = request.headers.get("authorization")
    if header is not None:
        match = _BEARER.match(header)
        if match is None:
            raise HTTPException(
                401,
                "Send the API token as 'Authorization: Bearer pt_...'.",
                headers={"WWW-Authenticate": BEARER_CHALLENGE},
            )
        principal = authenticate(
            session, match.group(1), use=f"{request.method} {request.url.path}"
        )
        if principal is None:
            raise HTTPException(
                401,
                "The API token is not valid: it is unknown, has expired or has been revoked, "
                "or its holder's account is disabled.",
                headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'},
            )
        return principal
    if signed_in is None:
        raise HTTPException(
            401,
            "Sign in first, or send an API token as 'Authorization: Bearer pt_...'.",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    return cookie_principal(signed_in.user)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def verify_api_csrf(request: Request, principal: PrincipalDep) -> None:
    """The cookie keeps its CSRF check on the API; a bearer token needs none (a page on
    another site can make a browser send its cookie, never an Authorization header)."""
    if principal.token is None:
        await verify_csrf(request, request.state.signed_in)


def require_writer(principal: PrincipalDep) -> Principal:
    if not principal.may_write:
        raise HTTPException(403, "This token may only read: the office can make a write token.")
    return principal


def require_office(principal: PrincipalDep) -> Principal:
    if not principal.is_office:
        raise HTTPException(403, "Only the office may do this.")
    return principal


def require_office_writer(principal: PrincipalDep) -> Principal:
    return require_writer(require_office(principal))


WriterDep = Annotated[Principal, Depends(require_writer)]
OfficeDep = Annotated[Principal, Depends(require_office)]
OfficeWriterDep = Annotated[Principal, Depends(require_office_writer)]


def load_api_plan(slug: str, session: SessionDep, principal: PrincipalDep) -> Plan:
    """A plan the principal may read; any other is not found (its existence is not told)."""
    return readable_plan(session, principal, slug)


ApiPlanDep = Annotated[Plan, Depends(load_api_plan)]


def load_api_action(plan: ApiPlanDep, ref: str, session: SessionDep) -> Action:
    return _action_of(session, plan, ref)


ApiActionDep = Annotated[Action, Depends(load_api_action)]


def resolve_api_report_dates(
    plan: ApiPlanDep, as_at: QueryDate = None, since: QueryDate = None
) -> ReportDates:
    try:
        return resolve_dates(plan, as_at=as_at, since=since)
    except AsAtError as error:
        raise ApiProblem(422, error.message, errors={error.field: error.message}) from None


ApiDatesDep = Annotated[ReportDates, Depends(resolve_api_report_dates)]
