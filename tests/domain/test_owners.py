"""Owners and their accounts: added through the one Directory, invited with a one-time link sent
through a real SMTP server, or linked to an account that exists; all audited."""

import re
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.core.config import get_settings
from app.core.models import AuditEvent, Organisation, Person, User
from app.core.passwords import verify_password
from app.domain.mail import MailError
from app.domain.owners import (
    InvitationInvalid,
    OwnerRejected,
    accept_invitation,
    add_owner,
    invitation_token,
    invite_owner,
    link_owner,
    read_invitation,
    read_owners_page,
)
from app.domain.progress import get_plan

TODAY = date.today()
PASSWORD = "a long enough pass phrase for tests"


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


@pytest.fixture
def plan(session):
    return get_plan(session=session, slug="reduced-offending-2018-21")


@pytest.fixture
def owner(session, plan):
    return add_owner(
        session=session,
        user=None,
        plan=plan,
        role="Head of Community Safety",
        organisation="  stoke-on-trent city COUNCIL ",
        email="Community.Safety@Stoke.example",
    )


def link_in(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"/invitation/(\S+)", body).group(1)


def test_an_owner_is_found_or_created_through_the_directory(session, plan, owner):
    organisation = session.get(Organisation, owner.organisation_id)
    assert organisation.short_name == "SoTCC"  # the demo's, matched ignoring case and spaces
    assert owner.email == "community.safety@stoke.example"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "add_owner")).one()
    assert event.entity_id == owner.id and "Head of Community Safety, SoTCC" in event.summary
    new = add_owner(
        session=session, user=None, plan=plan, role="Chair", organisation="A New Charity"
    )
    assert session.get(Organisation, new.organisation_id).name == "A New Charity"
    assert new.email is None


@pytest.mark.parametrize(
    "role, organisation, email, field, message",
    [
        ("", "OPCC", "", "role", "Enter the owner's role"),
        ("Lead", "", "", "organisation", "Enter the owner's organisation"),
        ("Lead", "OPCC", "not-an-address", "email", "in the right form"),
        ("x" * 201, "OPCC", "", "role", "200 characters or fewer"),
        ("chair,  prevention delivery group", "opcc", "", "role", "already an owner"),
    ],
)
def test_a_bad_owner_is_refused_and_nothing_is_written(
    session, plan, role, organisation, email, field, message
):
    before = (count(session, Person), count(session, Organisation), count(session, AuditEvent))
    with pytest.raises(OwnerRejected) as refused:
        add_owner(
            session=session,
            user=None,
            plan=plan,
            role=role,
            organisation=organisation,
            email=email,
        )
    assert message in refused.value.errors[field]
    after = (count(session, Person), count(session, Organisation), count(session, AuditEvent))
    assert after == before


def test_an_invitation_makes_an_account_and_mails_a_one_time_link(session, smtp_server, owner):
    account = invite_owner(session=session, user=None, person=owner, email=owner.email, today=TODAY)
    assert account.email == "community.safety@stoke.example"
    assert account.display_name == "Head of Community Safety, SoTCC"
    assert account.role == "editor" and account.person_id == owner.id
    assert account.password_hash == ""
    (message,) = smtp_server
    assert message["To"] == account.email
    token = link_in(message)
    assert read_invitation(session=session, token=token, today=TODAY).id == account.id

    accept_invitation(
        session=session, token=token, password=PASSWORD, confirm=PASSWORD, today=TODAY
    )
    assert verify_password(account.password_hash, PASSWORD)
    with pytest.raises(InvitationInvalid):  # once only
        read_invitation(session=session, token=token, today=TODAY)
    verbs = set(session.exec(select(AuditEvent.verb).where(AuditEvent.entity_id == account.id)))
    assert {"invite_user", "accept_invitation"} <= verbs


def test_the_address_typed_is_the_one_invited(session, smtp_server, plan):
    person = add_owner(session=session, user=None, plan=plan, role="Analyst", organisation="OPCC")
    account = invite_owner(
        session=session, user=None, person=person, email=" Analyst@OPCC.example ", today=TODAY
    )
    assert account.email == "analyst@opcc.example" and person.email == "analyst@opcc.example"
    assert smtp_server[0]["To"] == "analyst@opcc.example"


def test_an_invitation_not_yet_used_is_sent_again_to_the_same_account(session, smtp_server, owner):
    first = invite_owner(session=session, user=None, person=owner, email="a@b.example", today=TODAY)
    again = invite_owner(session=session, user=None, person=owner, email="", today=TODAY)
    assert again.id == first.id and len(smtp_server) == 2
    assert count(session, User, User.person_id == owner.id) == 1
    assert count(session, AuditEvent, AuditEvent.verb == "resend_invitation") == 1


