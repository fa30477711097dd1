"""Importing a plan's spreadsheet with its history: each row's status dated when it took effect,
status words as offices write them, Red rows' corrective actions, formulas Excel never
calculated, and the preview's rows as read."""

from datetime import date, datetime

import pytest
from sqlmodel import select

from app.core.models import Action, Plan, StatusUpdate
from app.imports import ImportChoices, apply_import, plan_import, read_table
from app.imports.values import default_meaning
from app.reports.appendix import Direction, build_appendix
from tests.factories import make_action, make_plan, make_theme, make_update
from tests.imports.workbooks import xlsx

HEADER = ["Ref", "Action", "Theme", "Due", "Status", "RAG", "Update", "Last updated"]


@pytest.fixture
def plan(session) -> Plan:
    return make_plan(
        session,
        slug="reducing-reoffending-2023-26",
        rag_scheme="rag3",
        period_start=date(2023, 4, 1),
        period_end=date(2026, 3, 31),
    )


def preview_of(session, plan, rows, *, header=HEADER, merges=(), **choices):
    table = read_table("plan.xlsx", xlsx([*([header] if header else []), *rows], merges=merges))
    return plan_import(session, plan=plan, table=table, choices=ImportChoices(**choices))


def messages(preview) -> list[str]:
    return [str(error) for error in preview.errors]


def updates_of(session, plan) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for ref, update in session.exec(
        select(Action.ref, StatusUpdate)
        .join(StatusUpdate, StatusUpdate.action_id == Action.id)
        .where(Action.plan_id == plan.id)
        .order_by(StatusUpdate.effective_on)
    ):
        found.setdefault(ref, []).append(
            (update.effective_on, update.stage, update.rag, update.corrective_action)
        )
    return found


# --- When statuses took effect ----------------------------------------------------------------

HISTORY = [
    ["P1", "Open the hub", "Prevention", "Q3 2023/24", "Complete", None, "Opened.", "30/06/2023"],
    [
        "P2",
        "Train the staff",
        "Prevention",
        "2023/24",
        "In progress",
        "Amber",
        "Half trained.",
        "Dec-23",
    ],
]


def test_each_row_is_dated_by_its_last_updated_date_and_reports_before_show_that_history(
    session, plan
):
    preview = preview_of(session, plan, HISTORY)
    assert preview.errors == []
    assert [(row.ref, row.effective_on) for row in preview.rows] == [
        ("P1", date(2023, 6, 30)),
        ("P2", date(2023, 12, 31)),
    ]
    apply_import(session, preview)
    assert updates_of(session, plan) == {
        "P1": [(date(2023, 6, 30), "complete", None, "")],
        "P2": [(date(2023, 12, 31), "in_progress", "amber", "")],
    }

    between = build_appendix(session, plan, date(2023, 9, 30))
    stages = {row.ref: (row.stage, row.commentary_date) for row in between.all_actions}
    assert stages == {"P1": ("complete", date(2023, 6, 30)), "P2": ("not_started", None)}

    # Since the first row's date, only the second action moved: not every action "improved".
    later = build_appendix(session, plan, date(2024, 1, 31), since=date(2023, 9, 30))
    assert {row.ref: row.direction for row in later.all_actions} == {
        "P1": Direction.no_change,
        "P2": Direction.improved,
    }


def test_the_same_file_twice_changes_nothing_with_dates_of_its_own(session, plan):
    apply_import(session, preview_of(session, plan, HISTORY))
    again = preview_of(session, plan, HISTORY)
    assert again.errors == [] and again.changes_nothing
    assert sorted(again.unchanged) == ["P1", "P2"]


def test_without_a_date_column_the_office_must_choose_a_date(session, plan):
    rows = [row[:-1] for row in HISTORY]
    refused = preview_of(session, plan, rows, header=HEADER[:-1])
    assert messages(refused) == [
        "choose the date the spreadsheet's statuses took effect (such as the plan's start or "
        "today), or a column holding each row's date, such as Last updated"
    ]
    chosen = preview_of(session, plan, rows, header=HEADER[:-1], effective_on=plan.period_start)
    assert chosen.errors == []
    assert {row.effective_on for row in chosen.rows} == {date(2023, 4, 1)}


