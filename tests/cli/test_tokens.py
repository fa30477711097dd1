"""`plantrack token create/list/revoke`: the token printed once, listed without its secret,
revoked at once; bad options are one line and exit 2."""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

SLUG = "reduced-offending-2018-21"


@pytest.fixture
def plantrack(own_database):
    environment = os.environ | {"PLANTRACK_DATABASE_URL": own_database[0]}

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )

    return run


def test_create_list_use_and_revoke(plantrack, own_app_client, own_database):
    name = f"power-bi-{uuid.uuid4().hex[:6]}"
    created = plantrack(
        "token",
        "create",
        "--name",
        name,
        "--scope",
        "read",
        "--expires-in",
        "30",
        "--plan",
        SLUG,
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("pt_") and len(secret) == 46
    assert "cannot be shown again" in created.stderr
    headers = {"Authorization": f"Bearer {secret}"}
    listed_plans = own_app_client.get("/api/v1/plans", headers=headers).json()["items"]
    assert [plan["slug"] for plan in listed_plans] == [SLUG]

    listing = plantrack("token", "list")
    assert listing.returncode == 0
    (line,) = [row for row in listing.stdout.splitlines() if row.startswith(name)]
    assert f"Service: {name}" in line and "read" in line and SLUG in line and "active" in line
    assert secret not in listing.stdout

    with own_database[1].connect() as connection:
        stored = connection.execute(
            text("SELECT token_hash FROM api_token WHERE name = :name"), {"name": name}
        ).scalar_one()
    assert stored != secret and len(stored) == 64

    revoked = plantrack("token", "revoke", name)
    assert revoked.returncode == 0 and f"Revoked {name}" in revoked.stdout
    assert own_app_client.get("/api/v1/plans", headers=headers).status_code == 401
    assert "revoked" in plantrack("token", "list").stdout


def test_a_persons_write_token(plantrack, own_app_client):
    name = f"lead-{uuid.uuid4().hex[:6]}"
    created = plantrack(
        "token",
        "create",
        "--name",
        name,
        "--scope",
        "write",
        "--expires-in",
        "7",
        "--user",
        "omrr.lead@plantrack.example",
    )
    assert created.returncode == 0, created.stderr
    assert "omrr.lead@plantrack.example" in plantrack("token", "list").stdout


@pytest.mark.parametrize(
    "arguments, words",
    [
        (("--scope", "admin", "--expires-in", "30"), "--scope: Choose whether"),
        (
            ("--scope", "read", "--expires-in", "366"),
            "--expires-in: A token must expire within a year",
        ),
        (
            ("--scope", "read", "--expires-in", "30", "--plan", "nope"),
            "--plan: There is no plan called nope",
        ),
        (
            ("--scope", "write", "--expires-in", "30", "--user", "nobody@x.example"),
            "--user/--service: There is no account for nobody@x.example",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2(plantrack, arguments, words):
    result = plantrack("token", "create", "--name", f"bad-{uuid.uuid4().hex[:6]}", *arguments)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and words in result.stderr
    assert "Traceback" not in result.stderr


def test_revoking_an_unknown_token_exits_2(plantrack):
    result = plantrack("token", "revoke", "no-such-token")
    assert result.returncode == 2 and "There is no token called 'no-such-token'" in result.stderr
