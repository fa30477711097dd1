"""Accounts: sign-in, server-side sessions, roles, CSRF tokens and who may update what.

Sessions live in the database (any worker can serve any request, and signing out, changing a
password or disabling an account revokes them at once). Only a hash of the session token is
stored, so a copy of the database cannot be used to sign in.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import own_transaction
from app.core.models import Action, AuthSession, DeliveryGroup, Role, SignInAttempt, Theme, User
from app.core.passwords import hash_password, verify_password

SESSION_COOKIE = "plantrack_session"
PRESESSION_COOKIE = "plantrack_presession"
# Writing last_seen_at on every request would make every page view a write.
TOUCH_INTERVAL = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 12


class SignInError(Exception):
    pass


class PasswordError(ValueError):
    pass


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


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"A password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > 1000:
        raise PasswordError("A password must be at most 1,000 characters long.")


def _recent_failures(session: Session, *, column, value: str, since: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(
            column == value,
            SignInAttempt.attempted_at >= since,
            SignInAttempt.succeeded.is_(False),
        )
    ).one()


def authenticate(session: Session, *, email: str, password: str, client_address: str) -> User:
    """The user these credentials belong to, or SignInError; every attempt is recorded."""
    settings = get_settings()
    email = normalise_email(email)
    window_start = now() - timedelta(minutes=settings.sign_in_window_minutes)
    too_many = (
        _recent_failures(session, column=SignInAttempt.email, value=email, since=window_start)
        >= settings.sign_in_failures_per_account
        or _recent_failures(
            session, column=SignInAttempt.client_address, value=client_address, since=window_start
        )
        >= settings.sign_in_failures_per_address
    )
    if too_many:
        raise SignInError(
            "Too many failed sign-in attempts. Wait "
            f"{settings.sign_in_window_minutes} minutes and try again."
        )
    user = session.exec(select(User).where(User.email == email)).first()
    # Verify against a dummy hash for unknown e-mails so timing does not reveal which exist.
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    succeeded = bool(user and valid and user.is_active)
    session.add(
        SignInAttempt(
            email=email, client_address=client_address, attempted_at=now(), succeeded=succeeded
        )
    )
    session.flush()
    if not succeeded:
        raise SignInError("Enter a correct e-mail address and password.")
    return user


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


# Set on a request's session while its transaction is one that writes (see app.deps).
WRITES = "plantrack_writes"


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
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    session.add(user)
    revoke_all_sessions(session, user_id=user.id)
    session.flush()


def change_password(
    session: Session, *, user: User, current: str, new: str, confirm: str
) -> dict[str, str]:
    """Change a user's own password; the problems by form field (nothing written) if any."""
    errors = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "Your current password is not right."
    if new != confirm:
        errors["confirm_password"] = "The new passwords do not match."
    if not errors:
        try:
            check_password_rules(new)
        except PasswordError as error:
            errors["new_password"] = str(error)
    if errors:
        return errors
    set_password(session, user=user, password=new)
    return {}


def presession_csrf_token(nonce: str) -> str:
    """The sign-in form's CSRF token: bound to a random cookie by the server's secret."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"presession:{nonce}".encode(), hashlib.sha256).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(expected, given)


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
