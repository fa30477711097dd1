"""Everything out and back in: a JSON export of every table, its restore, and SQLite backups.

The export is a logical copy, independent of the database engine (dates as ISO 8601 text,
binary columns as base64): ids are kept, so a restore
into an empty database made by the same migrations is exact, and an export from SQLite restores
into PostgreSQL and back. Sign-in sessions and sign-in attempts are not exported (a restored
database starts with everyone signed out); password hashes only when asked for.

``backup_sqlite`` is the physical copy of a live SQLite database, taken with SQLite's online
backup API: one consistent snapshot while other connections go on writing (WAL), never a file
copy, which could catch a half-written page. PostgreSQL is backed up with pg_dump.
"""

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Table,
    TypeDecorator,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import app.core.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.core.files import atomic_target, write_atomically

FORMAT = "plantrack-backup"
FORMAT_VERSION = 1
NOT_EXPORTED = {
    "auth_session": "sign-in sessions: a restored database starts with everyone signed out",
    "sign_in_attempt": "failed sign-ins, kept only to slow down password guessing",
    "data_version": "cache keys: a restored database starts its counters again",
    "report_job": "rendered report files, a cache: made again when next asked for",
}
PASSWORD_COLUMN = ("user", "password_hash")
_CHUNK = 500


class BackupError(Exception):
    pass


