"""OpenID Connect, the relying party's side, with Authlib: the authorisation code flow with
PKCE (S256), state and nonce; the ID token's signature checked against the provider's JWKS
(from its discovery document), its issuer, audience, nonce and expiry checked by Authlib's
CodeIDToken claims.

Nothing of a sign-in in progress is kept in a worker's memory (any worker may serve the
callback): the state, nonce and PKCE verifier travel in a short-lived cookie signed with the
secret key (``seal``). What is cached per worker is only the provider's discovery document
and keys, read again after an hour (and the keys at once when a token names a key not seen).
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.base_client.sync_app import BaseApp, OAuth2Mixin
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.httpx_client import OAuth2Client
from joserfc.errors import JoseError

from app.core.config import OidcProvider, get_settings

DISCOVERY_MAX_AGE_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
# How long a browser may take at the provider before the sign-in must start again.
FLOW_MAX_AGE_SECONDS = 600


class OidcError(Exception):
    """A sign-in that cannot go on; ``str()`` is for the person signing in."""


class ProviderUnavailable(OidcError):
    """The provider could not be reached, or its discovery document is not what it should be."""


class FlowRefused(OidcError):
    """The provider refused the code, or what it answered failed a check (``reason`` says
    which, for the audit log)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class _NoFramework:
    """Authlib's clients report refreshed tokens to their web framework; plantrack keeps no
    provider tokens, so there is nothing to do."""

    def update_token(self, *args, **kwargs) -> None:
        return None


class _Client(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's synchronous OpenID Connect client (as its Flask and Django integrations build
    it), over httpx, without a framework's session: plantrack keeps the flow's state itself."""

    client_cls = OAuth2Client


_clients: dict[OidcProvider, tuple[_Client, float]] = {}
_clients_lock = threading.Lock()


def _client(provider: OidcProvider) -> _Client:
    with _clients_lock:
        found = _clients.get(provider)
        if found and time.monotonic() - found[1] < DISCOVERY_MAX_AGE_SECONDS:
            return found[0]
        client = _Client(
            _NoFramework(),
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
        _clients[provider] = (client, time.monotonic())
        return client


def provider_metadata(provider: OidcProvider) -> dict:
    """The provider's discovery document, checked to be the configured issuer's own."""
    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderUnavailable(
            f"Sign-in with {provider.label} is not available at the moment: plantrack could "
            "not reach it. Try again in a few minutes."
        ) from error
    if metadata.get("issuer") != provider.issuer:
        # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it came from.
        raise ProviderUnavailable(
            f"Sign-in with {provider.label} is not set up correctly: its discovery document "
            f"names the issuer '{metadata.get('issuer')}', not '{provider.issuer}'. Tell the "
            "office."
        )
    return metadata


@dataclass(frozen=True)
class Authorisation:
    """Where to send the browser, and what the callback must find again."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def begin(provider: OidcProvider, *, redirect_uri: str) -> Authorisation:
    """The provider's authorisation address for a new sign-in: a fresh state, nonce and PKCE
    verifier (S256 challenge)."""
    provider_metadata(provider)
    found = _client(provider).create_authorization_url(
        redirect_uri=redirect_uri,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
    )
    return Authorisation(
        url=found["url"],
        state=found["state"],
        nonce=found["nonce"],
        code_verifier=found["code_verifier"],
    )


def finish(
    provider: OidcProvider, *, redirect_uri: str, code: str, code_verifier: str, nonce: str
) -> dict:
    """Exchange the code (with the PKCE verifier) for tokens and check the ID token: its
    signature against the provider's keys, its issuer, audience (this client), nonce, expiry.
    Its claims, or FlowRefused / ProviderUnavailable."""
    provider_metadata(provider)
    client = _client(provider)
    try:
        token = client.fetch_access_token(
            redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
        )
    except OAuthError as error:
        raise FlowRefused(
            f"{provider.label} did not accept the sign-in (it may have been used already, or "
            "taken too long). Try again.",
            reason=f"the provider refused the code ({error.error})",
        ) from error
    except httpx.HTTPError as error:
        raise ProviderUnavailable(
            f"Sign-in with {provider.label} is not available at the moment: plantrack could "
            "not reach it. Try again in a few minutes."
        ) from error
    if not token.get("id_token"):
        raise FlowRefused(
            f"{provider.label} did not say who you are. Try again.", reason="no ID token"
        )
    options = {
        "iss": {"essential": True, "value": provider.issuer},
        # Authlib checks "aud" only when told to: the token must be meant for this client.
        "aud": {"essential": True, "value": provider.client_id},
    }
    try:
        claims = client.parse_id_token(token, nonce=nonce, claims_options=options)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise FlowRefused(
            f"What {provider.label} sent could not be checked, so plantrack did not sign you "
            "in. Try again, and tell the office if it happens again.",
            reason=f"the ID token failed a check ({_describe(error)})",
        ) from error
    except httpx.HTTPError as error:
        raise ProviderUnavailable(
            f"Sign-in with {provider.label} is not available at the moment: plantrack could "
            "not reach it. Try again in a few minutes."
        ) from error
    return dict(claims)


def _describe(error: Exception) -> str:
    error_name = getattr(error, "error", None)
    description = getattr(error, "description", None) or str(error)
    return f"{error_name}: {description}" if error_name else description


def end_session_url(provider: OidcProvider, *, post_logout_redirect_uri: str) -> str | None:
    """The provider's sign-out address (RP-initiated logout), if its discovery document has an
    end_session_endpoint and it can be reached; else None."""
    try:
        metadata = provider_metadata(provider)
    except ProviderUnavailable:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return _client(provider).create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, client_id=provider.client_id
    )["url"]


# A signed, short-lived value (the flow's state in a cookie).


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(purpose: str) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"plantrack-sealed:{purpose}".encode(), hashlib.sha256).digest()


def seal(payload: dict, *, purpose: str) -> str:
    """``payload`` and the time, signed with a key of the secret key's for this purpose alone."""
    body = _b64(json.dumps({"at": int(time.time()), "data": payload}).encode())
    signature = _b64(hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def unseal(value: str | None, *, purpose: str, max_age_seconds: int) -> dict | None:
    """The payload of a value ``seal`` made for this purpose no more than ``max_age_seconds``
    ago; None for anything else."""
    if not value or value.count(".") != 1:
        return None
    body, signature = value.split(".")
    expected = _b64(hmac.new(_key(purpose), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        sealed = json.loads(_unb64(body))
        age = time.time() - int(sealed["at"])
        payload = sealed["data"]
    except (ValueError, KeyError, TypeError):
        return None
    if not 0 <= age <= max_age_seconds or not isinstance(payload, dict):
        return None
    return payload
