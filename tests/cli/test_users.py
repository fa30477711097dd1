"""`plantrack user ...` for the office: create, disable, set a password; each audited."""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text


@pytest.fixture
def engine(own_database):
    return own_database[1]


@pytest.fixture
def plantrack(own_database):
    environment = os.environ | {"PLANTRACK_DATABASE_URL": own_database[0]}

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


@pytest.fixture
def app_client(own_app_client):
    return own_app_client


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@plantrack.example"


def test_create_sign_in_disable(plantrack, engine, app_client):
    from tests.conftest import csrf_from

    email = unique_email()
    created = plantrack(
        "user",
        "create",
        email,
        "--name",
        "YOS Manager",
        "--role",
        "editor",
        "--organisation",
        "StaffsYOS",
        "--lead-role",
        "YOS Manager",
        "--password",
        "a-long-enough-password",
    )
    assert created.returncode == 0, created.stderr
    assert f"Created editor {email}" in created.stdout
    with engine.connect() as connection:
        row = connection.execute(
            text('SELECT role, password_hash, person_id FROM "user" WHERE email = :e'), {"e": email}
        ).one()
        assert row.role == "editor" and row.password_hash.startswith("$argon2")
        assert row.person_id is not None
        audit = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE verb = 'create_user' AND summary LIKE :s"),
            {"s": f"%{email}%"},
        ).scalar_one()
        assert audit == 1

    page = app_client.get("/sign-in")
    signed_in = app_client.post(
        "/sign-in",
        data={
            "email": email,
            "password": "a-long-enough-password",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert app_client.get("/", follow_redirects=False).status_code == 200

    disabled = plantrack("user", "disable", email)
    assert disabled.returncode == 0, disabled.stderr
    # Their open session ends at once, and they cannot sign in again.
    ended = app_client.get("/", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"].startswith("/sign-in")
    page = app_client.get("/sign-in")
    refused = app_client.post(
        "/sign-in",
        data={
            "email": email,
            "password": "a-long-enough-password",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert refused.status_code == 400
    assert "Enter a correct e-mail address and password" in refused.text


def test_bad_input_gets_a_clear_error(plantrack):
    cases = [
        (
            ["user", "create", "nobody", "--name", "x", "--password", "a-long-enough-password"],
            "is not an e-mail address",
        ),
        (
            [
                "user",
                "create",
                unique_email(),
                "--name",
                "x",
                "--role",
                "superuser",
                "--password",
                "a-long-enough-password",
            ],
            "is not a role",
        ),
        (
            ["user", "create", unique_email(), "--name", "x", "--password", "short"],
            "at least 12 characters",
        ),
        (
            [
                "user",
                "create",
                "admin@plantrack.example",
                "--name",
                "x",
                "--password",
                "a-long-enough-password",
            ],
            "already exists",
        ),
        (
            [
                "user",
                "create",
                unique_email(),
                "--name",
                "x",
                "--organisation",
                "NOPE",
                "--lead-role",
                "Chief",
                "--password",
                "a-long-enough-password",
            ],
            "no organisation",
        ),
        (["user", "disable", "ghost@plantrack.example"], "no account for"),
        (
            ["user", "set-password", "admin@plantrack.example", "--password", "short"],
            "at least 12 characters",
        ),
    ]
    cases += weak_password_cases()
    for arguments, message in cases:
        result = plantrack(*arguments)
        assert result.returncode == 2, (arguments, result.stdout, result.stderr)
        assert message in result.stderr, (arguments, result.stderr)
        assert "Traceback" not in result.stderr


def weak_password_cases() -> list[tuple[list[str], str]]:
    """The one password rule (tested in full in tests/domain/test_auth.py), through both
    commands that set a password."""
    email = unique_email()
    return [
        (["user", "create", email, "--name", "x", "--password", " " * 12], "only spaces"),
        (
            ["user", "create", email, "--name", "x", "--password", "password1234"],
            "most common passwords",
        ),
        (
            ["user", "create", email, "--name", "x", "--password", email.split("@")[0] + "!2024"],
            "your e-mail address",
        ),
        (
            ["user", "set-password", "admin@plantrack.example", "--password", "aaaaaaaaaaaa"],
            "short pattern repeated",
        ),
        (
            [
                "user",
                "set-password",
                "admin@plantrack.example",
                "--password",
                "demo-admin-password",
            ],
            "different from the current one",
        ),
    ]


def test_a_password_can_come_from_standard_input(plantrack):
    email = unique_email()
    result = plantrack(
        "user", "create", email, "--name", "Board member", input="from-stdin-password\n"
    )
    assert result.returncode == 0, result.stderr


def test_an_owner_is_found_by_any_spelling_of_their_organisation_and_role(plantrack, engine):
    count_people = text("SELECT count(*) FROM person")
    with engine.connect() as connection:
        people_before = connection.execute(count_people).scalar_one()
        existing = connection.execute(
            text(
                "SELECT person.id FROM person JOIN organisation"
                " ON organisation.id = person.organisation_id"
                " WHERE organisation.short_name = 'SoTYOS' AND person.role = 'YOS Manager'"
            )
        ).scalar_one()
    email = unique_email()
    result = plantrack(
        "user",
        "create",
        email,
        "--name",
        "YOS Manager, Stoke-on-Trent",
        "--role",
        "editor",
        "--organisation",
        "stoke-on-trent  youth offending service",
        "--lead-role",
        "yos manager",
        "--password",
        "a-long-enough-password",
    )
    assert result.returncode == 0, result.stderr
    with engine.connect() as connection:
        person_id = connection.execute(
            text('SELECT person_id FROM "user" WHERE email = :e'), {"e": email}
        ).scalar_one()
        assert person_id == existing
        assert connection.execute(count_people).scalar_one() == people_before
