import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app.core.config import get_settings
from app.core.oidc import end_session_url
from app.deps import CurrentUser, OptionalSignedIn, SessionDep, cookie_name
from app.domain.audit import record_event
from app.domain.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    SignInError,
    SignInThrottled,
    change_password,
    client_address,
    presession_csrf_token,
    revoke_session,
    sign_in,
)
from app.domain.sso import SSO_PROVIDER_COOKIE
from app.web.templating import templates

router = APIRouter()


def address_of(request: Request) -> str:
    return client_address(
        peer=request.client.host if request.client else None,
        forwarded_for=request.headers.getlist("x-forwarded-for"),
        trusted_proxies=get_settings().trusted_proxy_networks,
    )


def forget_cookie(response, name: str) -> None:
    # A browser ignores a __Host- cookie (even its deletion) that is not marked Secure.
    response.delete_cookie(
        cookie_name(name), secure=get_settings().secure_cookies, httponly=True, samesite="lax"
    )


def safe_next(next_path: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//"):
        return next_path
    return "/"


def set_cookie(response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        cookie_name(name),
        value,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        max_age=max_age,
    )


def start_browser_session(response, token: str) -> None:
    """The session cookie for a new session, however it was signed in to."""
    set_cookie(response, SESSION_COOKIE, token, max_age=get_settings().session_max_hours * 3600)
    forget_cookie(response, PRESESSION_COOKIE)


def sign_in_page(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    error_target: str = "email",
    status_code: int = 200,
):
    """The sign-in page: a "Sign in with ..." link per identity provider, and the password
    form (folded away when password sign-in is off: it is for the break-glass admins)."""
    settings = get_settings()
    nonce = request.cookies.get(cookie_name(PRESESSION_COOKIE))
    new_nonce = None
    if not nonce:
        new_nonce = secrets.token_urlsafe(24)
        request.state.csrf_token = presession_csrf_token(new_nonce)
    response = templates.TemplateResponse(
        request,
        "auth/sign_in.html",
        {
            "next_path": next_path,
            "email": email,
            "error": error,
            "error_target": error_target,
            "providers": list(settings.sso_providers.values()),
            "password_sign_in": settings.password_sign_in,
        },
        status_code=status_code,
    )
    if new_nonce:
        set_cookie(response, PRESESSION_COOKIE, new_nonce, max_age=3600)
    return response


@router.get("/sign-in")
def read_sign_in(request: Request, signed_in: OptionalSignedIn, next: str = "/"):
    if signed_in:
        return RedirectResponse(safe_next(next), status_code=303)
    return sign_in_page(request, next_path=safe_next(next))


@router.post("/sign-in")
def create_sign_in(
    request: Request,
    session: SessionDep,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
):
    next_path = safe_next(next)
    if not email.strip() or not password:
        return sign_in_page(
            request,
            next_path=next_path,
            email=email,
            status_code=400,
            error="Enter your e-mail address and password.",
        )
    try:
        token = sign_in(session, email=email, password=password, client_address=address_of(request))
    except SignInThrottled as error:
        response = sign_in_page(
            request, next_path=next_path, email=email, error=str(error), status_code=429
        )
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    except SignInError as error:
        return sign_in_page(
            request, next_path=next_path, email=email, error=str(error), status_code=400
        )
    response = RedirectResponse(next_path, status_code=303)
    start_browser_session(response, token)
    return response


@router.post("/sign-out")
def create_sign_out(request: Request, session: SessionDep, signed_in: OptionalSignedIn):
    if signed_in:
        revoke_session(session, signed_in.auth_session)
    # Signed in through an identity provider: the signed-out page offers its sign-out too.
    provider = request.cookies.get(cookie_name(SSO_PROVIDER_COOKIE))
    target = "/sign-in"
    if provider in get_settings().sso_providers:
        target = f"/signed-out?provider={provider}"
    response = RedirectResponse(target, status_code=303)
    forget_cookie(response, SESSION_COOKIE)
    forget_cookie(response, SSO_PROVIDER_COOKIE)
    return response


@router.get("/signed-out")
def read_signed_out(request: Request, provider: str = ""):
    """After signing out of plantrack: the identity provider's own sign-out, if it has one
    (RP-initiated logout), coming back to the sign-in page."""
    settings = get_settings()
    found = settings.sso_providers.get(provider)
    provider_sign_out = (
        end_session_url(found, post_logout_redirect_uri=f"{settings.base_url.rstrip('/')}/sign-in")
        if found
        else None
    )
    return templates.TemplateResponse(
        request,
        "auth/signed_out.html",
        {"provider": found, "provider_sign_out": provider_sign_out},
    )


@router.get("/account/password")
def read_password_form(request: Request, user: CurrentUser):
    return templates.TemplateResponse(request, "auth/password.html", {"errors": {}})


@router.post("/account/password")
def update_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: str = Form(""),
    new_password: str = Form(""),
    confirm_password: str = Form(""),
):
    errors = change_password(
        session,
        user=user,
        current=current_password,
        new=new_password,
        confirm=confirm_password,
        client_address=address_of(request),
    )
    if errors:
        return templates.TemplateResponse(
            request, "auth/password.html", {"errors": errors}, status_code=400
        )
    record_event(
        session,
        user=user,
        verb="change_password",
        entity_type="user",
        entity_id=user.id,
        summary=f"{user.email} changed their password",
    )
    response = RedirectResponse("/sign-in", status_code=303)
    forget_cookie(response, SESSION_COOKIE)
    return response
