"""API tokens: made by the office for a person or a named service, shown once, stored hashed.

A token is ``pt_`` followed by 43 characters of ``secrets.token_urlsafe(32)``: 256 bits from the
operating system's random source. Only its SHA-256 is stored. A fast hash is right here, unlike
for passwords: a password is guessable, so its hash must be slow (argon2) to make each guess
expensive; a 256-bit random secret cannot be guessed at all, however fast each try (2**256
candidates), so a slow hash would buy nothing and cost every API request tens of milliseconds.
SHA-256 also lets a token be found by an indexed equality lookup on its hash, which a salted
password hash cannot. The ``pt_`` prefix makes a leaked token recognisable to secret scanners
and to people reading a log.

A token is refused once it has expired, been revoked, or when the account that holds it has
been disabled. Its last use is recorded; every use of a write token is audited.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from app.core.db import own_transaction
from app.core.models import ApiToken, ApiTokenPlan, Plan, Role, TokenScope, User
from app.domain.access import Principal
from app.domain.audit import record_event
from app.domain.auth import WRITES, find_user

TOKEN_PREFIX = "pt_"
MAX_EXPIRY_DAYS = 365
SHOWN_PREFIX = 7  # "pt_" and four characters: enough to tell tokens apart in a list
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
MAX_NAME = 100


class TokenRejected(ValueError):
    """What is wrong with a new token, by field: name, holder, scope, expires_in, plans."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class TokenNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no token called '{name}'.")
        self.message = str(self)


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _check_name(session: Session, name: str) -> str | None:
    if not name:
        return "Enter a name for the token, such as power-bi-refresh."
    if len(name) > MAX_NAME:
        return f"The name must be {MAX_NAME} characters or fewer."
    if not _NAME.match(name):
        return (
            "The name must start with a letter or digit and use only letters, digits, spaces, "
            "full stops, hyphens and underscores."
        )
    if session.exec(select(ApiToken.id).where(ApiToken.name == name)).first() is not None:
        return f"There is already a token called {name}: choose another name."
    return None


def create_token(
    session: Session,
    *,
    name: str,
    scope: str,
    expires_in_days: int | None,
    person_email: str | None = None,
    service: str | None = None,
    plan_slugs: list[str] | tuple[str, ...] = (),
    created_by: User | None,
    moment: datetime | None = None,
) -> CreatedToken:
    """A new token held by the person with ``person_email`` or by the named ``service`` (exactly
    one). Raises TokenRejected, writing nothing, when any field is wrong."""
    moment = moment or now()
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if problem := _check_name(session, name):
        errors["name"] = problem
    person_email = (person_email or "").strip() or None
    service = (service or "").strip() or None
    holder: User | None = None
    if (person_email is None) == (service is None):
        errors["holder"] = "Choose who holds the token: a person's account or a named service."
    elif person_email is not None:
        holder = find_user(session=session, email=person_email)
        if holder is None:
            errors["holder"] = f"There is no account for {person_email}."
        elif not holder.is_active:
            errors["holder"] = f"The account for {holder.email} is disabled."
    elif len(service) > MAX_NAME:
        errors["holder"] = f"The service's name must be {MAX_NAME} characters or fewer."
    if scope not in {s.value for s in TokenScope}:
        errors["scope"] = "Choose whether the token may only read, or read and write."
    elif scope == TokenScope.write and holder is not None and holder.role == Role.viewer:
        errors["scope"] = f"{holder.email} is a viewer: their token can only read."
    if expires_in_days is None:
        errors["expires_in"] = "Enter the number of days until the token expires."
    elif not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        errors["expires_in"] = (
            f"A token must expire within a year: enter a number of days from 1 to "
            f"{MAX_EXPIRY_DAYS}."
        )
    slugs = list(dict.fromkeys(slug.strip() for slug in plan_slugs if slug.strip()))
    plans = list(session.exec(select(Plan).where(Plan.slug.in_(slugs)))) if slugs else []
    unknown = sorted(set(slugs) - {plan.slug for plan in plans})
    if unknown:
        errors["plans"] = "There is no plan called " + ", ".join(unknown) + "."
    if errors:
        raise TokenRejected(errors)
    secret = new_secret()
    token = ApiToken(
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX],
        user_id=holder.id if holder else None,
        service=service,
        scope=scope,
        expires_at=moment + timedelta(days=expires_in_days),
        created_by_id=created_by.id if created_by else None,
        created_at=moment,
    )
    session.add(token)
    session.flush()
    for plan in plans:
        session.add(ApiTokenPlan(token_id=token.id, plan_id=plan.id))
    session.flush()
    record_event(
        session,
        user=created_by,
        verb="create_token",
        entity_type="api_token",
        entity_id=token.id,
        summary=f"Created the {scope} token {name} for "
        + (holder.email if holder else f"the service {service}"),
        after=_described(token, holder, [plan.slug for plan in plans]),
    )
    return CreatedToken(token=token, secret=secret)


