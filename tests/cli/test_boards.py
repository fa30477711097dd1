"""`plantrack board create`, `plantrack meeting add|move|cancel|deadline` and `plantrack
reminders`, each run in its own process against a database of the module's own."""

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from app.core.config import get_settings
from app.core.models import AuditEvent, Board, Meeting, Plan, Reminder, ReportJob

TODAY = date.today()


@pytest.fixture
def engine(own_database):
    return own_database[1]


@pytest.fixture
def plantrack(own_database):
    def run(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            capture_output=True,
            text=True,
            env=os.environ | {"PLANTRACK_DATABASE_URL": own_database[0]} | (env or {}),
            timeout=120,
        )

    return run


def read(engine, statement):
    with Session(engine) as session:
        return session.exec(statement).all()


def rows(engine, model, *conditions) -> int:
    return read(engine, select(func.count()).select_from(model).where(*conditions))[0]


def meeting(engine, short_name: str, held_on: date) -> Meeting | None:
    found = read(
        engine,
        select(Meeting)
        .join(Board, Board.id == Meeting.board_id)
        .where(Board.short_name == short_name, Meeting.held_on == held_on),
    )
    return found[0] if found else None


@pytest.fixture
def board(plantrack):
    short_name = f"B{uuid.uuid4().hex[:6]}"
    result = plantrack("board", "create", short_name, "--name", f"Board {short_name}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Created the board {short_name}: Board {short_name}"
    return short_name


def test_a_board_is_created_and_audited(engine, board):
    (event,) = read(
        engine,
        select(AuditEvent).where(
            AuditEvent.verb == "create_board", AuditEvent.summary.contains(board)
        ),
    )
    assert event.actor == "plantrack board create"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["OMCDB", "--name", "Another"], "SHORT_NAME: The short name OMCDB is taken"),
        (["has space", "--name", "Another"], "SHORT_NAME: The short name may only hold"),
        (["NEWONE", "--name", " "], "--name: Enter the board's name"),
    ],
)
def test_a_bad_board_is_one_line_exit_2_and_nothing_written(engine, plantrack, arguments, message):
    boards = rows(engine, Board)
    result = plantrack("board", "create", *arguments)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert rows(engine, Board) == boards


def test_meetings_are_added_moved_given_a_deadline_and_cancelled(engine, plantrack, board):
    added = plantrack("meeting", "add", "--board", board, "--date", "2027-03-18")
    assert added.returncode == 0, added.stderr
    assert "updates are due by 4 March 2027" in added.stdout
    moved = plantrack(
        "meeting", "move", "--board", board, "--date", "2027-03-18", "--to", "2027-03-25"
    )
    assert moved.returncode == 0, moved.stderr
    assert "to 25 March 2027; updates are due by 11 March 2027" in moved.stdout
    assert meeting(engine, board, date(2027, 3, 18)) is None
    due = plantrack(
        "meeting", "deadline", "--board", board, "--date", "2027-03-25", "--deadline", "2027-03-01"
    )
    assert due.returncode == 0 and "due by 1 March 2027" in due.stdout
    assert meeting(engine, board, date(2027, 3, 25)).update_deadline == date(2027, 3, 1)
    back = plantrack("meeting", "deadline", "--board", board, "--date", "2027-03-25", "--default")
    assert back.returncode == 0 and "due by 11 March 2027" in back.stdout
    cancelled = plantrack(
        "meeting", "cancel", "--board", board, "--date", "2027-03-25", "--reason", "No quorum"
    )
    assert cancelled.returncode == 0, cancelled.stderr
    assert meeting(engine, board, date(2027, 3, 25)).cancelled_at is not None
    actors = set(
        read(
            engine,
            select(AuditEvent.actor).where(
                AuditEvent.entity_id == meeting(engine, board, date(2027, 3, 25)).id,
                AuditEvent.entity_type == "meeting",
            ),
        )
    )
    assert actors == {
        "plantrack meeting add",
        "plantrack meeting move",
        "plantrack meeting deadline",
        "plantrack meeting cancel",
    }


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["add", "--board", "NOBOARD", "--date", "2027-01-01"],
            "no board with short name 'NOBOARD'",
        ),
        (["add", "--board", "OMCDB", "--date", "18/03/2027"], "--date: '18/03/2027' is not a date"),
        (["add", "--board", "OMCDB", "--date", "2021-03-18"], "--date: The OMCDB already has"),
        (
            ["add", "--board", "OMCDB", "--date", "2027-01-07", "--deadline", "2027-01-08"],
            "--deadline: The update deadline must be before the meeting",
        ),
        (
            ["move", "--board", "OMCDB", "--date", "2021-03-18", "--to", "2020-12-10"],
            "--to: The OMCDB already has a meeting on 10 December 2020",
        ),
        (["deadline", "--board", "OMCDB", "--date", "2021-03-18"], "either --deadline"),
        (
            [
                "deadline",
                "--board",
                "OMCDB",
                "--date",
                "2021-03-18",
                "--deadline",
                "2021-03-01",
                "--default",
            ],
            "either --deadline",
        ),
    ],
)
def test_bad_meeting_commands_are_one_line_exit_2_and_nothing_written(
    engine, plantrack, arguments, message
):
    before = (rows(engine, Meeting), rows(engine, AuditEvent))
    result = plantrack("meeting", *arguments)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (rows(engine, Meeting), rows(engine, AuditEvent)) == before
    assert meeting(engine, "OMCDB", date(2021, 3, 18)).update_deadline is None