def test_invitations_are_refused_for_owners_with_an_account_or_a_taken_address(
    session, smtp_server, plan, owner
):
    lead = session.exec(select(User).where(User.email == "omrr.lead@plantrack.example")).one()
    with pytest.raises(OwnerRejected, match="already has an account"):
        invite_owner(
            session=session,
            user=None,
            person=session.get(Person, lead.person_id),
            email="x@y.example",
            today=TODAY,
        )
    with pytest.raises(OwnerRejected, match="already the account of another owner"):
        invite_owner(session=session, user=None, person=owner, email=lead.email, today=TODAY)
    with pytest.raises(OwnerRejected, match="Enter the owner's e-mail"):
        person = add_owner(session=session, user=None, plan=plan, role="Clerk", organisation="OPCC")
        invite_owner(session=session, user=None, person=person, email="", today=TODAY)
    assert smtp_server == []


def test_an_unreachable_mail_server_leaves_no_account(session, monkeypatch, owner):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setattr(get_settings(), "smtp_port", closed_port)
    audited = count(session, AuditEvent)
    with pytest.raises(MailError, match="Could not send e-mail"):
        invite_owner(session=session, user=None, person=owner, email="a@b.example", today=TODAY)
    assert count(session, User, User.person_id == owner.id) == 0
    assert count(session, AuditEvent) == audited


def test_an_invitation_expires_and_a_tampered_one_does_not_work(session, smtp_server, owner):
    account = invite_owner(
        session=session, user=None, person=owner, email="a@b.example", today=TODAY
    )
    token = link_in(smtp_server[0])
    with pytest.raises(InvitationInvalid):
        read_invitation(session=session, token=token, today=TODAY + timedelta(days=8))
    user_id, expires, signature = token.split(".")
    later = (TODAY + timedelta(days=30)).isoformat()
    for forged in (f"{user_id}.{later}.{signature}", f"{user_id}.{expires}.{'0' * 64}", "x", ""):
        with pytest.raises(InvitationInvalid):
            read_invitation(session=session, token=forged, today=TODAY)
    # Signed for one account, never valid for another.
    other = session.exec(select(User).where(User.email == "admin@plantrack.example")).one()
    with pytest.raises(InvitationInvalid):
        read_invitation(
            session=session,
            token=f"{other.id}.{expires}.{signature}",
            today=TODAY,
        )
    assert read_invitation(session=session, token=token, today=TODAY).id == account.id


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(
    session, smtp_server, owner
):
    invite_owner(session=session, user=None, person=owner, email="a@b.example", today=TODAY)
    token = link_in(smtp_server[0])
    with pytest.raises(OwnerRejected) as mismatch:
        accept_invitation(
            session=session, token=token, password=PASSWORD, confirm="other", today=TODAY
        )
    assert "confirm_password" in mismatch.value.errors
    with pytest.raises(OwnerRejected) as weak:
        accept_invitation(
            session=session, token=token, password="short", confirm="short", today=TODAY
        )
    assert "new_password" in weak.value.errors
    assert read_invitation(session=session, token=token, today=TODAY).password_hash == ""


def test_an_owner_is_linked_to_an_existing_account(session, owner):
    account = User(
        email="unlinked@x.example",
        display_name="Someone",
        role="viewer",
        created_at=datetime.now(UTC),
    )
    session.add(account)
    session.flush()
    link_owner(session=session, user=None, person=owner, email="Unlinked@X.example")
    assert account.person_id == owner.id and account.role == "viewer"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "link_user")).one()
    assert event.before_json == '{"person_id": null}'
    with pytest.raises(OwnerRejected, match="already this owner's account"):
        link_owner(session=session, user=None, person=owner, email=account.email)
    with pytest.raises(OwnerRejected, match="is the account of"):
        link_owner(session=session, user=None, person=owner, email="omrr.lead@plantrack.example")
    with pytest.raises(OwnerRejected, match="no account for"):
        link_owner(session=session, user=None, person=owner, email="nobody@x.example")


def test_the_owners_page_puts_owners_without_an_account_first(session, plan, count_statements):
    with count_statements() as counted:
        page = read_owners_page(session=session, plan=plan)
    assert counted.count <= 6
    assert page.owners and page.without_account
    assert page.owners[: len(page.without_account)] == page.without_account
    leads = {row.label for row in page.owners if row.groups_led}
    assert (
        "Chair, Offender Management, Rehabilitation and Resettlement Delivery Group, NPS" in leads
    )
    omrr = next(row for row in page.owners if "Resettlement Delivery Group" in row.label)
    assert omrr.has_working_account and omrr.accounts[0].email == "omrr.lead@plantrack.example"
    assert all(row.actions_led == 0 and not row.groups_led for row in page.others)


def test_the_invitation_token_is_bound_to_the_accounts_password(session, owner, smtp_server):
    account = invite_owner(
        session=session, user=None, person=owner, email="a@b.example", today=TODAY
    )
    token = invitation_token(account, expires=TODAY)
    account.password_hash = "changed"
    with pytest.raises(InvitationInvalid):
        read_invitation(session=session, token=token, today=TODAY)
