"""plantrack db upgrade/downgrade, seed and serve: the database, the demo data, the server."""

from typing import Annotated

import typer
import uvicorn
from alembic import command
from sqlalchemy.engine import make_url

from app.cli.common import fail, open_session
from app.core.config import get_settings
from app.core.migrations import alembic_config
from app.domain.seed import SeedError, database_is_empty, load_seed

db_app = typer.Typer(no_args_is_help=True, help="Create or change the database schema.")


def _safe_url() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations (the only way the schema is made)."""
    command.upgrade(alembic_config(), revision)
    typer.echo(f"Database at {revision}: {_safe_url()}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(...)) -> None:
    """Revert migrations down to REVISION ('base' removes every table)."""
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
) -> None:
    """Serve the web app with uvicorn (run `plantrack db upgrade` first)."""
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("seed")(seed)
    app.command("serve")(serve)
