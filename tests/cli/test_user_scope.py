"""`plantrack user scope EMAIL --board SHORT_NAME... | --clear`: the office limits an account to
some boards' plans from the command line, audited."""

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from app.core.models import AuditEvent, User, UserBoard

VIEWER = "board.member@plantrack.example"


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


def boards_of(engine, email: str) -> list[int]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        return sorted(session.exec(select(UserBoard.board_id).where(UserBoard.user_id == user.id)))


def test_scope_to_boards_then_clear(plantrack, own_database):
    engine = own_database[1]
    limited = plantrack("user", "scope", VIEWER, "--board", "OMCDB", "--board", "PFCP")
    assert limited.returncode == 0, limited.stderr
    assert limited.stdout.strip() == f"{VIEWER} now reads only the plans of OMCDB, PFCP."
    assert len(boards_of(engine, VIEWER)) == 2
    cleared = plantrack("user", "scope", VIEWER, "--clear")
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.strip() == f"{VIEWER} now reads every plan."
    assert boards_of(engine, VIEWER) == []
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.verb == "scope_user").order_by(AuditEvent.id)
        ).all()
    assert [json.loads(e.after_json)["boards"] for e in events[-2:]] == [["OMCDB", "PFCP"], []]
    assert events[-1].actor == "plantrack user scope"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--board", "NOSUCH"], "There is no board called 'NOSUCH'."),
        ([], "give --board SHORT_NAME"),
        (["--board", "OMCDB", "--clear"], "not both"),
    ],
)
def test_bad_options_exit_2_and_change_nothing(plantrack, own_database, arguments, message):
    result = plantrack("user", "scope", VIEWER, *arguments)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert boards_of(own_database[1], VIEWER) == []


def test_the_office_and_unknown_accounts_are_refused(plantrack):
    office = plantrack("user", "scope", "admin@plantrack.example", "--board", "OMCDB")
    assert office.returncode == 2 and "only a viewer or an editor" in office.stderr
    unknown = plantrack("user", "scope", "nobody@plantrack.example", "--clear")
    assert unknown.returncode == 2 and "no account for" in unknown.stderr
