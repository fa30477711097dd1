"""The plantrack command: database, demo data, server, figures and reports."""

import json
import sys
from datetime import date
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import get_engine
from app.core.migrations import alembic_config
from app.core.models import Plan
from app.domain.progress import get_plan, progress_as_at

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
db_app = typer.Typer(no_args_is_help=True, help="Create or change the database schema.")
app.add_typer(db_app, name="db")
user_app = typer.Typer(no_args_is_help=True, help="Accounts: create, disable, set a password.")
app.add_typer(user_app, name="user")
report_app = typer.Typer(no_args_is_help=True, help="Produce reports in any format.")
app.add_typer(report_app, name="report")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def parse_iso_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


AsAtOption = Annotated[
    str | None,
    typer.Option(
        "--as-at", help="Date the figures are computed as at (YYYY-MM-DD); default today."
    ),
]


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations (the only way the schema is made)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _session() -> Session:
    return Session(get_engine())


@app.command()
def seed(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into a database with no plans.")
    ] = False,
) -> None:
    """Load the demo data from seed_data/ (idempotent: existing rows are left alone)."""
    from app.domain.seed import SeedError, database_is_empty, load_seed

    with _session() as session:
        if if_empty and not database_is_empty(session):
            typer.echo("Database already holds plans: demo data not loaded.")
            return
        try:
            created = load_seed(session)
        except SeedError as error:
            session.rollback()
            fail(f"seed data not loaded, nothing was written: {error}")
        session.commit()
    if created:
        typer.echo("Loaded: " + ", ".join(f"{n} {what}" for what, n in created.items()))
    else:
        typer.echo("Demo data already loaded: nothing to do.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Serve the web app with uvicorn (run `plantrack db upgrade` first)."""
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


@app.command()
def progress(
    plan: Annotated[str, typer.Option("--plan", help="The plan's slug.")],
    as_at: AsAtOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A plan's progress as at a date: totals, stages, overdue and the headline."""
    as_at_date = parse_iso_date(as_at) or date.today()
    with _session() as session:
        found = _plan_or_fail(session, plan)
        result = progress_as_at(session=session, plan=found, as_at=as_at_date)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    typer.echo(result.headline)
    for theme in result.by_theme:
        typer.echo(
            f"  {theme.title}: {theme.complete} of {theme.scheduled} scheduled complete"
            + (f" ({theme.percent_complete}%)" if theme.percent_complete is not None else "")
        )


@report_app.command("appendix")
def report_appendix(
    plan: Annotated[str, typer.Option("--plan", help="The plan's slug.")],
    report_format: Annotated[
        str, typer.Option("--format", help="html, pdf, docx, xlsx, csv or json.")
    ] = "html",
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="File to write; stdout if omitted.")
    ] = None,
    as_at: AsAtOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Changes since this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """The Progress Tracking appendix of a plan as at a date."""
    from pathlib import Path

    from app.domain.as_at import default_as_at
    from app.reports.appendix import build_appendix
    from app.reports.formats import FORMATS

    if report_format not in FORMATS:
        raise typer.BadParameter(
            f"'{report_format}' is not a format; choose from {', '.join(FORMATS)}",
            param_hint="--format",
        )
    chosen = FORMATS[report_format]
    if output is None and not chosen.is_text:
        fail(f"{report_format} is a binary format: give a file with -o", code=2)
    as_at_date = parse_iso_date(as_at)
    since_date = parse_iso_date(since)
    with _session() as session:
        found = _plan_or_fail(session, plan)
        as_at_date = as_at_date or default_as_at(found)
        if since_date is not None and since_date >= as_at_date:
            fail("--since must be before --as-at", code=2)
        report = build_appendix(session, found, as_at_date, since=since_date)
    content = chosen.render(report)
    if output is None:
        sys.stdout.write(content.decode("utf-8"))
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_bytes(content)
        partial.replace(target)  # never leave a half-written report behind
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"could not write {output}: {error.strerror}")
    typer.echo(f"Wrote {output} ({len(content):,} bytes)", err=True)


def _read_new_password(password: str | None) -> str:
    if password is not None:
        return password
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


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
    from datetime import UTC, datetime

    from app.core.models import Organisation, Person, Role, User
    from app.core.passwords import hash_password
    from app.domain.audit import record_event
    from app.domain.auth import PasswordError, check_password_rules, normalise_email

    if role not in {r.value for r in Role}:
        fail(f"'{role}' is not a role: choose admin, editor or viewer", code=2)
    email = normalise_email(email)
    if "@" not in email:
        fail(f"'{email}' is not an e-mail address", code=2)
    secret = _read_new_password(password)
    try:
        check_password_rules(secret)
    except PasswordError as error:
        fail(str(error), code=2)
    with _session() as session:
        if session.exec(select(User).where(User.email == email)).first():
            fail(f"an account for {email} already exists", code=2)
        person_id = None
        if organisation or lead_role:
            if not (organisation and lead_role):
                fail("give both --organisation and --lead-role, or neither", code=2)
            org = session.exec(
                select(Organisation).where(Organisation.short_name == organisation)
            ).first()
            if org is None:
                fail(f"no organisation with short name '{organisation}'", code=2)
            person = session.exec(
                select(Person).where(Person.organisation_id == org.id, Person.role == lead_role)
            ).first()
            if person is None:
                person = Person(organisation_id=org.id, role=lead_role)
                session.add(person)
                session.flush()
            person_id = person.id
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


def _user_or_fail(session: Session, email: str):
    from app.core.models import User
    from app.domain.auth import normalise_email

    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        fail(f"no account for {email}", code=2)
    return user


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable an account and end its sessions at once."""
    from app.domain.audit import record_event
    from app.domain.auth import revoke_all_sessions

    with _session() as session:
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
    from app.domain.audit import record_event
    from app.domain.auth import PasswordError, set_password

    secret = _read_new_password(password)
    with _session() as session:
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


@app.command()
def reminders(
    plan: Annotated[str, typer.Option("--plan", help="The plan's slug.")],
) -> None:
    """E-mail owners whose updates are missing for the plan's board's next meeting (idempotent:
    run it from the system scheduler as often as you like)."""
    from app.domain.cycle import cycle_for_meeting, next_meeting
    from app.domain.reminders import ReminderError, send_reminders

    with _session() as session:
        found = _plan_or_fail(session, plan)
        meeting = (
            next_meeting(session, board_id=found.board_id, today=date.today())
            if found.board_id
            else None
        )
        if meeting is None:
            fail(f"{plan} has no board meetings to remind owners of", code=2)
        try:
            result = send_reminders(
                session, plan=found, cycle=cycle_for_meeting(session, meeting=meeting)
            )
        except ReminderError as error:
            fail(str(error))
    typer.echo(f"Sent {len(result.sent)} reminders; {len(result.already_sent)} already sent.")


def _plan_or_fail(session: Session, slug: str) -> Plan:
    try:
        found = get_plan(session=session, slug=slug)
    except (OperationalError, ProgrammingError):
        fail("the database has no plantrack tables: run `plantrack db upgrade` first")
    if found is None:
        known = ", ".join(session.exec(select(Plan.slug).order_by(Plan.slug)).all()) or "none"
        fail(f"no plan with slug '{slug}' (known plans: {known})", code=2)
    return found


def _register_data_commands() -> None:
    # plan refresh, import actions/template, export, import-backup, backup: app/cli_data.py
    from app.cli.data import register

    register(app)


_register_data_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
