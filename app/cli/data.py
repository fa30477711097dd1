"""plantrack plan refresh, import actions/template, export, import-backup and backup: the commands
that move data in and out."""

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.cli.common import fail, open_session, parse_date, plan_or_fail
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.files import write_atomically
from app.domain.backup import (
    BackupError,
    backup_sqlite,
    export_all,
    import_backup,
    read_json,
    write_json,
)
from app.domain.refresh import NewTheme, RefreshError, apply_refresh, plan_refresh
from app.imports import (
    FIELDS,
    ImportChoices,
    ImportFileError,
    ImportRefused,
    apply_import,
    field_named,
    import_template_xlsx,
    plan_import,
    propose_mapping,
    read_table,
)
from app.imports.indicator_values import MAX_BYTES, apply_values, parse_values_csv
from app.imports.values import ValueProblem, read_choice, status_key

plan_app = typer.Typer(no_args_is_help=True, help="Create, refresh, close and reopen plans.")
import_app = typer.Typer(
    no_args_is_help=True,
    help="Import a plan's actions from a spreadsheet, or indicator values from a CSV file.",
)


def _pairs(values: list[str], option: str, *, allow_empty_right: bool) -> dict[str, str | None]:
    pairs: dict[str, str | None] = {}
    for value in values:
        left, equals, right = value.partition("=")
        left, right = left.strip(), right.strip()
        if not equals or not left or (not right and not allow_empty_right):
            fail(f"{option} '{value}' should be of the form LEFT=RIGHT", code=2)
        pairs[left] = right or None
    return pairs


# --- plantrack plan refresh ---------------------------------------------------------------------


@plan_app.command("refresh")
def refresh(
    source: Annotated[str, typer.Option("--from", help="Slug of the plan being refreshed.")],
    new_slug: Annotated[str, typer.Option("--to", help="Slug of the successor plan.")],
    title: Annotated[str, typer.Option("--title", help="The successor's title.")],
    start: Annotated[str, typer.Option("--start", help="Its period start (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Its period end (YYYY-MM-DD).")],
    theme: Annotated[
        list[str], typer.Option("--theme", help="A theme of the successor, in order (repeat).")
    ],
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="OLD THEME=NEW THEME; 'OLD THEME=' retires it (repeat)."),
    ] = None,
    retire: Annotated[
        list[str] | None, typer.Option("--retire", help="An old theme not carried on (repeat).")
    ] = None,
    split: Annotated[
        list[str] | None,
        typer.Option("--action", help="REF=NEW THEME for one action, overriding --map (repeat)."),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--delivery-group", help="NEW THEME=DELIVERY GROUP name (repeat)."),
    ] = None,
    short_title: Annotated[
        str | None, typer.Option("--short-title", help="Short title; default the title.")
    ] = None,
    refresh_date: Annotated[
        str | None,
        typer.Option("--date", help="Date the refresh takes effect (YYYY-MM-DD); default --start."),
    ] = None,
    due_rule: Annotated[
        str | None,
        typer.Option(
            "--due-rule",
            help="New due dates of the carried actions: first-year (the end of the new plan's "
            "first year), period-end (the end of its period) or keep (each action's own date, "
            "where it has not passed by the refresh date).",
        ),
    ] = None,
    due: Annotated[
        list[str] | None,
        typer.Option("--due", help="REF=YYYY-MM-DD: one carried action's new due date (repeat)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Preview; write nothing.")] = False,
) -> None:
    """Create a plan's successor and carry its outstanding actions forward, each with a new due
    date (--due-rule, or --due for each)."""
    period_start, period_end = parse_date(start, "--start"), parse_date(end, "--end")
    given = [value.partition("=")[0].strip() for value in due or []]
    twice = sorted({ref for ref in given if given.count(ref) > 1})
    if twice:
        fail(f"--due gives action {twice[0]} twice", code=2)
    due_dates = {
        ref: parse_date(value, f"--due {ref}")
        for ref, value in _pairs(due or [], "--due", allow_empty_right=False).items()
    }
    effective = parse_date(refresh_date, "--date") or period_start
    theme_mapping = _pairs(mapping or [], "--map", allow_empty_right=True)
    for old in retire or []:
        theme_mapping[old.strip()] = None
    overrides = _pairs(split or [], "--action", allow_empty_right=True)
    groups = _pairs(group or [], "--delivery-group", allow_empty_right=False)
    unknown = sorted(set(groups) - {t.strip() for t in theme})
    if unknown:
        fail(f"--delivery-group names '{unknown[0]}', which is not a --theme", code=2)
    with open_session() as session:
        found = plan_or_fail(session, source)
        try:
            preview = plan_refresh(
                session,
                source=found,
                new_slug=new_slug,
                title=title,
                short_title=short_title or title[:120],
                period_start=period_start,
                period_end=period_end,
                themes=[NewTheme(t.strip(), groups.get(t.strip())) for t in theme],
                theme_mapping=theme_mapping,
                action_overrides=overrides,
                refresh_date=effective,
                due_rule=due_rule,
                due_dates=due_dates,
            )
        except RefreshError as error:
            options = ""
            if error.field == "due_dates":
                options = " (--due-rule first-year|period-end|keep; --due REF=YYYY-MM-DD)"
            fail(f"{error}{options}", code=2)
        typer.echo("\n".join(preview.describe()))
        if dry_run:
            typer.echo("Dry run: nothing was written.")
            return
        if preview.changes_nothing:
            typer.echo("Nothing to do: the refresh has already been made.")
            return
        try:
            apply_refresh(session, preview)
        except RefreshError as error:
            session.rollback()
            fail(f"{error}; nothing was written", code=2)
        session.commit()
    typer.echo(f"Refreshed: {len(preview.carried)} actions carried forward into {new_slug}.")