def test_a_row_without_its_date_needs_the_chosen_date_and_a_future_date_is_refused(session, plan):
    rows = [HISTORY[0][:-1] + [None], HISTORY[1][:-1] + ["31/12/2099"]]
    assert messages(preview_of(session, plan, rows)) == [
        "row 2, Last updated: no date: fill it in, or choose a date for the rows without one",
        "row 3, Last updated: '31/12/2099' is in the future: not yet updated",
    ]
    rows[1][-1] = datetime(2024, 1, 15)
    preview = preview_of(session, plan, rows, effective_on=date(2023, 4, 1))
    assert [row.effective_on for row in preview.rows] == [date(2023, 4, 1), date(2024, 1, 15)]


@pytest.mark.parametrize("header", ["As at", "Date of update", "Updated", "Last updated"])
def test_a_date_column_is_recognised_by_its_usual_names(session, plan, header):
    preview = preview_of(session, plan, HISTORY, header=[*HEADER[:-1], header])
    assert preview.mapping["effective"] == 7


# --- Status words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, meaning",
    [
        ("Slipped", ("in_progress", "amber")),
        ("Delayed", ("in_progress", "amber")),
        ("Behind", ("in_progress", "amber")),
        ("Off track", ("in_progress", "red")),
        ("At risk", ("in_progress", "amber")),
        ("On hold", ("in_progress", "amber")),
        ("Done", ("complete", None)),
        ("Closed", ("complete", None)),
        ("Cancelled", ("withdrawn", None)),
        ("Superseded", ("withdrawn", None)),
        ("Ongoing", ("in_progress", "green")),
        ("Not started", ("not_started", None)),
        ("Complete", ("complete", None)),
    ],
)
def test_status_words_have_a_default_meaning(word, meaning):
    assert default_meaning(word) == meaning


def test_the_preview_lists_each_status_word_and_the_office_changes_its_meaning(session, plan):
    rows = [
        ["S1", "One", "T", "Mar-24", "Slipped", None, "", "31/05/2023"],
        ["S2", "Two", "T", "Mar-24", "slipped", None, "", "31/05/2023"],
        ["S3", "Three", "T", "Mar-24", "Parked", "G", "", "31/05/2023"],
    ]
    refused = preview_of(session, plan, rows)
    assert [(w.text, w.columns, w.rows, w.choice) for w in refused.status_words] == [
        ("G", ["RAG"], 1, "in_progress:green"),
        ("Parked", ["Status"], 1, ""),
        ("Slipped", ["Status"], 2, "in_progress:amber"),
    ]
    assert messages(refused)[0].startswith("row 4, Status: 'Parked' is not a status")
    chosen = {"slipped": ("in_progress", "red"), "parked": ("in_progress", None)}
    preview = preview_of(
        session,
        plan,
        rows,
        status_mapping=chosen,
        corrective_actions={"S1": "Recovery plan agreed.", "S2": "Extra staff."},
    )
    assert preview.errors == []
    apply_import(session, preview)
    assert updates_of(session, plan) == {
        "S1": [(date(2023, 5, 31), "in_progress", "red", "Recovery plan agreed.")],
        "S2": [(date(2023, 5, 31), "in_progress", "red", "Extra staff.")],
        "S3": [(date(2023, 5, 31), "in_progress", "green", "")],
    }


# --- Red without a corrective action ----------------------------------------------------------


