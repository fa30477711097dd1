"""plantrack user create/disable/set-password/scope: accounts, each change audited."""

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlmodel import Session

from app.cli.common import fail, open_session
from app.core.models import Role, User
from app.core.passwords import hash_password
from app.domain.access import ScopeRejected, set_board_scope
from app.domain.audit import record_event
from app.domain.auth import (
    PasswordError,
    check_new_password,
    find_user,
    normalise_email,
    revoke_all_sessions,
    set_password,
)
from app.domain.people import Directory

user_app = typer.Typer(
    no_args_is_help=True, help="Accounts: create, disable, set a password, limit to boards."
)


def _read_new_password(password: str | None) -> str:
    if password is not None:
        return password
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


def _user_or_fail(session: Session, email: str) -> User:
    user = find_user(session=session, email=email)
    if user is None:
        fail(f"no account for {email}", code=2)
    return user


@user_app.command("create")
def user_create(
    email: str,
    name: Annotated[
        str, typer.Option("--name", help="Display name (a role, e.g. 'OMCDB member').")
    ],
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")] = "viewer",
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Short name of the user's organisation.")
    ] = None,
    lead_role: Annotated[
        str | None,
        typer.Option("--lead-role", help="The role they hold there (links their actions)."),
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Omit to be prompted (or read from stdin).")
    ] = None,
) -> None:
    """Create an account."""
    if role not in {r.value for r in Role}:
        fail(f"'{role}' is not a role: choose admin, editor or viewer", code=2)
    email = normalise_email(email)
    if "@" not in email:
        fail(f"'{email}' is not an e-mail address", code=2)
    secret = _read_new_password(password)
    try:
        check_new_password(secret, email=email)
    except PasswordError as error:
        fail(str(error), code=2)
    with open_session() as session:
        if find_user(session=session, email=email):
            fail(f"an account for {email} already exists", code=2)
        person_id = None
        if organisation or lead_role:
            if not (organisation and lead_role):
                fail("give both --organisation and --lead-role, or neither", code=2)
            directory = Directory(session)
            org = directory.find_organisation(organisation)
            if org is None:
                fail(f"no organisation with short name '{organisation}'", code=2)
            person_id = directory.person(org.id, lead_role).id
        user = User(
            email=email,
            display_name=name,
            role=role,
            person_id=person_id,
            password_hash=hash_password(secret),
            created_at=datetime.now(UTC),
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            user=None,
            actor="plantrack user create",
            verb="create_user",
            entity_type="user",
            entity_id=user.id,
            summary=f"Created {email} ({role})",
            after={"email": email, "role": role, "display_name": name},
        )
        session.commit()
    typer.echo(f"Created {role} {email}")


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable an account and end its sessions at once."""
    with open_session() as session:
        user = _user_or_fail(session, email)
        user.is_active = False
        session.add(user)
        revoke_all_sessions(session, user_id=user.id)
        record_event(
            session,
            user=None,
            actor="plantrack user disable",
            verb="disable_user",
            entity_type="user",
            entity_id=user.id,
            summary=f"Disabled {user.email}",
            before={"is_active": True},
            after={"is_active": False},
        )
        session.commit()
    typer.echo(f"Disabled {email}; its sessions have ended.")


@user_app.command("set-password")
def user_set_password(
    email: str,
    password: Annotated[
        str | None, typer.Option("--password", help="Omit to be prompted (or read from stdin).")
    ] = None,
) -> None:
    """Set an account's password; its sessions end."""
    secret = _read_new_password(password)
    with open_session() as session:
        user = _user_or_fail(session, email)
        try:
            set_password(session, user=user, password=secret)
        except PasswordError as error:
            fail(str(error), code=2)
        record_event(
            session,
            user=None,
            actor="plantrack user set-password",
            verb="set_password",
            entity_type="user",
            entity_id=user.id,
            summary=f"Set the password of {user.email}",
        )
        session.commit()
    typer.echo(f"Password set for {email}; its sessions have ended.")


@user_app.command("scope")
def user_scope(
    email: str,
    board: Annotated[
        list[str] | None,
        typer.Option("--board", help="A board's short name; repeat for several."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Remove the limit: the account reads every plan.")
    ] = False,
) -> None:
    """Limit a viewer or an editor to the plans of some boards (--board, repeated), or remove
    the limit (--clear). Audited."""
    boards = board or []
    if bool(boards) == clear:
        fail("give --board SHORT_NAME (one or more) or --clear, not both and not neither", code=2)
    with open_session() as session:
        user = _user_or_fail(session, email)
        try:
            chosen = set_board_scope(
                session,
                user=user,
                board_short_names=boards,
                by=None,
                actor="plantrack user scope",
            )
        except ScopeRejected as error:
            fail(error.errors["boards"], code=2)
        names = ", ".join(b.short_name for b in chosen)
        account = user.email
        session.commit()
    if names:
        typer.echo(f"{account} now reads only the plans of {names}.")
    else:
        typer.echo(f"{account} now reads every plan.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
