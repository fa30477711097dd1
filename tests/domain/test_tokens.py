"""API tokens: made for a person or a service, stored hashed, refused once expired, revoked or
their holder disabled; their use recorded, a write token's audited."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.core.models import ApiToken, AuditEvent, User
from app.domain.access import readable_plan_ids
from app.domain.progress import get_plan
from app.domain.tokens import (
    MAX_EXPIRY_DAYS,
    TokenNotFound,
    TokenRejected,
    authenticate,
    create_token,
    list_tokens,
    revoke_token,
)

SLUG = "reduced-offending-2018-21"


def user(session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


@pytest.fixture
def office(session) -> User:
    return user(session, "admin@plantrack.example")


def make(session, office, **overrides):
    values = dict(
        name="power-bi-refresh",
        scope="read",
        expires_in_days=90,
        service="Power BI refresh",
        created_by=office,
    )
    return create_token(session, **(values | overrides))


def test_a_token_is_shown_once_and_only_its_hash_is_stored(session, office):
    created = make(session, office)
    assert created.secret.startswith("pt_") and len(created.secret) == 3 + 43
    stored = session.exec(select(ApiToken).where(ApiToken.name == "power-bi-refresh")).one()
    assert stored.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret not in {stored.token_hash, stored.prefix}
    assert stored.prefix == created.secret[:7]
    assert stored.expires_at - stored.created_at == timedelta(days=90)
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "create_token")).one()
    assert created.secret not in (event.after_json or "") + event.summary
    assert json.loads(event.after_json)["service"] == "Power BI refresh"
    # Two tokens never share a secret.
    assert make(session, office, name="second").secret != created.secret


@pytest.mark.parametrize(
    "overrides, field, words",
    [
        ({"name": ""}, "name", "Enter a name"),
        ({"name": "bad/name"}, "name", "only letters, digits"),
        ({"service": None}, "holder", "Choose who holds the token"),
        ({"person_email": "admin@plantrack.example"}, "holder", "Choose who holds the token"),
        ({"service": None, "person_email": "nobody@x.example"}, "holder", "no account"),
        ({"scope": "admin"}, "scope", "only read, or read and write"),
        ({"expires_in_days": None}, "expires_in", "Enter the number of days"),
        ({"expires_in_days": 0}, "expires_in", "within a year"),
        ({"expires_in_days": MAX_EXPIRY_DAYS + 1}, "expires_in", "within a year"),
        ({"plan_slugs": [SLUG, "no-such-plan"]}, "plans", "no-such-plan"),
        (
            {"service": None, "person_email": "viewer@plantrack.example", "scope": "write"},
            "scope",
            "viewer",
        ),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(session, office, overrides, field, words):
    if overrides.get("person_email") == "viewer@plantrack.example":
        viewer = session.exec(select(User).where(User.role == "viewer")).first()
        overrides["person_email"] = viewer.email
    before = session.exec(select(func.count()).select_from(ApiToken)).one()
    with pytest.raises(TokenRejected) as rejected:
        make(session, office, **overrides)
    assert words in rejected.value.errors[field]
    assert session.exec(select(func.count()).select_from(ApiToken)).one() == before


def test_names_are_unique(session, office):
    make(session, office)
    with pytest.raises(TokenRejected, match="already a token called power-bi-refresh"):
        make(session, office)


def test_authenticate_records_the_last_use_and_audits_only_write_tokens(session, office):
    read = make(session, office)
    write = make(session, office, name="council-system", scope="write")
    uses = select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "use_token")
    assert session.exec(uses).one() == 0
    principal = authenticate(session, read.secret, use="GET /api/v1/plans")
    assert principal is not None and principal.is_service and not principal.may_write
    assert principal.user.role == "viewer" and principal.user.id is None
    assert session.exec(uses).one() == 0
    session.expire_all()
    assert session.get(ApiToken, read.token.id).last_used_at is not None
    principal = authenticate(session, write.secret, use="POST /api/v1/plans/x/actions/y/updates")
    assert principal.may_write and principal.user.role == "editor"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "use_token")).one()
    assert (event.actor, event.summary) == (
        "token:council-system",
        "POST /api/v1/plans/x/actions/y/updates",
    )


def test_a_persons_token_acts_as_that_person(session, office):
    created = make(session, office, service=None, person_email="omrr.lead@plantrack.example")
    principal = authenticate(session, created.secret, use="GET /api/v1/plans")
    assert principal.user.email == "omrr.lead@plantrack.example"
    assert not principal.is_service and principal.actor.endswith("(token power-bi-refresh)")


def test_expired_revoked_unknown_and_disabled_holders_tokens_are_refused(session, office):
    expired = make(session, office, name="old", moment=datetime.now(UTC) - timedelta(days=91))
    assert authenticate(session, expired.secret, use="x") is None
    revoked = make(session, office, name="revoked")
    revoke_token(session, name="revoked", by=office)
    assert authenticate(session, revoked.secret, use="x") is None
    assert authenticate(session, "pt_" + "A" * 43, use="x") is None
    assert authenticate(session, "not-a-token", use="x") is None
    editor = user(session, "omrr.lead@plantrack.example")
    held = make(session, office, name="held", service=None, person_email=editor.email)
    assert authenticate(session, held.secret, use="x") is not None
    editor.is_active = False
    session.add(editor)
    session.flush()
    assert authenticate(session, held.secret, use="x") is None
    states = {row.token.name: row.state for row in list_tokens(session)}
    assert states == {"old": "expired", "revoked": "revoked", "held": "active"}


def test_a_token_restricted_to_plans_reads_only_those(session, office):
    created = make(session, office, plan_slugs=[SLUG])
    principal = authenticate(session, created.secret, use="x")
    assert readable_plan_ids(session, principal) == {get_plan(session=session, slug=SLUG).id}
    unrestricted = authenticate(session, make(session, office, name="all").secret, use="x")
    assert readable_plan_ids(session, unrestricted) is None
    (row,) = [row for row in list_tokens(session) if row.token.name == "power-bi-refresh"]
    assert row.plans == [SLUG] and row.holder == "Service: Power BI refresh"


def test_revoking_is_audited_once_and_an_unknown_name_is_not_found(session, office):
    make(session, office)
    revoke_token(session, name="power-bi-refresh", by=office)
    revoke_token(session, name="power-bi-refresh", by=office)
    revokes = select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "revoke_token")
    assert session.exec(revokes).one() == 1
    with pytest.raises(TokenNotFound):
        revoke_token(session, name="nothing", by=office)
