"""plantrack plan create, close and reopen: the real command in its own process, against a
database of the module's own (the command commits for real)."""

import json
import os
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from app.core.models import AuditEvent, Commitment, DeliveryGroup, Outcome, Plan, Theme


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


def plan_named(engine, slug: str) -> Plan | None:
    with Session(engine) as session:
        return session.exec(select(Plan).where(Plan.slug == slug)).first()


CREATE = [
    "plan", "create",
    "--slug", "youth-justice-2024-27",
    "--title", "Youth Justice Plan 2024-27",
    "--start", "2024-04-01",
    "--end", "2027-03-31",
    "--board", "OMCDB",
    "--theme", "Prevention",
    "--theme", "Resettlement",
    "--delivery-group", "Resettlement=Youth Resettlement Group",
    "--outcome", "Fewer first time entrants",
    "--scheme", "dca",
    "--short-title", "Youth Justice 2024-27",
    "--description", "The YOS partnership's plan.",
    "--approval",
]  # fmt: skip


def test_plan_create_makes_the_plan_as_the_page_does(plantrack, own_database):
    result = plantrack(*CREATE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Created youth-justice-2024-27: Youth Justice Plan 2024-27 (2 themes)\n"
    engine = own_database[1]
    with Session(engine) as session:
        plan = session.exec(select(Plan).where(Plan.slug == "youth-justice-2024-27")).one()
        assert (plan.rag_scheme, plan.requires_approval, plan.short_title) == (
            "dca5",
            True,
            "Youth Justice 2024-27",
        )
        themes = session.exec(
            select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position)
        ).all()
        assert [t.title for t in themes] == ["Prevention", "Resettlement"]
        group = session.get(DeliveryGroup, themes[1].delivery_group_id)
        assert group.name == "Youth Resettlement Group"
        assert session.exec(select(Outcome.title).where(Outcome.plan_id == plan.id)).all() == [
            "Fewer first time entrants"
        ]
        assert not session.exec(select(Commitment).where(Commitment.theme_id == themes[0].id)).all()
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.verb == "create_plan", AuditEvent.entity_id == plan.id
            )
        ).one()
        assert event.actor == "plantrack plan create"
        assert json.loads(event.after_json)["slug"] == "youth-justice-2024-27"

    again = plantrack(*CREATE)
    assert again.returncode == 2
    assert again.stderr == (
        "Error: --slug: There is already a plan with the short name youth-justice-2024-27: "
        "choose another; nothing was written\n"
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"--end": "2024-03-31", "--board": "NOPE"},
            "--end: The end date must be after the start date; --board: There is no board "
            "called 'NOPE': choose one of OMCDB, PCP, PFCP, PoliceCOG, RRB",
        ),
        (
            {"--start": "1 April 2024"},
            "--start: The start date must be a real date, in the form YYYY-MM-DD",
        ),
        (
            {"--scheme": "traffic"},
            "--scheme: Choose how actions are rated: Green/Amber/Red (rag) "
            "or the five-point Delivery Confidence Assessment (dca)",
        ),
        (
            {"--slug": "Bad Slug"},
            "--slug: The short name must use only lower-case letters, "
            "digits and single hyphens between them, such as youth-justice-plan-2024-27",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    plantrack, own_database, changes, message
):
    arguments = list(CREATE)
    for option, value in changes.items():
        arguments[arguments.index(option) + 1] = value
    arguments[arguments.index("--slug") + 1] = changes.get("--slug", "not-made")
    result = plantrack(*arguments)
    assert result.returncode == 2
    assert result.stderr == f"Error: {message}; nothing was written\n"
    assert plan_named(own_database[1], "not-made") is None


def test_a_delivery_group_of_no_theme_is_refused(plantrack):
    result = plantrack(*CREATE, "--delivery-group", "Victims=Victims Group")
    assert result.returncode == 2
    assert result.stderr == "Error: --delivery-group names 'Victims', which is not a --theme\n"


def test_plan_close_and_reopen(plantrack, own_database):
    slug = "reduced-offending-2018-21"
    closed = plantrack("plan", "close", slug)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout == f"Closed {slug}: its updates are frozen.\n"
    assert plan_named(own_database[1], slug).status == "closed"
    twice = plantrack("plan", "close", slug)
    assert (twice.returncode, twice.stderr) == (
        2,
        "Error: Reduced Offending 2018-21 is already closed; nothing was changed\n",
    )
    progress = json.loads(plantrack("progress", "--plan", slug, "--json").stdout)
    assert progress["as_at"] == "2021-03-31"

    no_reason = plantrack("plan", "reopen", slug, "--reason", " ")
    assert (no_reason.returncode, no_reason.stderr) == (
        2,
        "Error: --reason: Enter why the plan is being reopened; nothing was changed\n",
    )
    assert plan_named(own_database[1], slug).status == "closed"
    reopened = plantrack("plan", "reopen", slug, "--reason", "Final updates were missed.")
    assert reopened.returncode == 0, reopened.stderr
    assert plan_named(own_database[1], slug).status == "active"
    with Session(own_database[1]) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.verb == "reopen_plan")).one()
        assert event.actor == "plantrack plan reopen"
        assert json.loads(event.after_json)["reason"] == "Final updates were missed."

    unknown = plantrack("plan", "close", "no-such-plan")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("Error: no plan with slug 'no-such-plan'")
