"""plantrack db upgrade/downgrade, seed and serve: the database, the demo data, the server."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from alembic import command
from sqlalchemy.engine import make_url

from app.cli.common import fail, open_session
from app.cli.worker import exit_on_sigterm, start_worker, stop_worker
from app.core.config import get_settings
from app.core.db import make_engine
from app.core.migrations import alembic_config
from app.domain.backup import BackupError, backup_sqlite, rows_held
from app.domain.seed import SeedError, database_is_empty, load_seed

# A downgrade may drop tables: one that holds rows of any of these needs --yes.
GUARDED_TABLES = ("plan", "status_update", "audit_event", "published_report", "user")

db_app = typer.Typer(no_args_is_help=True, help="Create or change the database schema.")


def _safe_url() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations (the only way the schema is made)."""
    command.upgrade(alembic_config(), revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")


def _rows_held(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return rows_held(engine, GUARDED_TABLES)
    finally:
        engine.dispose()


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _back_up_before_downgrade(database: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = database.with_name(f"{database.stem}-before-downgrade-{stamp}{database.suffix}")
    if target.exists():
        fail(f"{target} already exists: nothing was changed, run the downgrade again")
    try:
        backup_sqlite(database, target, busy_timeout_ms=get_settings().sqlite_busy_timeout_ms)
    except BackupError as error:
        fail(f"the backup before the downgrade failed, nothing was changed: {error}")
    return target


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(...),
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Downgrade a database that holds data (on SQLite a backup is taken first).",
        ),
    ] = False,
) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
    url = get_settings().database_url
    held = _rows_held(url)
    database = _sqlite_file(url)
    if held and not yes:
        listed = ", ".join(f"{name} ({count} rows)" for name, count in held.items())
        backup = "a backup is taken first" if database else "back it up with pg_dump first"
        fail(
            f"the database holds data ({listed}) that downgrading to {revision} may drop: "
            f"nothing was changed; run again with --yes ({backup})",
            code=2,
        )
    if held and database is not None:
        target = _back_up_before_downgrade(database)
        typer.echo(f"Backed up the database to {target} before downgrading.")
    command.downgrade(alembic_config(), revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")


def seed(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into a database with no plans.")
    ] = False,
) -> None:
    """Load the demo data from seed_data/ (idempotent: existing rows are left alone)."""
    with open_session() as session:
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


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
    report_worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Start a `plantrack worker` of its own for report files (default "
            "PLANTRACK_SERVE_WORKER, true); --no-worker where workers run separately.",
        ),
    ] = None,
) -> None:
    """Serve the web app with uvicorn (run `plantrack db upgrade` first), and a worker process
    that makes its PDF and Word files, stopped when the server stops."""
    if report_worker is not None:
        get_settings().serve_worker = report_worker
    process = start_worker()
    exit_on_sigterm()
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            proxy_headers=False,  # X-Forwarded-For is read by the app: PLANTRACK_TRUSTED_PROXIES
        )
    finally:
        stop_worker(process)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("seed")(seed)
    app.command("serve")(serve)
