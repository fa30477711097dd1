"""Accounts: what a new password may be, throttled guessing, where a request came from, and a
sign-in that writes only in short transactions of its own."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.config import PROJECT_ROOT, parse_networks
from app.core.db import begin_write
from app.core.models import AuditEvent, AuthSession, SignInAttempt, User
from app.core.passwords import hash_password, password_weakness
from app.domain import auth
from app.domain.auth import (
    WRITES,
    PasswordError,
    SignInError,
    SignInThrottled,
    check_new_password,
    client_address,
    describe_wait,
    set_password,
    sign_in,
    throttle_key,
    throttle_wait,
    token_hash,
)
from tests.factories import someone_else_can_write


def unique_email() -> str:
    return f"someone-{uuid.uuid4().hex[:8]}@example.org"


def make_user(session: Session, *, password: str = "lantern-orchard-river", **overrides) -> User:
    values = {
        "email": unique_email(),
        "display_name": "Programme Lead, YOS",
        "role": "editor",
        "password_hash": hash_password(password),
        "created_at": datetime.now(UTC),
    } | overrides
    user = User(**values)
    session.add(user)
    session.flush()
    return user


# What a new password may be.

REFUSED = [
    ("            ", "cannot be only spaces"),
    ("", "Enter a password"),
    ("aaaaaaaaaaaa", "short pattern repeated"),
    ("password1234", "most common passwords"),
    ("Password1234!", "most common passwords"),
    ("P@ssw0rd2024", "most common passwords"),
    ("iloveyou12345", "most common passwords"),
    ("short-one", "at least 12 characters"),
    ("   short-one   ", "at least 12 characters"),
    ("x" * 1001, "at most 1,000 characters"),
    ("abcdefghijkl", "short pattern repeated"),
    ("123456789012", "short pattern repeated"),
    ("qwertyuiopas", "short pattern repeated"),
    ("abcabcabcabc", "short pattern repeated"),
    ("dragon-dragon", "short pattern repeated"),
    ("aaaa1111bbbb", "short pattern repeated"),
    ("my-PlanTrack-login", "“plantrack”"),
    ("SECRET plantrack", "“plantrack”"),
    ("the Plan-Track password", "“plantrack”"),
    ("pat.jones@example.org", "your e-mail address"),
    ("Pat.Jones2024!", "your e-mail address"),
    ("my pat.jones@example.org login", "your e-mail address"),
]


@pytest.mark.parametrize(("password", "message"), REFUSED)
def test_a_weak_password_is_refused_with_a_reason(password, message):
    problem = password_weakness(password, email="pat.jones@example.org")
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    "password",
    [
        "lantern-orchard-river",
        "correct horse battery staple",
        "Tr0ub4dor&3-lighthouse",
        "  spaces at the ends count for nothing but are allowed  ",
    ],
)
def test_a_good_password_is_accepted(password):
    assert password_weakness(password, email="pat.jones@example.org") is None


def test_a_password_cannot_be_the_local_part_with_digits_however_it_ends():
    for password in ("jo.smith7!2024", "Jo.Smith7-00000", "!!jo.smith7!!"):
        problem = password_weakness(password, email="jo.smith7@example.org")
        assert problem and "your e-mail address" in problem, password
    assert password_weakness("jo.smith7 walks the fells", email="jo.smith7@example.org") is None


def test_the_demo_passwords_pass_the_rule():
    users = yaml.safe_load((PROJECT_ROOT / "seed_data" / "users.yaml").read_text())["users"]
    for user in users:
        assert password_weakness(user["password"], email=user["email"]) is None, user["email"]


def test_a_new_password_must_differ_from_the_current_one(session):
    user = make_user(session, password="lantern-orchard-river")
    with pytest.raises(PasswordError, match="different from the current one"):
        set_password(session, user=user, password="lantern-orchard-river")
    set_password(session, user=user, password="harbour-meadow-kettle")
    with pytest.raises(PasswordError, match="most common"):
        check_new_password("password1234", email=user.email)


# Where a request came from.

TRUSTED = parse_networks("10.0.0.0/8, 2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # Nothing trusted (the default): X-Forwarded-For is ignored.
        ("203.0.113.9", ["198.51.100.7"], [], "203.0.113.9"),
        # A peer that is not a trusted proxy cannot speak for anyone else.
        ("203.0.113.9", ["198.51.100.7"], TRUSTED, "203.0.113.9"),
        ("10.0.0.2", ["198.51.100.7"], TRUSTED, "198.51.100.7"),
        # What the client wrote to the left of its real address is never believed.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7"], TRUSTED, "198.51.100.7"),
        # A chain of trusted proxies, over several headers.
        ("10.0.0.2", ["6.6.6.6", "198.51.100.7, 10.0.0.3"], TRUSTED, "198.51.100.7"),
        # Every hop trusted: the client is itself one of ours.
        ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], TRUSTED, "10.0.0.4"),
        ("10.0.0.2", [], TRUSTED, "10.0.0.2"),
        ("10.0.0.2", ["not-an-address, 10.0.0.3"], TRUSTED, "10.0.0.3"),
        ("10.0.0.2", ["198.51.100.7:5123"], TRUSTED, "198.51.100.7"),
        ("10.0.0.2", ["[2001:db8::1]:443"], TRUSTED, "2001:db8::1"),
        ("2001:db8:ffff::5", ["198.51.100.7"], TRUSTED, "198.51.100.7"),
        ("::ffff:10.0.0.2", ["198.51.100.7"], TRUSTED, "198.51.100.7"),
        ("testclient", ["198.51.100.7"], TRUSTED, "testclient"),
        (None, [], [], "unknown"),
    ],
)
def test_the_client_address(peer, forwarded_for, trusted, expected):
    assert (
        client_address(peer=peer, forwarded_for=forwarded_for, trusted_proxies=trusted) == expected
    )


def test_failures_are_counted_per_ipv6_network():
    assert throttle_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert throttle_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert throttle_key("203.0.113.9") == "203.0.113.9"


# Throttling: a back-off per account and address, and per address; never a lock.


def fail(session: Session, email: str, address: str, *, times: int = 1, ago=timedelta(0)):
    moment = datetime.now(UTC) - ago
    for _ in range(times):
        session.add(
            SignInAttempt(email=email, client_address=address, attempted_at=moment, succeeded=False)
        )
    session.flush()


def wait_for(session, email, address) -> timedelta:
    return throttle_wait(session, email=email, address_key=address)


def test_the_back_off_starts_after_five_failures_and_doubles(session):
    email = unique_email()
    fail(session, email, "203.0.113.10", times=4)
    assert wait_for(session, email, "203.0.113.10") == timedelta(0)
    fail(session, email, "203.0.113.10")
    assert timedelta(seconds=55) < wait_for(session, email, "203.0.113.10") <= timedelta(minutes=1)
    fail(session, email, "203.0.113.10")
    assert timedelta(seconds=115) < wait_for(session, email, "203.0.113.10") <= timedelta(minutes=2)


def test_the_back_off_ends_and_old_failures_are_forgotten(session):
    email = unique_email()
    fail(session, email, "203.0.113.11", times=5, ago=timedelta(seconds=61))
    assert wait_for(session, email, "203.0.113.11") == timedelta(0)
    other = unique_email()
    fail(session, other, "203.0.113.12", times=12, ago=timedelta(minutes=16))
    assert wait_for(session, other, "203.0.113.12") == timedelta(0)


def test_failures_from_one_address_never_slow_the_account_from_another(session):
    email = unique_email()
    fail(session, email, "203.0.113.13", times=10)
    assert wait_for(session, email, "203.0.113.13") > timedelta(0)
    assert wait_for(session, email, "198.51.100.13") == timedelta(0)


def test_an_address_guessing_many_accounts_is_slowed_for_all(session):
    for _ in range(20):
        fail(session, unique_email(), "203.0.113.14")
    assert wait_for(session, unique_email(), "203.0.113.14") > timedelta(0)
    assert wait_for(session, unique_email(), "198.51.100.14") == timedelta(0)


def test_a_success_starts_the_count_for_its_account_and_address_again(session):
    email = unique_email()
    fail(session, email, "203.0.113.15", times=4, ago=timedelta(minutes=2))
    session.add(
        SignInAttempt(
            email=email,
            client_address="203.0.113.15",
            attempted_at=datetime.now(UTC) - timedelta(minutes=1),
            succeeded=True,
        )
    )
    fail(session, email, "203.0.113.15", times=4)
    assert wait_for(session, email, "203.0.113.15") == timedelta(0)


def test_the_wait_never_exceeds_the_window(session):
    fail(session, unique_email(), "203.0.113.16", times=300)
    assert timedelta(minutes=14) < wait_for(session, unique_email(), "203.0.113.16")
    assert wait_for(session, unique_email(), "203.0.113.16") <= timedelta(minutes=15)


def test_a_throttled_sign_in_says_how_long_to_wait_and_checks_nothing(session, monkeypatch):
    user = make_user(session)
    fail(session, user.email, "203.0.113.17", times=5)
    monkeypatch.setattr(auth, "verify_password", pytest.fail)
    with pytest.raises(SignInThrottled, match="Wait 1 minute and try again") as refused:
        sign_in(
            session,
            email=user.email,
            password="lantern-orchard-river",
            client_address="203.0.113.17",
        )
    assert 55 <= refused.value.retry_after_seconds <= 60


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (59.2, "1 minute"),
        (45, "45 seconds"),
        (61, "2 minutes"),
        (900, "15 minutes"),
    ],
)
def test_describe_wait(seconds, words):
    assert describe_wait(timedelta(seconds=seconds)) == words


# Sign-in's writes, on a database of the module's own (its transactions commit for real).


@pytest.fixture
def real_engine(own_database):
    return own_database[1]


def attempts_for(engine, email: str) -> int:
    with Session(engine) as check:
        return check.exec(
            select(func.count()).select_from(SignInAttempt).where(SignInAttempt.email == email)
        ).one()


def make_real_user(engine, password: str = "lantern-orchard-river") -> User:
    with Session(engine, expire_on_commit=False) as setup:
        user = make_user(setup, password=password)
        setup.commit()
        return user


def test_a_failed_sign_in_counts_even_when_the_request_fails(real_engine):
    email = unique_email()
    with Session(real_engine) as request_session:
        with pytest.raises(SignInError):
            sign_in(
                request_session,
                email=email,
                password="not-the-right-one",
                client_address="203.0.113.30",
            )
        request_session.rollback()  # the request's unit of work, when the request fails
    assert attempts_for(real_engine, email) == 1


def test_an_attempt_is_counted_before_its_password_is_checked(real_engine, monkeypatch):
    """So that guesses sent all at once cannot each pass the count before any is recorded."""
    email = unique_email()
    counted = []
    monkeypatch.setattr(
        auth,
        "verify_password",
        lambda password_hash, password: counted.append(attempts_for(real_engine, email)),
    )
    with Session(real_engine) as request_session:
        with pytest.raises(SignInError):
            sign_in(
                request_session,
                email=email,
                password="not-the-right-one",
                client_address="203.0.113.33",
            )
    assert counted == [1]


def test_the_password_is_checked_without_holding_the_write_lock(real_engine, backend, monkeypatch):
    user = make_real_user(real_engine)
    checked = []
    verify = auth.verify_password

    def verify_while_someone_else_writes(password_hash: str, password: str) -> bool:
        checked.append(someone_else_can_write(real_engine))
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", verify_while_someone_else_writes)
    with Session(real_engine) as request_session:
        token = sign_in(
            request_session,
            email=user.email,
            password="lantern-orchard-river",
            client_address="203.0.113.31",
        )
        request_session.commit()
    assert checked == ["free to write"]
    with Session(real_engine) as check:
        assert check.exec(
            select(AuthSession).where(AuthSession.token_hash == token_hash(token))
        ).one()
        assert check.exec(
            select(AuditEvent).where(AuditEvent.verb == "sign_in", AuditEvent.entity_id == user.id)
        ).one()


def test_a_request_that_already_writes_carries_the_attempt_itself(real_engine):
    """A request begun as a write holds SQLite's lock: a second transaction would wait for it
    in vain, so the attempt goes into the request's own transaction instead."""
    email = unique_email()
    with Session(real_engine) as request_session:
        request_session.info[WRITES] = True
        begin_write(request_session)
        started = time.monotonic()
        with pytest.raises(SignInError):
            sign_in(
                request_session,
                email=email,
                password="not-the-right-one",
                client_address="203.0.113.32",
            )
        assert time.monotonic() - started < 2
        request_session.commit()
    assert attempts_for(real_engine, email) == 1