def test_red_takes_its_corrective_action_from_the_update_only_when_confirmed(session, plan):
    rows = [
        [
            "R1",
            "One",
            "T",
            "Mar-24",
            "Red",
            None,
            "Late. Corrective action: new supplier.",
            "Jun-23",
        ],
        ["R2", "Two", "T", "Mar-24", "Red", None, "Late.", "Jun-23"],
    ]
    refused = preview_of(session, plan, rows)
    assert messages(refused) == [
        "row 2, Corrective action: a Red rating needs a corrective action: the update proposes "
        "'new supplier.'; confirm it or type another",
        "row 3, Corrective action: a Red rating needs a corrective action: type it in, or add a "
        "Corrective action column to the file",
    ]
    assert [(red.ref, red.proposed) for red in refused.red_rows] == [
        ("R1", "new supplier."),
        ("R2", ""),
    ]
    preview = preview_of(
        session,
        plan,
        rows,
        corrective_from_update=True,
        corrective_actions={"R2": "Escalated to the board."},
    )
    assert preview.errors == []
    apply_import(session, preview)
    assert {ref: found[0][3] for ref, found in updates_of(session, plan).items()} == {
        "R1": "new supplier.",
        "R2": "Escalated to the board.",
    }


def test_a_corrective_action_column_is_used_when_there_is_one(session, plan):
    header = [*HEADER, "Corrective action"]
    rows = [["R1", "One", "T", "Mar-24", "Red", None, "Late.", "Jun-23", "Weekly checks."]]
    preview = preview_of(session, plan, rows, header=header)
    assert preview.errors == [] and preview.red_rows == []


# --- The preview's rows, and refs already in the plan -----------------------------------------


def test_the_preview_shows_each_row_and_the_before_and_after_of_an_existing_ref(session, plan):
    theme = make_theme(session, plan)
    existing = make_action(session, plan, theme, ref="P1", title="Open the hub")
    make_update(session, existing, effective_on=date(2023, 5, 1), stage="in_progress", rag="amber")
    preview = preview_of(session, plan, HISTORY)
    assert preview.errors == []
    shown = {row.ref: row for row in preview.rows}
    assert (shown["P1"].exists, shown["P2"].exists) == (True, False)
    assert (shown["P2"].due, shown["P2"].due_text, shown["P2"].status) == (
        date(2024, 3, 31),
        "2023/24",
        "In progress, Amber",
    )
    (update,) = preview.updates
    assert (update.ref, update.status_before, update.status.label()) == (
        "P1",
        "In progress, Amber",
        "Complete",
    )


# --- Real spreadsheets as they come -----------------------------------------------------------


def test_a_spreadsheet_as_offices_keep_it(session, plan):
    rows = [
        ["Reducing Reoffending Action Plan 2023-26: progress"],
        [],
        HEADER[:2] + HEADER[3:],  # no Theme column: the section rows give it
        ["Theme 1: Prevention"],
        ["A1", "Open the hub", datetime(2024, 3, 31), "Done", None, "Opened.", "Jun-23"],
        [],
        ["A2", "Train the staff", 45382, "Ongoing", None, "On course.", "Jun-23"],
        ["Theme 2: Resettlement"],
        ["A3", "Find housing", "Q3 2023/24", "At risk", None, "Few places.", "Jun-23"],
        ["A4", "Review the scheme", "2023/24", "Cancelled", None, "Superseded.", "Jun-23"],
        ["A5", "Agree a protocol", "31/03/2024", "On hold", None, "Paused.", "Jun-23"],
        [],
        ["Notes: ratings as reported by the leads in June."],
        ["Key:", "G = on track, A = some risk, R = off track"],
    ]
    preview = preview_of(session, plan, rows, header=None, merges=("A1:G1", "A4:G4", "A8:G8"))
    assert preview.errors == [], messages(preview)
    assert preview.row_notes == ["Row 14 ('Key:') is read as a note, not an action"]
    shown = {row.ref: (row.theme, row.due, row.status) for row in preview.rows}
    assert shown == {
        "A1": ("Prevention", date(2024, 3, 31), "Complete"),
        "A2": ("Prevention", date(2024, 3, 31), "In progress, Green"),
        "A3": ("Resettlement", date(2023, 12, 31), "In progress, Amber"),
        "A4": ("Resettlement", date(2024, 3, 31), "Withdrawn"),
        "A5": ("Resettlement", date(2024, 3, 31), "In progress, Amber"),
    }