# --- plantrack import actions / template --------------------------------------------------------


@import_app.command("actions")
def import_actions(
    file: Annotated[Path, typer.Argument(help="The .xlsx or .csv file.")],
    plan: Annotated[str, typer.Option("--plan", help="Slug of the plan to import into.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Preview; write nothing.")] = False,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            help="HEADER=FIELD to change the proposed mapping ('HEADER=' leaves it out).",
        ),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            help="Date imported statuses took effect (YYYY-MM-DD), for rows without a date of "
            "their own ('--column \"Last updated=effective\"'); needed if no column gives one.",
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="WORD=STAGE[:RATING]: what a status or RAG word means, such as "
            "'Slipped=in_progress:amber' or 'Closed=complete' (repeat).",
        ),
    ] = None,
    corrective_action: Annotated[
        list[str] | None,
        typer.Option(
            "--corrective-action", help="REF=TEXT: the corrective action of a Red row (repeat)."
        ),
    ] = None,
    corrective_from_update: Annotated[
        bool,
        typer.Option(
            "--corrective-from-update",
            help="Take a Red row's corrective action from 'corrective action: ...' in its "
            "update, as the preview proposes.",
        ),
    ] = False,
    formula_text: Annotated[
        bool,
        typer.Option(
            "--formula-text",
            help="Read a formula Excel never calculated as its text, =EDATE(...).",
        ),
    ] = False,
) -> None:
    """Import actions (matched by ref) with their latest status: validate, preview, write."""
    effective_on = parse_date(effective, "--effective")
    status_mapping = {}
    for word, choice in _pairs(status or [], "--status", allow_empty_right=False).items():
        try:
            status_mapping[status_key(word)] = read_choice(choice)
        except ValueProblem as problem:
            fail(f"--status {word}={choice}: {problem}", code=2)
    choices = ImportChoices(
        effective_on=effective_on,
        status_mapping=status_mapping,
        corrective_actions=_pairs(
            corrective_action or [], "--corrective-action", allow_empty_right=False
        ),
        corrective_from_update=corrective_from_update,
        formula_text=formula_text,
    )
    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"could not read {file}: {error.strerror}", code=2)
    try:
        table = read_table(file.name, data)
    except ImportFileError as error:
        fail(str(error), code=2)
    mapping = propose_mapping(table.headers)
    for header, field in _pairs(column or [], "--column", allow_empty_right=True).items():
        matches = [i for i, h in enumerate(table.headers) if h.lower() == header.lower()]
        if not matches:
            fail(f"--column: the file has no column '{header}'", code=2)
        mapping = {name: index for name, index in mapping.items() if index != matches[0]}
        if field is not None:
            name = field_named(field)
            if name is None:
                fail(f"--column: '{field}' is not one of {', '.join(FIELDS.values())}", code=2)
            mapping[name] = matches[0]
    with open_session() as session:
        found = plan_or_fail(session, plan)
        preview = plan_import(session, plan=found, table=table, mapping=mapping, choices=choices)
        typer.echo("\n".join(preview.describe()))
        if preview.errors:
            fail(f"{len(preview.errors)} problems found: nothing was imported", code=2)
        if dry_run:
            typer.echo("Dry run: nothing was written.")
            return
        if preview.changes_nothing:
            typer.echo("Nothing to import: the plan already matches the file.")
            return
        try:
            result = apply_import(session, preview)
        except ImportRefused as error:
            session.rollback()
            fail(str(error), code=2)
        session.commit()
    typer.echo(
        f"Imported: {result.created} actions created, {result.updated} updated, "
        f"{result.status_updates} status updates recorded."
    )


