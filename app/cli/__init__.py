"""The plantrack command: database, demo data, server, figures and reports."""

import typer

from app.cli import boards, data, db, plans, reports, tokens, users, worker

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
for area in (db, users, reports, worker, data, plans, boards, tokens):
    area.register(app)


def main() -> None:
    app()
