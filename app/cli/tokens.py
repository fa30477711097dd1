"""plantrack token create/list/revoke: API tokens for people and services (shown once)."""

from typing import Annotated

import typer

from app.cli.common import fail, open_session
from app.domain.tokens import TokenNotFound, TokenRejected, create_token, list_tokens, revoke_token

token_app = typer.Typer(no_args_is_help=True, help="API tokens: create (shown once), list, revoke.")

OPTION_OF_FIELD = {
    "name": "--name",
    "holder": "--user/--service",
    "scope": "--scope",
    "expires_in": "--expires-in",
    "plans": "--plan",
}


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="Unique, e.g. power-bi-refresh.")],
    scope: Annotated[str, typer.Option("--scope", help="read, or write (read and write).")],
    expires_in: Annotated[
        int, typer.Option("--expires-in", help="Days until it expires (1 to 365).")
    ],
    plan: Annotated[
        list[str] | None,
        typer.Option("--plan", help="Restrict to this plan (slug); repeat for more."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="The e-mail of the person who holds it.")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="The service that holds it (default: NAME).")
    ] = None,
) -> None:
    """Create a token and print it once: it cannot be shown again."""
    if user is None and service is None:
        service = name
    with open_session() as session:
        try:
            created = create_token(
                session,
                name=name,
                scope=scope,
                expires_in_days=expires_in,
                person_email=user,
                service=service,
                plan_slugs=plan or [],
                created_by=None,
            )
        except TokenRejected as rejected:
            fail(
                "; ".join(
                    f"{OPTION_OF_FIELD[field]}: {message}"
                    for field, message in rejected.errors.items()
                ),
                code=2,
            )
        session.commit()
        expires = created.token.expires_at.date().isoformat()
    typer.echo(created.secret)
    typer.echo(
        f"Token {name} ({scope}) expires on {expires}. Copy it now: it is not stored and "
        "cannot be shown again.",
        err=True,
    )


@token_app.command("list")
def token_list() -> None:
    """Every token: name, holder, scope, plans, expiry, last use, state (never the secret)."""
    with open_session() as session:
        rows = list_tokens(session)
    if not rows:
        typer.echo("No tokens.")
        return
    for row in rows:
        token = row.token
        typer.echo(
            "\t".join(
                [
                    token.name,
                    row.holder,
                    token.scope,
                    ",".join(row.plans) or "all plans",
                    f"expires {token.expires_at.date().isoformat()}",
                    "last used "
                    + (token.last_used_at.date().isoformat() if token.last_used_at else "never"),
                    row.state,
                ]
            )
        )


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke a token at once."""
    with open_session() as session:
        try:
            revoke_token(session, name=name, by=None)
        except TokenNotFound as missing:
            fail(missing.message, code=2)
        session.commit()
    typer.echo(f"Revoked {name}.")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
