"""`plantrack import actions` offers every choice the import page offers, as flags."""

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlmodel import Session, select

from app.core.models import Action, Plan, StatusUpdate
from tests.imports.workbooks import xlsx

PLAN = "reduced-offending-2018-21"
HEADER = ["Theme", "Ref", "Action", "Due", "Status", "Update", "Reviewed on"]
ROWS = [
    ["New theme", "ZZ1", "Set up a panel", "Mar-21", "Slipped", "Late.", "30/06/2019"],
    [
        "New theme",
        "ZZ2",
        "Map services",
        "2020/21",
        "Parked",
        "Waiting. Corrective action: new funding bid.",
        "30/06/2019",
    ],
    ["New theme", "ZZ3", "Agree a protocol", "Q3 2020/21", "Done", "=A1&B1", None],
]


@pytest.fixture
def plantrack(own_database):
    """The real command against a database of this module's own: these imports commit."""
    url, _engine = own_database

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            capture_output=True,
            text=True,
            env=os.environ | {"PLANTRACK_DATABASE_URL": url},
            timeout=120,
        )

    return run


def test_the_command_takes_every_choice_the_page_offers(plantrack, own_database, tmp_path):
    engine = own_database[1]
    spreadsheet = tmp_path / "plan.xlsx"
    spreadsheet.write_bytes(xlsx([HEADER, *ROWS]))
    arguments = ["import", "actions", "--plan", PLAN, str(spreadsheet)]

    refused = plantrack(*arguments, "--dry-run")
    assert refused.returncode == 2
    assert "row 4, Update (cell F4): a formula with no saved value, =A1&B1" in refused.stdout
    assert "row 3, Status: 'Parked' is not a status plantrack understands" in refused.stdout

    result = plantrack(
        *arguments,
        "--column",
        "Reviewed on=effective",
        "--effective",
        "2019-04-01",
        "--status",
        "Parked=in_progress:red",
        "--status",
        "Slipped=in_progress:red",
        "--corrective-from-update",
        "--corrective-action",
        "ZZ1=Weekly review.",
        "--formula-text",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  Slipped (Status, 1 rows) -> in_progress:red (chosen)" in result.stdout
    with Session(engine) as session:
        plan = session.exec(select(Plan).where(Plan.slug == PLAN)).one()
        found = {
            ref: (update.effective_on, update.stage, update.rag, update.corrective_action)
            for ref, update in session.exec(
                select(Action.ref, StatusUpdate)
                .join(StatusUpdate, StatusUpdate.action_id == Action.id)
                .where(Action.plan_id == plan.id, Action.ref.in_(["ZZ1", "ZZ2", "ZZ3"]))
            )
        }
    assert found == {
        "ZZ1": (date(2019, 6, 30), "in_progress", "red", "Weekly review."),
        "ZZ2": (date(2019, 6, 30), "in_progress", "red", "new funding bid."),
        "ZZ3": (date(2019, 4, 1), "complete", None, ""),
    }

    again = plantrack(
        *arguments,
        "--column",
        "Reviewed on=effective",
        "--effective",
        "2019-04-01",
        "--status",
        "Parked=in_progress:red",
        "--status",
        "Slipped=in_progress:red",
        "--corrective-from-update",
        "--corrective-action",
        "ZZ1=Weekly review.",
        "--formula-text",
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to import: the plan already matches the file." in again.stdout


def test_a_bad_status_choice_is_refused(plantrack, tmp_path):
    spreadsheet = tmp_path / "plan.xlsx"
    spreadsheet.write_bytes(xlsx([HEADER, *ROWS]))
    result = plantrack(
        "import", "actions", "--plan", PLAN, str(spreadsheet), "--status", "Slipped=late"
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: --status Slipped=late: 'late' is not a stage")
