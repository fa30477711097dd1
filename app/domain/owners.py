"""A plan's owners and their accounts: the office adds an owner (found or created through the
one Directory of app.domain.people), invites them (an account with a one-time link, e-mailed,
to set its password) or links them to an account that exists; owners without an account are
listed with what to do about it. Every change is audited.

An invitation link is signed with the secret key over the account's id, e-mail, password hash
and expiry date: it needs no table, any worker can check it, and it works once, because
setting the password changes the hash it was signed over.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.models import (
    Action,
    DeliveryGroup,
    Organisation,
    Person,
    Plan,
    Role,
    Theme,
    User,
)
from app.domain.audit import record_event
from app.domain.auth import PasswordError, find_user, normalise_email, set_password
from app.domain.mail import new_message, send_message
from app.domain.people import Directory
from app.domain.timescales import uk_date

INVITATION_DAYS = 7
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ROLE_LENGTH = Person.__table__.c.role.type.length
_ORGANISATION_LENGTH = Organisation.__table__.c.name.type.length
_EMAIL_LENGTH = Person.__table__.c.email.type.length
_DISPLAY_NAME_LENGTH = User.__table__.c.display_name.type.length


class OwnerRejected(ValueError):
    """What is wrong, by form field; nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class InvitationInvalid(Exception):
    def __init__(self) -> None:
        super().__init__(
            "This invitation link does not work: it has been used already, it has expired or "
            "it was copied incompletely. Ask the office to send it again."
        )
        self.message = str(self)


def person_label(person: Person, organisation: Organisation) -> str:
    return f"{person.role}, {organisation.short_name}"


# --- The owners page ------------------------------------------------------------------------


@dataclass
class OwnerRow:
    person: Person
    organisation: Organisation
    accounts: list[User] = field(default_factory=list)
    actions_led: int = 0  # of this plan
    groups_led: list[str] = field(default_factory=list)  # of this plan's themes

    @property
    def label(self) -> str:
        return person_label(self.person, self.organisation)

    @property
    def invited(self) -> User | None:
        """An account made by an invitation whose password is not yet set."""
        return next((u for u in self.accounts if u.is_active and not u.password_hash), None)

    @property
    def has_working_account(self) -> bool:
        return any(u.is_active and u.password_hash for u in self.accounts)


@dataclass
class OwnersPage:
    plan: Plan
    owners: list[OwnerRow]  # who leads the plan's actions or its delivery groups
    others: list[OwnerRow]  # everyone else in the directory, new owners among them
    organisations: list[Organisation]
    unlinked_accounts: list[User]  # active accounts that are nobody's, to link an owner to

    @property
    def without_account(self) -> list[OwnerRow]:
        return [row for row in self.owners if not row.has_working_account]


def _actions_led(session: Session, plan: Plan) -> dict[int, int]:
    """How many of the plan's actions each owner leads, by the owner's id."""
    return dict(
        session.exec(
            select(Action.lead_person_id, func.count())
            .where(Action.plan_id == plan.id, Action.lead_person_id.is_not(None))
            .group_by(Action.lead_person_id)
        ).all()
    )


def _groups_led(session: Session, plan: Plan) -> dict[int, list[str]]:
    """The delivery groups of the plan's themes each owner leads, by the owner's id."""
    groups: dict[int, list[str]] = {}
    for group in session.exec(
        select(DeliveryGroup)
        .join(Theme, Theme.delivery_group_id == DeliveryGroup.id)
        .where(Theme.plan_id == plan.id, DeliveryGroup.lead_person_id.is_not(None))
        .distinct()
        .order_by(DeliveryGroup.name)
    ):
        groups.setdefault(group.lead_person_id, []).append(group.name)
    return groups


def read_owners_page(*, session: Session, plan: Plan) -> OwnersPage:
    """Everything the owners page shows, in five queries whatever the directory's size."""
    organisations = {
        o.id: o for o in session.exec(select(Organisation).order_by(Organisation.name))
    }
    rows = {
        p.id: OwnerRow(person=p, organisation=organisations[p.organisation_id])
        for p in session.exec(select(Person).order_by(Person.role))
    }
    unlinked = []
    for user in session.exec(select(User).order_by(User.email)):
        if user.person_id in rows:
            rows[user.person_id].accounts.append(user)
        elif user.person_id is None and user.is_active:
            unlinked.append(user)
    for person_id, led in _actions_led(session, plan).items():
        rows[person_id].actions_led = led
    for person_id, names in _groups_led(session, plan).items():
        if person_id in rows:
            rows[person_id].groups_led.extend(names)

    def order(row: OwnerRow):
        return (row.has_working_account, row.organisation.short_name.lower(), row.person.role)

    owners = sorted((r for r in rows.values() if r.actions_led or r.groups_led), key=order)
    others = sorted((r for r in rows.values() if not (r.actions_led or r.groups_led)), key=order)
    return OwnersPage(
        plan=plan,
        owners=owners,
        others=others,
        organisations=list(organisations.values()),
        unlinked_accounts=unlinked,
    )