def exported_tables() -> list[Table]:
    """Every table, parents before children, so rows can be inserted in this order."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_EXPORTED]


def schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _ordered(table: Table) -> list:
    order = [column.asc() for column in table.primary_key.columns]
    return select(table).order_by(*order)


def _rows(connection: Connection, table: Table) -> Iterator[dict]:
    for row in connection.execute(_ordered(table)).mappings():
        yield {key: _json_value(value) for key, value in row.items()}


def export_all(connection: Connection, *, include_password_hashes: bool = False) -> dict:
    """Every row of every exported table as JSON-ready data, with the format and schema version."""
    tables: dict[str, list[dict]] = {}
    for table in exported_tables():
        rows = list(_rows(connection, table))
        if table.name == PASSWORD_COLUMN[0] and not include_password_hashes:
            for row in rows:
                row[PASSWORD_COLUMN[1]] = ""
        tables[table.name] = rows
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "schema_revision": schema_revision(connection),
        "database": connection.dialect.name,
        "includes_password_hashes": include_password_hashes,
        "not_exported": sorted(NOT_EXPORTED),
        "tables": tables,
    }


def write_json(path: Path, data: dict) -> int:
    """Write atomically and readable by the owner only: the export holds personal data."""
    content = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return write_atomically(path, content, mode=0o600)


def read_json(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise BackupError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BackupError(f"{path} is not a plantrack backup: not valid JSON ({error})") from None
    except OSError as error:
        raise BackupError(f"could not read {path}: {error.strerror}") from None
    return data


# --- Restore ------------------------------------------------------------------------------------


def _python_type(column) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime and the like: what it stores as
        kind = kind.impl_instance
    for sql_type, python_type in ((DateTime, datetime), (Date, date), (LargeBinary, bytes)):
        if isinstance(kind, sql_type):
            return python_type
    return None


def _convert(table: Table, row: dict, index: int) -> dict:
    converted = {}
    for key, value in row.items():
        if key not in table.columns:
            raise BackupError(f"table {table.name}, row {index + 1}: unknown column '{key}'")
        kind = _python_type(table.columns[key])
        if value is not None and kind is datetime:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise BackupError(
                    f"table {table.name}, row {index + 1}, {key}: '{value}' is not a date and time"
                ) from None
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
        elif value is not None and kind is bytes:
            try:
                value = base64.b64decode(value, validate=True)
            except (TypeError, ValueError):
                raise BackupError(
                    f"table {table.name}, row {index + 1}, {key}: not base64-encoded bytes"
                ) from None
        elif value is not None and kind is date:
            try:
                value = date.fromisoformat(value)
            except (TypeError, ValueError):
                raise BackupError(
                    f"table {table.name}, row {index + 1}, {key}: '{value}' is not a date"
                ) from None
        converted[key] = value
    return converted


def _parents_first(table: Table, rows: list[dict]) -> list[dict]:
    """Rows of a table that refers to itself (a plan's predecessor), each after its parent."""
    own = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not own:
        return rows
    placed: set = set()
    ordered: list[dict] = []
    remaining = rows
    while remaining:
        waiting = []
        for row in remaining:
            parents = [row.get(child) for child, _parent in own]
            if all(p is None or p in placed or p == row.get("id") for p in parents):
                ordered.append(row)
                placed.add(row.get("id"))
            else:
                waiting.append(row)
        if len(waiting) == len(remaining):
            ordered.extend(waiting)  # a dangling or circular reference: the database will say
            break
        remaining = waiting
    return ordered


def check_backup(data: dict) -> dict[str, list[dict]]:
    """The backup's rows, converted to Python values; BackupError if it is not one we can load."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("this is not a plantrack backup (no 'format': 'plantrack-backup')")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {version!r} is not one this plantrack reads ({FORMAT_VERSION})"
        )
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise BackupError("the backup has no tables")
    known = {table.name: table for table in exported_tables()}
    for name in tables:
        if name not in known:
            raise BackupError(f"the backup holds table '{name}', which this database does not have")
    converted: dict[str, list[dict]] = {}
    for name, table in known.items():
        rows = tables.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise BackupError(f"table {name} in the backup is not a list of rows")
        converted[name] = _parents_first(
            table, [_convert(table, row, index) for index, row in enumerate(rows)]
        )
    return converted


def non_empty_tables(connection: Connection) -> dict[str, int]:
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            counts[table.name] = count
    return counts


def rows_held(engine: Engine, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows in those of ``tables`` that exist (an older schema revision lacks some), by table,
    the empty ones left out."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {
            name: connection.execute(
                select(func.count()).select_from(SQLModel.metadata.tables[name])
            ).scalar_one()
            for name in tables
            if name in present
        }
    return {name: count for name, count in counts.items() if count}


def import_backup(engine: Engine, data: dict) -> dict[str, int]:
    """Restore an export into an empty, migrated database, in one transaction: all or nothing."""
    rows_by_table = check_backup(data)
    with engine.connect() as connection:
        revision = schema_revision(connection)
    if revision is None:
        raise BackupError("the database has no plantrack tables: run `plantrack db upgrade` first")
    wanted = data.get("schema_revision")
    if wanted and wanted != revision:
        raise BackupError(
            f"the backup was made at schema revision {wanted} but this database is at {revision}: "
            f"restore into a database at {wanted} (`plantrack db upgrade {wanted}`), then upgrade"
        )
    counts: dict[str, int] = {}
    try:
        with engine.begin() as connection:
            filled = non_empty_tables(connection)
            if filled:
                listed = ", ".join(f"{name} ({n} rows)" for name, n in list(filled.items())[:5])
                raise BackupError(
                    f"the database is not empty ({listed}): a backup is restored only into a new "
                    "database made with `plantrack db upgrade`"
                )
            for table in exported_tables():
                rows = rows_by_table[table.name]
                for start in range(0, len(rows), _CHUNK):
                    connection.execute(table.insert(), rows[start : start + _CHUNK])
                counts[table.name] = len(rows)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise BackupError(
            f"the backup could not be restored, nothing was written: {reason}"
        ) from None
    return counts


def _reset_sequences(connection: Connection) -> None:
    """Restored rows carry their ids, so each id sequence must continue after the largest."""
    quote = connection.dialect.identifier_preparer.quote
    for table in exported_tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not columns[0].autoincrement or columns[0].name != "id":
            continue
        name = quote(table.name)
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            ),
            {"table": name},
        )


# --- SQLite online backup -----------------------------------------------------------------------


def backup_sqlite(database: Path, target: Path, *, busy_timeout_ms: int = 5000) -> int:
    """A consistent copy of a live SQLite database at ``target``; returns its size in bytes."""
    database, target = Path(database), Path(target)
    if not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    try:
        with atomic_target(target) as partial:
            _copy_sqlite(database, partial, busy_timeout_ms=busy_timeout_ms)
    except OSError as error:
        raise BackupError(f"could not write {target}: {error.strerror}") from None
    return target.stat().st_size


def _copy_sqlite(database: Path, copy_path: Path, *, busy_timeout_ms: int) -> None:
    try:
        with (
            closing(sqlite3.connect(database, timeout=busy_timeout_ms / 1000)) as source,
            closing(sqlite3.connect(copy_path)) as copy,
        ):
            # One step: the whole copy is read inside a single read transaction, so it is one
            # snapshot of the database, while writers carry on (WAL lets them).
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            result = copy.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as error:
        raise BackupError(f"backup failed: {error}") from None
    if result != [("ok",)]:
        raise BackupError(f"the copy failed its integrity check: {result[:3]}")


def export_snapshot(engine: Engine) -> dict:
    """Every table as one consistent snapshot, read in a read-only transaction of its own (so a
    long export never holds up the request that asked for it, nor sees it half-done)."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return export_all(connection)
