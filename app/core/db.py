"""The engine, sessions, and how a transaction that writes begins.

SQLite (the embedded default) runs with WAL, foreign keys on and a busy timeout. A transaction
that will write takes SQLite's write lock when it begins (BEGIN IMMEDIATE): a transaction that
read first and then tried to write could otherwise fail at once with "database is locked"
whatever the busy timeout, because SQLite cannot wait for a lock it might deadlock on.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core import data_version as _data_version  # noqa: F401  (its listeners, on every session)
from app.core.config import get_settings

# Set on a connection's execution options to make its next BEGIN an immediate one (SQLite).
BEGIN_IMMEDIATE = "plantrack_begin_immediate"
# How often a write transaction is tried when SQLite stays locked beyond its busy timeout.
WRITE_ATTEMPTS = 3


# A request may hold two connections at once: its own, and a short transaction of its own
# beside it (own_transaction: a sign-in attempt, a session's last-seen time). The pool allows
# two for each of the server's 40 request threads, so requests never wait on each other for a
# connection (which, with both held, could wait for ever); it keeps 10 open between requests.
POOL = {"pool_size": 10, "max_overflow": 70}


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **POOL)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **POOL)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # pysqlite's own transaction handling defers BEGIN until the first write, so a
        # SAVEPOINT could open (and its RELEASE commit) a transaction of its own. SQLAlchemy
        # takes over: BEGIN is emitted when SQLAlchemy begins (the documented recipe).
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection) -> None:
        immediate = connection.get_execution_options().get(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# One writer at a time per SQLite database within a process, queued on a lock that wakes the
# next writer the moment the last one commits. SQLite's own busy handler polls with growing
# sleeps, which left some writers waiting ten times as long as others; it still arbitrates
# between processes (several workers).
# A plain Lock, not an RLock: a request's unit of work is entered on one thread of the pool and
# left on another, and a Lock may be released by any thread. So a thread holding a write
# transaction must not open another on the same database (it would wait on itself).
_sqlite_write_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _write_lock(session: Session):
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url)
    with _locks_guard:
        return _sqlite_write_locks.setdefault(key, threading.Lock())


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def new_session() -> Session:
    # Objects stay readable after a commit: a handler's page is rendered from what it wrote.
    return Session(get_engine(), expire_on_commit=False)


def is_locked(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


def begin_write(session: Session, *, pause: Callable[[float], None] = time.sleep) -> None:
    """Begin the session's transaction as one that writes: on SQLite it holds the write lock
    from the start, waiting the busy timeout for it, then trying again a bounded number of
    times. Elsewhere (PostgreSQL) it simply begins. A no-op inside a transaction already begun
    (the tests' outer transaction)."""
    if session.in_transaction():
        return
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            session.connection(execution_options={BEGIN_IMMEDIATE: True})
            return
        except OperationalError as error:
            session.rollback()
            if not is_locked(error) or attempt == WRITE_ATTEMPTS:
                raise
            pause(0.05 * attempt)


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """Hold the session's transaction as a write transaction for the block (see begin_write);
    the caller commits or rolls back inside it."""
    with _write_lock(session):
        begin_write(session)
        yield


@contextmanager
def own_transaction(session: Session) -> Iterator[Session]:
    """A short write transaction of its own, beside the session's: committed when the block
    ends, whatever becomes of the session's. For what must be recorded however the request
    ends (a failed sign-in) or without making a read a write (a session's last-seen time).
    Bound to the same place as ``session``: under the tests' outer transaction it is a
    savepoint of theirs."""
    with (
        Session(
            session.get_bind(), join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as own,
        writing(own),
    ):
        yield own
        own.commit()