def test_reminders_then_escalations_for_the_next_meeting_only(engine, plantrack, smtp_server):
    mail = {"PLANTRACK_SMTP_PORT": str(get_settings().smtp_port)}
    slug = "reduced-offending-2018-21"
    nothing = plantrack("reminders", "--plan", slug, env=mail)
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.strip() == f"{slug}: no meeting ahead, nothing to send."

    held_on = TODAY + timedelta(weeks=6)
    day = held_on.isoformat()
    assert plantrack("meeting", "add", "--board", "OMCDB", "--date", day).returncode == 0
    reminded = plantrack("reminders", "--plan", slug, env=mail)
    assert reminded.returncode == 0, reminded.stderr
    assert "reminders; 0 already sent." in reminded.stdout
    assert "files for the meeting" not in reminded.stdout  # not before the deadline
    sent = len(smtp_server)
    assert sent and f"sent {sent} reminders" in reminded.stdout
    again = plantrack("reminders", "--plan", slug, env=mail)
    assert f"sent 0 reminders; {sent} already sent." in again.stdout
    assert len(smtp_server) == sent

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    moved = plantrack(
        "meeting", "deadline", "--board", "OMCDB", "--date", day, "--deadline", yesterday
    )
    assert moved.returncode == 0, moved.stderr
    everyone = plantrack("reminders", env=mail)  # every active plan with a board
    assert everyone.returncode == 0, everyone.stderr
    assert (
        f"{slug}: meeting on" in everyone.stdout
        and "escalations; 0 already sent." in everyone.stdout
    )
    assert "police-and-crime-plan-2021-24: no meeting ahead" in everyone.stdout
    # Once the deadline has passed, the meeting's PDF and Word files are queued ahead.
    assert f"{slug}: files for the meeting on" in everyone.stdout
    assert "4 queued, 0 already made." in everyone.stdout
    prepared = plantrack("report", "prepare", "--plan", slug)  # the same, on its own: no more
    assert prepared.returncode == 0, prepared.stderr
    assert prepared.stdout.startswith(f"{slug}: files for the meeting on ")
    assert prepared.stdout.strip().endswith("4 queued, 0 already made.")
    plan_id = read(engine, select(Plan.id).where(Plan.slug == slug))[0]
    assert rows(engine, ReportJob, ReportJob.plan_id == plan_id) == 4
    escalated = len(smtp_server) - sent
    assert escalated and "admin@plantrack.example" in {m["To"] for m in smtp_server[sent:]}
    again = plantrack("reminders", "--plan", slug, env=mail)
    assert f"sent 0 escalations; {escalated} already sent." in again.stdout
    kinds = read(
        engine,
        select(Reminder.kind, func.count())
        .where(Reminder.meeting_id == meeting(engine, "OMCDB", held_on).id)
        .group_by(Reminder.kind),
    )
    assert dict(kinds) == {"reminder": sent, "escalation": escalated}

    assert plantrack("meeting", "cancel", "--board", "OMCDB", "--date", day).returncode == 0
    after = plantrack("reminders", "--plan", slug, env=mail)
    assert after.stdout.strip() == f"{slug}: no meeting ahead, nothing to send."


def test_an_unreachable_mail_server_is_one_line_exit_1_and_nothing_recorded(engine, plantrack):
    day = (TODAY + timedelta(weeks=8)).isoformat()
    assert plantrack("meeting", "add", "--board", "OMCDB", "--date", day).returncode == 0
    held_on = date.fromisoformat(day)
    try:
        result = plantrack(
            "reminders", "--plan", "reduced-offending-2018-21", env={"PLANTRACK_SMTP_PORT": "1"}
        )
        assert result.returncode == 1
        assert result.stderr.startswith("Error: reduced-offending-2018-21: Could not send e-mail")
        assert (
            rows(engine, Reminder, Reminder.meeting_id == meeting(engine, "OMCDB", held_on).id) == 0
        )
    finally:
        plantrack("meeting", "cancel", "--board", "OMCDB", "--date", day)
