"""Accounts: sign-in, server-side sessions, roles, CSRF tokens and who may update what.

Sessions live in the database (any worker can serve any request, and signing out, changing a
password or disabling an account revokes them at once). Only a hash of the session token is
stored, so a copy of the database cannot be used to sign in.

Password guessing is slowed, never answered with a lock on the account: failures are counted
per account from one address and per address (see ``throttle_wait``), so an attacker's failures
slow the attacker, not the account's owner signing in from somewhere else.
"""

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import own_transaction
from app.core.models import Action, AuthSession, DeliveryGroup, Role, SignInAttempt, Theme, User
from app.core.passwords import hash_password, needs_rehash, password_weakness, verify_password
from app.domain.audit import record_event

SESSION_COOKIE = "plantrack_session"
PRESESSION_COOKIE = "plantrack_presession"
# Writing last_seen_at on every request would make every page view a write.
TOUCH_INTERVAL = timedelta(minutes=1)
# Set on a request's session while its transaction is one that writes (see app.deps).
WRITES = "plantrack_writes"
# Longest back-off exponent: keeps 2**n finite however many failures an address piles up.
_MAX_DOUBLINGS = 20


class SignInError(Exception):
    pass


class SignInThrottled(SignInError):
    """Too many recent failures from here: try again after ``wait``."""

    def __init__(self, wait: timedelta) -> None:
        self.wait = wait
        super().__init__(
            f"Too many failed sign-in attempts. Wait {describe_wait(wait)} and try again."
        )

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds()))


class PasswordError(ValueError):
    pass


class PasswordSignInOff(SignInError):
    """Password sign-in is turned off (PLANTRACK_PASSWORD_SIGN_IN=false) for this account."""


PASSWORD_SIGN_IN_OFF = (
    "Sign in with your organisation's account: plantrack no longer accepts passwords."
)


def password_sign_in_allowed(email: str) -> bool:
    """Whether anyone may sign in with a password as ``email``: everyone unless the office
    turned password sign-in off; then only the break-glass admins it named (who must still be
    admins, checked once the password is)."""
    settings = get_settings()
    return settings.password_sign_in or normalise_email(email) in settings.break_glass_emails


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SignedIn:
    user: User
    auth_session: AuthSession


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(
    password: str, *, email: str, current_password_hash: str | None = None
) -> None:
    """The one rule for a new password, wherever it is chosen (the password page, `plantrack
    user create` and `user set-password`): PasswordError says what is wrong with it."""
    problem = password_weakness(password, email=email)
    if (
        problem is None
        and current_password_hash
        and verify_password(current_password_hash, password)
    ):
        problem = "The new password must be different from the current one."
    if problem:
        raise PasswordError(problem)


# Client addresses and throttling.

Network = IPv4Network | IPv6Network


def _parse_address(text: str) -> IPv4Address | IPv6Address | None:
    """An address as proxies write it ("203.0.113.7", "203.0.113.7:5123", "[2001:db8::1]:443",
    "::ffff:203.0.113.7"), or None if it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(
    *, peer: str | None, forwarded_for: Sequence[str], trusted_proxies: Sequence[Network]
) -> str:
    """Where a request came from. The connecting peer, unless it is one of the trusted proxies:
    then the right-most address in X-Forwarded-For that is not a trusted proxy. Everything to
    its left was written by the client, so it is never believed; and X-Forwarded-For from a
    peer that is not a trusted proxy is ignored altogether."""
    if not peer:
        return "unknown"
    current = _parse_address(peer)
    if current is None:
        return peer[:64]

    def trusted(address: IPv4Address | IPv6Address) -> bool:
        return any(address in network for network in trusted_proxies)

    if not trusted(current):
        return str(current)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse_address(hop)
        if address is None:
            break  # Unreadable: the nearest trusted proxy is as far back as we can see.
        current = address
        if not trusted(address):
            break
    return str(current)


def throttle_key(address: str) -> str:
    """What failures are counted against for an address: IPv6 by its /64 (one subscriber's
    network, every address of which a guesser can use), IPv4 as it is."""
    parsed = _parse_address(address)
    if isinstance(parsed, IPv6Address):
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed else address[:64]


def describe_wait(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _failures(session: Session, *conditions, since: datetime) -> tuple[int, datetime | None]:
    count, last = session.exec(
        select(func.count(), func.max(SignInAttempt.attempted_at)).where(
            *conditions,
            SignInAttempt.attempted_at >= since,
            SignInAttempt.succeeded.is_(False),
        )
    ).one()
    return count, last


def throttle_wait(
    session: Session, *, email: str, address_key: str, moment: datetime | None = None
) -> timedelta:
    """How long an attempt for ``email`` from ``address_key`` must wait (zero: go ahead).

    Failures are counted within the window for the account from this address (since its last
    success from here) and for this address in all. Past the allowed number, each further
    attempt waits the first wait doubled for every failure since, at most the window, counted
    from the latest failure. The account's own count from other addresses plays no part."""
    settings = get_settings()
    moment = moment or now()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    first_wait = timedelta(seconds=settings.sign_in_first_wait_seconds)
    window_start = moment - window
    pair = (SignInAttempt.email == email, SignInAttempt.client_address == address_key)
    last_success = session.exec(
        select(func.max(SignInAttempt.attempted_at)).where(
            *pair, SignInAttempt.attempted_at >= window_start, SignInAttempt.succeeded.is_(True)
        )
    ).one()
    pair_since = max(window_start, _aware(last_success)) if last_success else window_start

    def wait(failures: int, last_failure: datetime | None, allowed: int) -> timedelta:
        if failures < allowed or last_failure is None:
            return timedelta(0)
        back_off = min(first_wait * 2 ** min(failures - allowed, _MAX_DOUBLINGS), window)
        return max(timedelta(0), _aware(last_failure) + back_off - moment)

    return max(
        wait(
            *_failures(session, *pair, since=pair_since),
            settings.sign_in_failures_per_account_and_address,
        ),
        wait(
            *_failures(session, SignInAttempt.client_address == address_key, since=window_start),
            settings.sign_in_failures_per_address,
        ),
    )


