"""Single sign-on: "Sign in with ..." sends the browser to the identity provider, whose answer
comes back to the callback, which signs the person in (app.domain.sso) exactly as the password
form does: the same server-side session and cookie.

The flow's state, nonce and PKCE verifier are sealed in a cookie for ten minutes (any worker
may serve the callback); the cookie is SameSite=Lax, so it comes back with the provider's
top-level redirect, and it is forgotten whatever the callback's outcome: one answer per flow.
"""

import hashlib
import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.core.config import OidcProvider, get_settings
from app.core.oidc import (
    FLOW_MAX_AGE_SECONDS,
    FlowRefused,
    ProviderUnavailable,
    begin,
    finish,
    seal,
    unseal,
)
from app.deps import SessionDep, cookie_name
from app.domain.sso import (
    SSO_FLOW_COOKIE,
    SSO_PROVIDER_COOKIE,
    SsoRefused,
    record_refusal,
    sign_in_with_identity,
)
from app.web.auth_pages import (
    address_of,
    forget_cookie,
    safe_next,
    set_cookie,
    sign_in_page,
    start_browser_session,
)

router = APIRouter()

FLOW = "oidc-flow"
# Whatever a provider answers, this much of it is read (a state or code is far shorter).
_MAX_PARAMETER = 4096


def _provider(name: str) -> OidcProvider:
    provider = get_settings().sso_providers.get(name)
    if provider is None:
        raise HTTPException(404, "There is no page at this address.")
    return provider


def _redirect_uri(provider: OidcProvider) -> str:
    """The callback's address as registered with the provider: from PLANTRACK_BASE_URL, never
    from the request's Host header."""
    return f"{get_settings().base_url.rstrip('/')}/sign-in/oidc/{provider.name}/callback"


def _same(expected: str, given: str) -> bool:
    # compare_digest refuses str with non-ASCII characters: compare digests of the bytes.
    return hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(given.encode()).digest()
    )


def _refused(request: Request, message: str, status_code: int, next_path: str = "/"):
    response = sign_in_page(
        request,
        next_path=next_path,
        error=message,
        error_target="sso",
        status_code=status_code,
    )
    forget_cookie(response, SSO_FLOW_COOKIE)
    return response


@router.get("/sign-in/oidc/{name}")
def start_sso(request: Request, name: str, next: str = "/"):
    provider = _provider(name)
    next_path = safe_next(next[:_MAX_PARAMETER])
    try:
        flow = begin(provider, redirect_uri=_redirect_uri(provider))
    except ProviderUnavailable as error:
        return _refused(request, str(error), 502, next_path)
    response = RedirectResponse(flow.url, status_code=303)
    sealed = seal(
        {
            "provider": provider.name,
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.code_verifier,
            "next": next_path,
        },
        purpose=FLOW,
    )
    set_cookie(response, SSO_FLOW_COOKIE, sealed, max_age=FLOW_MAX_AGE_SECONDS)
    return response


@router.get("/sign-in/oidc/{name}/callback")
def finish_sso(
    request: Request,
    session: SessionDep,
    name: str,
    code: str = "",
    state: str = "",
    error: str = "",
):
    provider = _provider(name)
    label = provider.label
    flow = unseal(
        request.cookies.get(cookie_name(SSO_FLOW_COOKIE)),
        purpose=FLOW,
        max_age_seconds=FLOW_MAX_AGE_SECONDS,
    )
    if (
        flow is None
        or flow.get("provider") != provider.name
        or not state
        or not _same(str(flow.get("state", "")), state[:_MAX_PARAMETER])
    ):
        # Nothing to audit: anyone can send this address, and no sign-in of theirs was begun.
        return _refused(
            request,
            f"Your sign-in with {label} did not complete: it took too long, or it was started "
            "in another browser or tab. Try again.",
            400,
        )
    next_path = safe_next(flow.get("next"))
    if error or not code:
        reason = f"the provider answered '{error[:100]}'" if error else "no code came back"
        record_refusal(session, provider=provider, reason=reason)
        return _refused(
            request,
            f"{label} did not sign you in"
            + (" (it was cancelled or refused)" if error else "")
            + ". Try again, or ask the office for help.",
            400,
            next_path,
        )
    try:
        claims = finish(
            provider,
            redirect_uri=_redirect_uri(provider),
            code=code[:_MAX_PARAMETER],
            code_verifier=str(flow.get("verifier", "")),
            nonce=str(flow.get("nonce", "")),
        )
    except FlowRefused as refused:
        record_refusal(session, provider=provider, reason=refused.reason)
        return _refused(request, str(refused), 400, next_path)
    except ProviderUnavailable as unavailable:
        return _refused(request, str(unavailable), 502, next_path)
    try:
        signed_in = sign_in_with_identity(
            session, provider=provider, claims=claims, client_address=address_of(request)
        )
    except SsoRefused as refused:
        return _refused(request, str(refused), 403, next_path)
    response = RedirectResponse(next_path, status_code=303)
    start_browser_session(response, signed_in.token)
    set_cookie(
        response,
        SSO_PROVIDER_COOKIE,
        provider.name,
        max_age=get_settings().session_max_hours * 3600,
    )
    forget_cookie(response, SSO_FLOW_COOKIE)
    return response
