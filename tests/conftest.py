"""Test fixtures: every test runs against SQLite and, when configured, PostgreSQL.

Each backend gets a database of its own made for this run (a temporary SQLite file; a
PostgreSQL database with a unique name, dropped afterwards), migrated with Alembic and loaded
with the demo data once. Each test then works inside a transaction that is rolled back.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.db import make_engine
from app.core.migrations import alembic_config
from app.domain.seed import load_seed

POSTGRES_URL = os.environ.get("PLANTRACK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config):
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI must run the PostgreSQL leg: set PLANTRACK_TEST_POSTGRES_URL "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )


@contextmanager
def temporary_database(backend: str, tmp_path_factory) -> Iterator[str]:
    """A new, empty database for this run; removed afterwards."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "plantrack-test.db"
        yield f"sqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL leg: set PLANTRACK_TEST_POSTGRES_URL to run it")
    name = f"plantrack_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    config = alembic_config()
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(backend, tmp_path_factory) -> Iterator[Engine]:
    """A migrated database holding the demo data, shared by the session's tests."""
    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            load_seed(session)
            session.commit()
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose every change is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(viewer):
    """A client signed in as a board member (viewer): reads everything."""
    return viewer


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, _connection, _cursor, statement, *args, **kwargs) -> None:
        self.count += 1
        self.statements.append(statement)


@pytest.fixture
def count_statements(session):
    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(connection, "before_cursor_execute", counter)

    return counting


DEMO_USERS_FILE = "seed_data/users.yaml"


def demo_users() -> dict[str, dict]:
    """The demo accounts by role: the first of each role, plus every editor by e-mail."""
    import yaml

    from app.core.config import PROJECT_ROOT

    users = yaml.safe_load((PROJECT_ROOT / DEMO_USERS_FILE).read_text())["users"]
    chosen: dict[str, dict] = {}
    for user in users:
        chosen.setdefault(user["role"], user)
        chosen[user["email"]] = user
    return chosen


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, who: str) -> str:
    """Sign the test client in as a demo role ('admin', 'editor', 'viewer') or e-mail; returns
    the session's CSRF token."""
    account = demo_users()[who]
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": account["email"],
            "password": account["password"],
            "next": "/",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)


def app_using(session):
    """The app, its requests sharing the test's session (so the test's transaction, rolled
    back afterwards, holds everything they write). Each request's unit of work still commits
    or rolls back: here a savepoint within the test's transaction."""
    from app.main import create_app

    @contextmanager
    def open_session():
        # What the test wrote before the request stays, as it would in a real database, even
        # if the request's unit of work rolls back.
        session.commit()
        yield session

    app = create_app()
    app.state.open_session = open_session
    return app


@pytest.fixture
def app_client(session):
    """An anonymous client of an app that uses the test's session."""
    from fastapi.testclient import TestClient

    with TestClient(app_using(session), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def viewer(app_client):
    sign_in(app_client, "viewer")
    return app_client


@pytest.fixture
def admin(app_client):
    app_client.csrf = sign_in(app_client, "admin")
    return app_client


@pytest.fixture
def smtp_server(monkeypatch):
    """A real SMTP server (aiosmtpd) on a free local port; yields the messages it received."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from app.core.config import get_settings

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", port)
    try:
        yield received
    finally:
        controller.stop()


def _second_client(session):
    from fastapi.testclient import TestClient

    return TestClient(app_using(session), raise_server_exceptions=False)


@pytest.fixture
def admin_client(session):
    """A second, independent browser-like client signed in as the office (admin)."""
    with _second_client(session) as client:
        client.csrf = sign_in(client, "admin")
        yield client


@pytest.fixture
def viewer_client(session):
    with _second_client(session) as client:
        sign_in(client, "viewer")
        yield client


@pytest.fixture
def plantrack(engine):
    """Run the real `plantrack` command, in its own process, against the test database."""
    import subprocess
    import sys

    environment = os.environ | {
        "PLANTRACK_DATABASE_URL": engine.url.render_as_string(hide_password=False)
    }

    def run(*arguments: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            input=input,
        )

    return run


@pytest.fixture(scope="module")
def own_database(backend, tmp_path_factory):
    """A database of the module's own, for tests whose code commits for real (the CLI, the
    app with its own per-request sessions): yields (url, engine)."""
    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            load_seed(session)
            session.commit()
        yield url, engine
        engine.dispose()


@pytest.fixture
def own_app_client(own_database, monkeypatch):
    """The app exactly as served: a new session per request, closed when the request ends."""
    from fastapi.testclient import TestClient

    import app.core.db
    from app.main import create_app

    monkeypatch.setattr(app.core.db, "get_engine", lambda: own_database[1])
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client