@contextmanager
def _kept(session: Session) -> Iterator[Session]:
    """Where to write what must be kept whatever becomes of the request (an attempt, a new
    session): a short transaction of its own, so SQLite's write lock is held only for the
    write. A request whose transaction already writes holds that lock, and a second
    transaction would wait for it in vain: there the request's own transaction carries it."""
    if session.info.get(WRITES):
        yield session
        session.flush()
        return
    with own_transaction(session) as own:
        yield own


def _record_attempt(session: Session, *, email: str, address_key: str) -> int:
    """Unless attempts from here must wait (SignInThrottled), record this one as failed (until
    it succeeds), in one short transaction with the count: guesses sent at once are each
    counted before any password is checked. The attempt's id."""
    with _kept(session) as writer:
        wait = throttle_wait(writer, email=email, address_key=address_key)
        if wait:
            raise SignInThrottled(wait)
        attempt = SignInAttempt(
            email=email, client_address=address_key, attempted_at=now(), succeeded=False
        )
        writer.add(attempt)
        writer.flush()
        return attempt.id


def _mark_succeeded(session: Session, attempt_id: int) -> None:
    session.execute(
        update(SignInAttempt)
        .where(SignInAttempt.id == attempt_id)
        .values(succeeded=True)
        .execution_options(synchronize_session=False)
    )


def sign_in(session: Session, *, email: str, password: str, client_address: str) -> str:
    """Check the credentials and start a session: the token for the cookie, or SignInError
    (SignInThrottled when attempts from here must wait).

    The password check (slow by design) holds no write lock: the attempt is recorded before it,
    as a failure until it succeeds, and a rehash of the password, the new session and its audit
    event are written after it, each in a short transaction of its own (see ``_kept``), so a
    failure counts whatever becomes of the request.
    """
    email = normalise_email(email)
    if not password_sign_in_allowed(email):
        raise PasswordSignInOff(PASSWORD_SIGN_IN_OFF)
    attempt_id = _record_attempt(session, email=email, address_key=throttle_key(client_address))
    user = session.exec(select(User).where(User.email == email)).first()
    # Verify against a dummy hash for unknown e-mails so timing does not reveal which exist.
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and valid and user.is_active):
        raise SignInError("Enter a correct e-mail address and password.")
    if not get_settings().password_sign_in and user.role != Role.admin:
        # Named as break-glass, but not (or no longer) an admin: no password sign-in.
        raise PasswordSignInOff(PASSWORD_SIGN_IN_OFF)
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    with _kept(session) as writer:
        _mark_succeeded(writer, attempt_id)
        if new_hash:
            # Only the hash just checked: a password set meanwhile is never overwritten.
            writer.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == user.password_hash)
                .values(password_hash=new_hash)
                .execution_options(synchronize_session=False)
            )
        token = start_session(writer, user=user, client_address=client_address)
        record_event(
            writer,
            user=user,
            verb="sign_in",
            entity_type="user",
            entity_id=user.id,
            summary=f"{user.email} signed in",
        )
    return token


_DUMMY_HASH = hash_password("plantrack-timing-equaliser")


