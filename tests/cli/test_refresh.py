"""plantrack plan refresh with new due dates: the real command in its own process, against a
database of the module's own (the command commits for real)."""

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.models import Action, Plan, StatusUpdate
from app.domain.snapshot import plan_snapshot

SOURCE = "reduced-offending-2018-21"
SUCCESSOR = "reduced-offending-2021-24"
PREVENTION_EI = "Prevention/Early Intervention"
OMRR = "Offender Management, Rehabilitation and Resettlement"
REFRESH = [
    "plan", "refresh",
    "--from", SOURCE,
    "--to", SUCCESSOR,
    "--title", "Reduced Offending 2021-24",
    "--start", "2021-04-01",
    "--end", "2024-03-31",
    "--theme", PREVENTION_EI,
    "--theme", OMRR,
    "--map", f"{PREVENTION_EI}={PREVENTION_EI}",
    "--map", f"{OMRR}={OMRR}",
]  # fmt: skip


@pytest.fixture
def plantrack(own_database):
    """The `plantrack` fixture of tests/conftest.py, on this module's own database."""
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


def counts(engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Plan, Action, StatusUpdate)
        )


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            [],
            "Error: choose a rule for the new due dates, or give one for each carried-forward "
            "action (no new due date for ",
        ),
        (["--due-rule", "soon"], "Error: 'soon' is not a rule for the new due dates"),
        (["--due-rule", "keep"], "Error: the due dates of "),
        (
            ["--due-rule", "first-year", "--due", "D5=31/03/2022"],
            "Error: --due D5: '31/03/2022' is not a date in the form YYYY-MM-DD",
        ),
        (
            ["--due-rule", "first-year", "--due", "D5"],
            "Error: --due 'D5' should be of the form LEFT=RIGHT",
        ),
        (
            ["--due-rule", "first-year", "--due", "D5=2021-09-30", "--due", "D5=2021-12-31"],
            "Error: --due gives action D5 twice",
        ),
        (
            ["--due-rule", "first-year", "--due", "D5=2025-01-31"],
            "Error: the new due date of D5 is after the new period ends (2024-03-31)",
        ),
    ],
    ids=["no rule", "unknown rule", "kept dates passed", "bad date", "no date", "twice", "late"],
)
def test_missing_or_bad_due_dates_fail_in_one_line_and_write_nothing(
    plantrack, own_database, extra, message
):
    before = counts(own_database[1])
    result = plantrack(*REFRESH, *extra)
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message), result.stderr
    if "rule" in message or "due dates of" in message:
        assert "(--due-rule first-year|period-end|keep; --due REF=YYYY-MM-DD)" in result.stderr
    assert counts(own_database[1]) == before


def test_the_refresh_gives_new_due_dates_by_rule_and_by_action(plantrack, own_database):
    engine = own_database[1]
    dry = plantrack(*REFRESH, "--due-rule", "first-year", "--due", "D5=2021-09-30", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "New due dates: the end of the new plan's first year" in dry.stdout
    assert "      due 2019-03-31 (Q4 2018/19) -> 2021-09-30" in dry.stdout.splitlines()
    assert dry.stdout.count("-> 2022-03-31") == dry.stdout.count("      due ") - 1

    result = plantrack(*REFRESH, "--due-rule", "first-year", "--due", "D5=2021-09-30")
    assert result.returncode == 0, result.stderr
    with Session(engine) as session:
        successor = session.exec(select(Plan).where(Plan.slug == SUCCESSOR)).one()
        due = {
            action.ref: (action.due_date, action.due_label)
            for action in session.exec(select(Action).where(Action.plan_id == successor.id))
        }
        assert due.pop("D5") == (date(2021, 9, 30), "")
        assert set(due.values()) == {(date(2022, 3, 31), "")}
        first_day = plan_snapshot(session=session, plan=successor, as_at=date(2021, 4, 1))
        assert first_day.counts.total == len(due) + 1
        assert first_day.counts.overdue == 0

    # Run again: nothing left to carry, so no rule is needed and nothing is written.
    before = counts(engine)
    again = plantrack(*REFRESH)
    assert again.returncode == 0, again.stderr
    assert "Nothing to do: the refresh has already been made." in again.stdout
    assert counts(engine) == before