def _described(token: ApiToken, holder: User | None, plans: list[str]) -> dict:
    return {
        "name": token.name,
        "holder": holder.email if holder else None,
        "service": token.service,
        "scope": token.scope,
        "expires_at": token.expires_at,
        "plans": plans,
        "revoked_at": token.revoked_at,
    }


def token_state(token: ApiToken, moment: datetime | None = None) -> str:
    """ "revoked", "expired" or "active"."""
    if token.revoked_at is not None:
        return "revoked"
    if _aware(token.expires_at) <= (moment or now()):
        return "expired"
    return "active"


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    holder: str  # the person's e-mail, or "Service: <name>"
    holder_active: bool
    plans: list[str]  # slugs; empty: every plan the holder reads
    state: str


def list_tokens(session: Session, *, moment: datetime | None = None) -> list[TokenRow]:
    """Every token, newest first, with its holder and plans: three queries."""
    moment = moment or now()
    tokens = list(session.exec(select(ApiToken).order_by(ApiToken.created_at.desc())))
    holder_ids = {token.user_id for token in tokens if token.user_id}
    holders = {user.id: user for user in session.exec(select(User).where(User.id.in_(holder_ids)))}
    plans: dict[int, list[str]] = {}
    for token_id, slug in session.exec(
        select(ApiTokenPlan.token_id, Plan.slug)
        .join(Plan, Plan.id == ApiTokenPlan.plan_id)
        .order_by(Plan.slug)
    ):
        plans.setdefault(token_id, []).append(slug)
    rows = []
    for token in tokens:
        holder = holders.get(token.user_id)
        rows.append(
            TokenRow(
                token=token,
                holder=holder.email if holder else f"Service: {token.service}",
                holder_active=holder.is_active if holder else True,
                plans=plans.get(token.id, []),
                state=token_state(token, moment),
            )
        )
    return rows


def revoke_token(session: Session, *, name: str, by: User | None) -> ApiToken:
    """Revoke the token called ``name`` at once; revoking a revoked token changes nothing."""
    token = session.exec(select(ApiToken).where(ApiToken.name == name.strip())).first()
    if token is None:
        raise TokenNotFound(name)
    if token.revoked_at is not None:
        return token
    token.revoked_at = now()
    session.add(token)
    session.flush()
    record_event(
        session,
        user=by,
        verb="revoke_token",
        entity_type="api_token",
        entity_id=token.id,
        summary=f"Revoked the token {token.name}",
        after={"revoked_at": token.revoked_at},
    )
    return token


def service_account(token: ApiToken) -> User:
    """The stand-in a service's token acts as (never saved): a write token records updates as an
    editor would, with the plan's approval rule; a read token reads as a viewer."""
    return User(
        id=None,
        email=f"token:{token.name}",
        display_name=f"{token.service} (service token {token.name})",
        role=Role.editor if token.scope == TokenScope.write else Role.viewer,
        is_active=True,
        created_at=token.created_at,
    )


def authenticate(
    session: Session, secret: str, *, use: str, moment: datetime | None = None
) -> Principal | None:
    """The principal a bearer secret acts for, or None if it is unknown, expired, revoked or
    its holder's account is disabled. Records the use (last_used_at; and for a write token an
    audit event whose summary is ``use``, such as "POST /api/v1/plans")."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    moment = moment or now()
    found = session.exec(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    if found is None:
        return None
    token, holder = found
    if token_state(token, moment) != "active":
        return None
    if token.user_id is not None and (holder is None or not holder.is_active):
        return None
    plan_ids = frozenset(
        session.exec(select(ApiTokenPlan.plan_id).where(ApiTokenPlan.token_id == token.id))
    )
    principal = Principal(
        user=holder if holder is not None else service_account(token),
        token=token,
        token_plan_ids=plan_ids or None,
    )
    _record_use(session, principal, use=use, moment=moment)
    return principal


def _record_use(session: Session, principal: Principal, *, use: str, moment: datetime) -> None:
    """Written in the request's transaction when it writes; otherwise in a short transaction of
    its own, so that reading with a token never turns a read into a write."""
    token = principal.token

    def write(target: Session) -> None:
        target.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=moment)
            .execution_options(synchronize_session=False)
        )
        if token.scope == TokenScope.write:
            record_event(
                target,
                user=principal.user if principal.user.id is not None else None,
                actor=principal.actor,
                verb="use_token",
                entity_type="api_token",
                entity_id=token.id,
                summary=use,
            )

    if session.info.get(WRITES):
        write(session)
    else:
        with own_transaction(session) as own:
            write(own)
    # As stored, without marking the request's copy changed (a read must not flush a write).
    set_committed_value(token, "last_used_at", moment)