@dataclass(frozen=True)
class PlanOwner:
    person: Person
    organisation: Organisation
    actions_led: int
    groups_led: list[str]


def list_plan_owners(
    *, session: Session, plan: Plan, after_id: int | None, limit: int
) -> list[PlanOwner]:
    """A page of the plan's owners (who lead its actions or its themes' delivery groups), in
    the order they were added (a cursor's order), after the owner ``after_id``: three queries."""
    led, groups = _actions_led(session, plan), _groups_led(session, plan)
    query = (
        select(Person, Organisation)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .where(Person.id.in_(set(led) | set(groups)))
        .order_by(Person.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Person.id > after_id)
    return [
        PlanOwner(
            person=person,
            organisation=organisation,
            actions_led=led.get(person.id, 0),
            groups_led=groups.get(person.id, []),
        )
        for person, organisation in session.exec(query)
    ]


def new_owner(*, session: Session, person: Person) -> PlanOwner:
    """An owner just added: they lead nothing yet."""
    organisation = session.get(Organisation, person.organisation_id)
    return PlanOwner(person=person, organisation=organisation, actions_led=0, groups_led=[])


def get_person(*, session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


# --- Adding an owner ------------------------------------------------------------------------


def _email_error(email: str, *, required: bool) -> str | None:
    if not email:
        return "Enter the owner's e-mail address." if required else None
    if len(email) > _EMAIL_LENGTH or not EMAIL.fullmatch(email):
        return "Enter an e-mail address in the right form, like name@example.org."
    return None


def add_owner(
    *,
    session: Session,
    user: User | None,
    plan: Plan,
    role: str,
    organisation: str,
    email: str = "",
    actor: str | None = None,
) -> Person:
    """A new owner: a role at an organisation (created when new), with their e-mail."""
    role, organisation = " ".join(role.split()), " ".join(organisation.split())
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if not role:
        errors["role"] = "Enter the owner's role, such as Head of Community Safety."
    elif len(role) > _ROLE_LENGTH:
        errors["role"] = f"The role must be {_ROLE_LENGTH} characters or fewer."
    if not organisation:
        errors["organisation"] = "Enter the owner's organisation."
    elif len(organisation) > _ORGANISATION_LENGTH:
        errors["organisation"] = (
            f"The organisation's name must be {_ORGANISATION_LENGTH} characters or fewer."
        )
    if problem := _email_error(email, required=False):
        errors["email"] = problem
    directory = Directory(session)
    found = directory.find_organisation(organisation) if organisation else None
    if found and role and "role" not in errors and directory.find_person(found.id, role):
        errors["role"] = f"{role}, {found.short_name} is already an owner."
    if errors:
        raise OwnerRejected(errors)
    owner_organisation = directory.organisation(organisation)
    person = directory.person(owner_organisation.id, role)
    person.email = email or None
    session.add(person)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="add_owner",
        entity_type="person",
        entity_id=person.id,
        summary=f"Added {person_label(person, owner_organisation)} as an owner "
        f"(from the owners of {plan.short_title})"
        + (", a new organisation" if found is None else ""),
        after={
            "role": person.role,
            "organisation": owner_organisation.name,
            "email": person.email,
            "new_organisation": found is None,
        },
    )
    return person


# --- Invitations ----------------------------------------------------------------------------


def _signature(user: User, expires: date) -> str:
    key = get_settings().secret_key.encode()
    message = f"invitation:{user.id}:{user.email}:{user.password_hash}:{expires.isoformat()}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def invitation_token(user: User, *, expires: date) -> str:
    return f"{user.id}.{expires.isoformat()}.{_signature(user, expires)}"


def read_invitation(*, session: Session, token: str, today: date) -> User:
    """The account an invitation link is for, or InvitationInvalid."""
    user_id, _, rest = token.partition(".")
    expires_text, _, signature = rest.partition(".")
    try:
        user = session.get(User, int(user_id))
        expires = date.fromisoformat(expires_text)
    except ValueError:
        raise InvitationInvalid() from None
    if (
        user is None
        or not user.is_active
        or expires < today
        or not hmac.compare_digest(signature, _signature(user, expires))
    ):
        raise InvitationInvalid()
    return user


def _invitation_message(*, account: User, person: Person, token: str, expires: date):
    settings = get_settings()
    return new_message(
        to=account.email,
        subject="You are invited to plantrack: set your password",
        body=f"Dear {account.display_name},\n\n"
        "The commissioner's office has made you an account on plantrack, where you keep the "
        f"status of the actions you lead as {person.role} up to date before each board "
        "meeting.\n\n"
        f"Choose your password here (the link works once, until {uk_date(expires)}):\n\n"
        f"{settings.base_url}/invitation/{token}\n\n"
        f"Then sign in at {settings.base_url}/sign-in with {account.email}.\n\n"
        "If you did not expect this, ignore it: nothing happens until the link is used.\n",
    )


def invite_owner(
    *,
    session: Session,
    user: User | None,
    person: Person,
    email: str,
    today: date,
    actor: str | None = None,
) -> User:
    """Make the owner an editor's account and e-mail them a one-time link to set its password;
    an account invited before and not yet used is sent a new link. MailError when the mail
    server cannot take it: then nothing is written."""
    organisation = session.get(Organisation, person.organisation_id)
    accounts = list(session.exec(select(User).where(User.person_id == person.id)))
    pending = next((a for a in accounts if a.is_active and not a.password_hash), None)
    email = normalise_email(email) if pending is None else pending.email
    if any(a.is_active and a.password_hash for a in accounts):
        raise OwnerRejected({"email": f"{person.role} already has an account: nobody to invite."})
    if pending is None:
        if problem := _email_error(email, required=True):
            raise OwnerRejected({"email": problem})
        if existing := find_user(session=session, email=email):
            raise OwnerRejected(
                {
                    "email": f"There is already an account for {email}: link the owner to it "
                    "instead."
                    if existing.person_id is None
                    else f"{email} is already the account of another owner."
                }
            )
    expires = today + timedelta(days=INVITATION_DAYS)
    # A savepoint: if the mail server refuses, the account and the audit event go with it.
    with session.begin_nested():
        account = pending or User(
            email=email,
            display_name=person_label(person, organisation)[:_DISPLAY_NAME_LENGTH],
            role=Role.editor,
            person_id=person.id,
            password_hash="",
            created_at=datetime.now(UTC),
        )
        session.add(account)
        if not person.email:
            person.email = email
            session.add(person)
        session.flush()
        record_event(
            session,
            user=user,
            actor=actor,
            verb="resend_invitation" if pending else "invite_user",
            entity_type="user",
            entity_id=account.id,
            summary=f"{'Sent again the invitation of' if pending else 'Invited'} "
            f"{person_label(person, organisation)} as {account.email}",
            after={"email": account.email, "role": account.role, "person_id": person.id},
        )
        token = invitation_token(account, expires=expires)
        send_message(
            _invitation_message(account=account, person=person, token=token, expires=expires)
        )
    return account


def link_owner(
    *, session: Session, user: User | None, person: Person, email: str, actor: str | None = None
) -> User:
    """Link the owner to an account that exists (it keeps its role)."""
    email = normalise_email(email)
    if not email:
        raise OwnerRejected({"email": "Choose the account to link the owner to."})
    account = find_user(session=session, email=email)
    if account is None:
        raise OwnerRejected({"email": f"There is no account for {email}."})
    if account.person_id == person.id:
        raise OwnerRejected({"email": f"{email} is already this owner's account."})
    if account.person_id is not None:
        other = session.get(Person, account.person_id)
        raise OwnerRejected({"email": f"{email} is the account of {other.role}: choose another."})
    organisation = session.get(Organisation, person.organisation_id)
    account.person_id = person.id
    session.add(account)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="link_user",
        entity_type="user",
        entity_id=account.id,
        summary=f"Linked {email} to the owner {person_label(person, organisation)}",
        before={"person_id": None},
        after={"person_id": person.id},
    )
    return account


def accept_invitation(
    *, session: Session, token: str, password: str, confirm: str, today: date
) -> User:
    """The invited owner chooses their password: InvitationInvalid, or OwnerRejected by field."""
    account = read_invitation(session=session, token=token, today=today)
    if password != confirm:
        raise OwnerRejected({"confirm_password": "The passwords do not match."})
    try:
        set_password(session, user=account, password=password)
    except PasswordError as error:
        raise OwnerRejected({"new_password": str(error)}) from None
    record_event(
        session,
        user=account,
        verb="accept_invitation",
        entity_type="user",
        entity_id=account.id,
        summary=f"{account.email} set their password from an invitation",
    )
    return account