@import_app.command("values")
def import_values(
    file: Annotated[
        Path,
        typer.Argument(
            help="The CSV file: indicator, period, period_end, value, published (or 'Date "
            "published'; blank: today), note."
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check; write nothing.")] = False,
) -> None:
    """Import outcome indicator values, each with the date it was published: every row is
    checked, and nothing is written unless all pass."""
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        fail(f"could not read {file}: {error.strerror}", code=2)
    with open_session() as session:
        rows, errors = parse_values_csv(session, data)
        if errors:
            typer.echo("\n".join(errors))
            fail(f"{file.name}: nothing was imported", code=2)
        for row in rows:
            typer.echo(
                f"row {row.row}: {row.key}, {row.period_label} (period ending "
                f"{row.period_end.isoformat()}, published {row.published_on.isoformat()})"
            )
        if dry_run:
            typer.echo("Dry run: nothing was written.")
            return
        apply_values(session, rows, None)
        session.commit()
    typer.echo(f"Imported {len(rows)} values.")


@import_app.command("template")
def import_template(
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx file to write.")],
) -> None:
    """Write the spreadsheet template for importing actions."""
    content = import_template_xlsx()
    try:
        write_atomically(output, content)
    except OSError as error:
        fail(f"could not write {output}: {error.strerror}")
    typer.echo(f"Wrote {output} ({len(content):,} bytes)", err=True)


# --- plantrack export / import-backup / backup --------------------------------------------------


def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The .json file to write.")],
    everything: Annotated[
        bool, typer.Option("--all", help="Every table (the only export so far).")
    ] = False,
    include_password_hashes: Annotated[
        bool,
        typer.Option(
            "--include-password-hashes",
            help="Keep users' password hashes, so a restore keeps their passwords.",
        ),
    ] = False,
) -> None:
    """Export the whole database as JSON (users without password hashes unless asked)."""
    if not everything:
        fail("give --all: a whole-database export is the only kind so far", code=2)
    engine = get_engine()
    try:
        with engine.connect() as connection, connection.begin():
            # One snapshot for every table, whatever is written meanwhile (on SQLite the
            # transaction begun above, which SQLAlchemy opens with BEGIN, already is one).
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            data = export_all(connection, include_password_hashes=include_password_hashes)
    except (OperationalError, ProgrammingError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown error"
        fail(
            f"could not read the database ({reason}): if its schema is not up to date, "
            "run `plantrack db upgrade` first"
        )
    try:
        size = write_json(output, data)
    except OSError as error:
        fail(f"could not write {output}: {error.strerror}")
    rows = sum(len(rows) for rows in data["tables"].values())
    tables = len(data["tables"])
    typer.echo(f"Exported {rows:,} rows of {tables} tables to {output} ({size:,} bytes)")


def restore_backup(
    file: Annotated[Path, typer.Argument(help="A file written by `plantrack export --all`.")],
) -> None:
    """Restore an export into an empty database made by `plantrack db upgrade`."""
    try:
        counts = import_backup(get_engine(), read_json(file))
    except BackupError as error:
        fail(str(error), code=2)
    typer.echo(f"Restored {sum(counts.values()):,} rows of {len(counts)} tables from {file}")


def backup(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
) -> None:
    """Copy a live SQLite database consistently (for PostgreSQL use pg_dump)."""
    settings = get_settings()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        fail(
            "plantrack backup copies SQLite databases; back up PostgreSQL with pg_dump, e.g. "
            "`pg_dump --format=custom --file=plantrack.dump DBNAME` "
            "(restore with pg_restore; see the README)",
            code=2,
        )
    if not url.database or url.database == ":memory:":
        fail("the database is in memory: there is nothing on disk to back up", code=2)
    try:
        size = backup_sqlite(
            Path(url.database), output, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    except BackupError as error:
        fail(str(error))
    typer.echo(f"Backed up {url.database} to {output} ({size:,} bytes); integrity check ok")


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(import_app, name="import")
    app.command("export")(export)
    app.command("import-backup")(restore_backup)
    app.command("backup")(backup)
