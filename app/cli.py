"""The plantrack command: database, demo data, server, figures and reports."""

import json
import sys
from datetime import date
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

from app.config import PROJECT_ROOT, get_settings
from app.db import get_engine
from app.domain.progress import get_plan, progress_as_at
from app.models import Plan

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
db_app = typer.Typer(no_args_is_help=True, help="Create or change the database schema.")
app.add_typer(db_app, name="db")
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


def alembic_config():
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


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
    from app.seed import SeedError, database_is_empty, load_seed

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

    from app.domain.progress import default_as_at
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


def _plan_or_fail(session: Session, slug: str) -> Plan:
    try:
        found = get_plan(session=session, slug=slug)
    except (OperationalError, ProgrammingError):
        fail("the database has no plantrack tables: run `plantrack db upgrade` first")
    if found is None:
        known = ", ".join(session.exec(select(Plan.slug).order_by(Plan.slug)).all()) or "none"
        fail(f"no plan with slug '{slug}' (known plans: {known})", code=2)
    return found


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
