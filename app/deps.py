"""FastAPI dependencies, in one place: the database session, the signed-in user, roles, CSRF."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from app.core.db import get_session
from app.core.models import Role, User
from app.domain.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    load_session,
    presession_csrf_token,
    tokens_match,
)

SessionDep = Annotated[Session, Depends(get_session)]

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


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


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def get_signed_in(request: Request, session: SessionDep) -> SignedIn | None:
    if not hasattr(request.state, "signed_in"):
        signed_in = load_session(session, request.cookies.get(SESSION_COOKIE))
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
            else presession_csrf_token(request.cookies.get(PRESESSION_COOKIE) or "")
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
        nonce = request.cookies.get(PRESESSION_COOKIE)
        expected = presession_csrf_token(nonce) if nonce else None
    if not tokens_match(expected, given if isinstance(given, str) else None):
        raise HTTPException(
            403,
            "This form has expired or did not come from plantrack. Go back, reload the page "
            "and try again.",
        )


def sign_in_redirect_path(next_path: str) -> str:
    return f"/sign-in?next={quote(next_path, safe='')}"