def start_session(session: Session, *, user: User, client_address: str) -> str:
    """A new session for the user; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=moment,
            last_seen_at=moment,
            csrf_token=secrets.token_urlsafe(32),
            client_address=client_address[:64],
        )
    )
    session.flush()
    return token


def load_session(session: Session, token: str | None) -> SignedIn | None:
    if not token:
        return None
    settings = get_settings()
    found = session.exec(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    auth_session, user = found
    moment = now()
    if (
        auth_session.revoked_at is not None
        or not user.is_active
        or moment - _aware(auth_session.last_seen_at)
        > timedelta(minutes=settings.session_idle_minutes)
        or moment - _aware(auth_session.created_at) > timedelta(hours=settings.session_max_hours)
    ):
        return None
    if moment - _aware(auth_session.last_seen_at) > TOUCH_INTERVAL:
        _touch(session, auth_session_id=auth_session.id, moment=moment)
    return SignedIn(user=user, auth_session=auth_session)


def _touch(session: Session, *, auth_session_id: int, moment: datetime) -> None:
    """Record that a session was seen. Reading a session never commits the request's
    transaction: a request that writes carries the touch in its own transaction; a read takes a
    short transaction of its own (on SQLite another connection may write while this one reads)."""
    statement = (
        update(AuthSession)
        .where(AuthSession.id == auth_session_id)
        .values(last_seen_at=moment)
        .execution_options(synchronize_session=False)
    )
    if session.info.get(WRITES):
        session.execute(statement)
        return
    with own_transaction(session) as own:
        own.execute(statement)


def revoke_session(session: Session, auth_session: AuthSession) -> None:
    auth_session.revoked_at = now()
    session.add(auth_session)
    session.flush()


def revoke_all_sessions(session: Session, *, user_id: int) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def set_password(session: Session, *, user: User, password: str) -> None:
    check_new_password(password, email=user.email, current_password_hash=user.password_hash)
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    session.add(user)
    revoke_all_sessions(session, user_id=user.id)
    session.flush()


def change_password(
    session: Session, *, user: User, current: str, new: str, confirm: str, client_address: str
) -> dict[str, str]:
    """Change a user's own password; the problems by form field if any (then nothing is written
    but a wrong current password, which counts like a failed sign-in: guessing it here is
    slowed exactly as at sign-in)."""
    try:
        attempt_id = _record_attempt(
            session, email=user.email, address_key=throttle_key(client_address)
        )
    except SignInThrottled as throttled:
        return {
            "current_password": "Too many wrong passwords. "
            f"Wait {describe_wait(throttled.wait)} and try again."
        }
    errors = {}
    if verify_password(user.password_hash, current):
        with _kept(session) as writer:
            _mark_succeeded(writer, attempt_id)
    else:
        errors["current_password"] = "Your current password is not right."
    if new != confirm:
        errors["confirm_password"] = "The new passwords do not match."
    if not errors:
        try:
            set_password(session, user=user, password=new)
        except PasswordError as error:
            errors["new_password"] = str(error)
    return errors


def presession_csrf_token(nonce: str) -> str:
    """The sign-in form's CSRF token: bound to a random cookie by the server's secret."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"presession:{nonce}".encode(), hashlib.sha256).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, which anyone can send.
    return bool(expected and given) and hmac.compare_digest(expected.encode(), given.encode())


def can_update_action(session: Session, *, user: User, action: Action) -> bool:
    """Admins update anything; an editor the actions they lead and those of the themes whose
    delivery group they lead; viewers nothing."""
    if not user.is_active:
        return False
    if user.role == Role.admin:
        return True
    if user.role != Role.editor or user.person_id is None:
        return False
    if action.lead_person_id == user.person_id:
        return True
    group_lead = session.exec(
        select(DeliveryGroup.lead_person_id)
        .join(Theme, Theme.delivery_group_id == DeliveryGroup.id)
        .where(Theme.id == action.theme_id)
    ).first()
    return group_lead == user.person_id


def editable_action_ids(session: Session, *, user: User, plan_id: int | None = None) -> set[int]:
    """Every action the user may update (optionally within one plan), in one query."""
    query = select(Action.id)
    if plan_id is not None:
        query = query.where(Action.plan_id == plan_id)
    if user.role == Role.admin:
        return set(session.exec(query))
    if user.role != Role.editor or user.person_id is None:
        return set()
    query = (
        query.join(Theme, Theme.id == Action.theme_id)
        .outerjoin(DeliveryGroup, DeliveryGroup.id == Theme.delivery_group_id)
        .where(
            (Action.lead_person_id == user.person_id)
            | (DeliveryGroup.lead_person_id == user.person_id)
        )
    )
    return set(session.exec(query))


def find_user(*, session: Session, email: str) -> User | None:
    """The account with that e-mail address, however it was typed."""
    return session.exec(select(User).where(User.email == normalise_email(email))).first()
