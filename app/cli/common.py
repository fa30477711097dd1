"""What every plantrack command shares: one way to fail, a session, dates and plans."""

from datetime import date
from typing import NoReturn

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from app.core.db import get_engine
from app.core.models import Plan
from app.domain.as_at import AsAtError, ReportDates, resolve_dates
from app.domain.plans import plan_slugs
from app.domain.progress import get_plan


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line, "Error: ...", to stderr and exit with ``code`` (2: the input was wrong)."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def open_session() -> Session:
    return Session(get_engine())


def parse_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's date (None when the option was not given)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: '{value}' is not a date in the form YYYY-MM-DD", code=2)


def plan_or_fail(session: Session, slug: str) -> Plan:
    try:
        found = get_plan(session=session, slug=slug)
    except (OperationalError, ProgrammingError):
        fail("the database has no plantrack tables: run `plantrack db upgrade` first")
    if found is None:
        known = ", ".join(plan_slugs(session=session)) or "none"
        fail(f"no plan with slug '{slug}' (known plans: {known})", code=2)
    return found


def dates_or_fail(plan: Plan, *, as_at: date | None, since: date | None = None) -> ReportDates:
    """The plan's as-at date by the one rule (app/domain/as_at.py), and the checked "since"."""
    try:
        return resolve_dates(plan, as_at=as_at, since=since)
    except AsAtError as error:
        fail(error.message, code=2)
