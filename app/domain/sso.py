"""Who may sign in through an identity provider, and the plantrack session they get.

The provider vouches for an e-mail address; plantrack matches it to an account. The address
counts only if the provider says it has verified it (the provider's verified claim is true),
its domain is one the provider is allowed to vouch for, and (Google Workspace) the account is
one of those domains' own. A disabled account is refused. Someone with no account is refused
or, if the office chose so (PLANTRACK_SSO_UNKNOWN_PEOPLE=viewer), given a viewer's account.

Every sign-in, refusal and new account is an audit event, written in a short transaction of
its own: a refusal is kept although the request answers with an error.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.core.config import OidcProvider, get_settings
from app.core.models import Role, User
from app.domain.audit import record_event
from app.domain.auth import _kept, find_user, normalise_email, start_session

_DISPLAY_NAME_LENGTH = 200
# A sign-in in progress (its state, nonce and PKCE verifier, sealed: app.core.oidc.seal).
SSO_FLOW_COOKIE = "plantrack_sso_flow"
# Which provider the session was signed in through, for its sign-out.
SSO_PROVIDER_COOKIE = "plantrack_sso_provider"


class SsoRefused(Exception):
    """Not signed in; ``str()`` is for the person, ``reason`` for the audit log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SsoSignedIn:
    token: str  # for the session cookie
    user_id: int
    created: bool


def _verified(value: object) -> bool:
    # Some providers send the flag as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def record_refusal(
    session: Session,
    *,
    provider: OidcProvider,
    reason: str,
    email: str | None = None,
    user: User | None = None,
) -> None:
    with _kept(session) as writer:
        record_event(
            writer,
            user=None,
            actor=(email or "unknown")[:254],
            verb="sso_refused",
            entity_type="user",
            entity_id=user.id if user else None,
            summary=f"Refused sign-in with {provider.label}"
            + (f" for {email}" if email else "")
            + f": {reason}",
        )


def _refuse(session, provider, *, message, reason, email=None, user=None) -> SsoRefused:
    record_refusal(session, provider=provider, reason=reason, email=email, user=user)
    return SsoRefused(message, reason)


def _display_name(claims: dict, email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        given, family = claims.get("given_name"), claims.get("family_name")
        name = " ".join(part for part in (given, family) if isinstance(part, str) and part)
    return (name.strip() or email)[:_DISPLAY_NAME_LENGTH]


def sign_in_with_identity(
    session: Session, *, provider: OidcProvider, claims: dict, client_address: str
) -> SsoSignedIn:
    """Match the checked ID token's claims to an account and start a plantrack session, or
    SsoRefused (audited) saying why not."""
    label = provider.label
    raw_email = claims.get("email")
    if not isinstance(raw_email, str) or "@" not in raw_email:
        raise _refuse(
            session,
            provider,
            message=f"{label} did not tell plantrack your e-mail address, so plantrack cannot "
            "find your account. Ask the office for help.",
            reason="no e-mail address in the ID token",
        )
    email = normalise_email(raw_email)
    if not _verified(claims.get(provider.email_verified_claim)):
        raise _refuse(
            session,
            provider,
            email=email,
            message=f"{label} has not verified your e-mail address {email}, so plantrack "
            f"cannot use it to sign you in. Verify it with {label}, or ask the office.",
            reason=f"the e-mail address is not verified ({provider.email_verified_claim})",
        )
    domain = email.rpartition("@")[2]
    if provider.allowed_domains and domain not in provider.allowed_domains:
        raise _refuse(
            session,
            provider,
            email=email,
            message=f"Accounts at {domain} cannot sign in with {label}. Sign in with the "
            "account your organisation gave you, or ask the office.",
            reason=f"the domain {domain} is not allowed",
        )
    if provider.require_hosted_domain and claims.get("hd") not in provider.allowed_domains:
        raise _refuse(
            session,
            provider,
            email=email,
            message=f"{email} is not an account of your organisation's {label}. Sign in with "
            "the account your organisation gave you.",
            reason="the account is not one of the allowed domains' own (hd claim)",
        )
    user = find_user(session=session, email=email)
    if user is not None and not user.is_active:
        raise _refuse(
            session,
            provider,
            email=email,
            user=user,
            message="Your plantrack account has been disabled. Ask the office if you need it "
            "again.",
            reason="the account is disabled",
        )
    if user is None and get_settings().sso_unknown_people != Role.viewer:
        raise _refuse(
            session,
            provider,
            email=email,
            message=f"There is no plantrack account for {email}. Ask the office to add you.",
            reason="no account for this e-mail address",
        )
    created = False
    with _kept(session) as writer:
        if user is None:
            user, created = _create_viewer(writer, provider=provider, claims=claims, email=email)
        token = start_session(writer, user=user, client_address=client_address)
        record_event(
            writer,
            user=user,
            verb="sign_in_sso",
            entity_type="user",
            entity_id=user.id,
            summary=f"{user.email} signed in with {label}",
        )
    return SsoSignedIn(token=token, user_id=user.id, created=created)


def _create_viewer(
    session: Session, *, provider: OidcProvider, claims: dict, email: str
) -> tuple[User, bool]:
    """A viewer's account for someone the provider vouches for (no password: they sign in
    through the provider). If another request made it first, that one."""
    account = User(
        email=email,
        display_name=_display_name(claims, email),
        role=Role.viewer,
        password_hash="",
        created_at=datetime.now(UTC),
    )
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        existing = find_user(session=session, email=email)
        if existing is None:
            raise
        return existing, False
    record_event(
        session,
        user=account,
        verb="create_user_sso",
        entity_type="user",
        entity_id=account.id,
        summary=f"Created a viewer's account for {email} at their first sign-in with "
        f"{provider.label}",
        after={"email": email, "role": Role.viewer, "provider": provider.name},
    )
    return account, True
