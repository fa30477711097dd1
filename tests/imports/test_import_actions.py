"""Importing a plan's actions: the messy spreadsheet, every bad row's message, all or nothing."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

import app.imports.actions as import_actions
from app.core.models import (
    Action,
    ActionPartner,
    AuditEvent,
    Organisation,
    Person,
    Plan,
    StatusUpdate,
    Theme,
)
from app.imports import (
    FIELDS,
    ImportRefused,
    apply_import,
    import_template_xlsx,
    plan_import,
    propose_mapping,
    read_table,
    validate_rows,
)
from tests.factories import make_action, make_organisation, make_plan, make_theme, make_update
from tests.imports.workbooks import messy_workbook, with_cached_formula_value, xlsx

IMPORT_DAY = date(2020, 4, 1)


@pytest.fixture
def plan(session) -> Plan:
    return make_plan(session, slug="reducing-reoffending-2019-20", rag_scheme="rag3")


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (
            Plan,
            Theme,
            Action,
            ActionPartner,
            StatusUpdate,
            Organisation,
            Person,
            AuditEvent,
        )
    }


def run_import(session: Session, plan: Plan, filename: str, data: bytes, **options):
    preview = plan_import(
        session, plan=plan, table=read_table(filename, data), effective_on=IMPORT_DAY, **options
    )
    assert preview.errors == [], [str(e) for e in preview.errors]
    return preview, apply_import(session, preview)


def imported(session: Session, plan: Plan) -> dict[str, dict]:
    result = {}
    actions = session.exec(select(Action).where(Action.plan_id == plan.id)).all()
    for action in actions:
        theme = session.get(Theme, action.theme_id)
        organisation = (
            session.get(Organisation, action.lead_organisation_id)
            if action.lead_organisation_id
            else None
        )
        person = session.get(Person, action.lead_person_id) if action.lead_person_id else None
        partners = session.exec(
            select(Organisation.short_name)
            .join(ActionPartner, ActionPartner.organisation_id == Organisation.id)
            .where(ActionPartner.action_id == action.id)
        ).all()
        updates = session.exec(
            select(StatusUpdate).where(StatusUpdate.action_id == action.id)
        ).all()
        result[action.ref] = dict(
            theme=theme.title,
            title=action.title,
            lead=(
                organisation.short_name if organisation else None,
                person.role if person else None,
            ),
            partners=sorted(partners),
            due=(action.due_date, action.due_label),
            updates=[
                (u.effective_on, u.stage, u.rag, u.commentary, u.corrective_action) for u in updates
            ],
        )
    return result


def test_a_messy_real_looking_spreadsheet_imports_correctly(session, plan):
    data = with_cached_formula_value(messy_workbook(), "H16", "Seen by the Board in March.")
    preview, result = run_import(session, plan, "RRB progress March 2020.xlsx", data)
    assert (result.created, result.updated, result.status_updates) == (7, 0, 6)
    assert preview.new_themes == ["Young people", "Women offenders"]
    assert preview.new_organisations == ["Brand New Charity"]
    assert ("NPS", "Head of Women's Services") in preview.new_people

    actions = imported(session, plan)
    assert actions["RR1"] == dict(
        theme="Young people",
        title="Review the youth triage scheme",
        lead=("StaffsYOS", "YOS Manager"),
        partners=["Police", "SoTYOS"],
        due=(date(2020, 3, 31), ""),  # text date, UK order
        updates=[(IMPORT_DAY, "complete", None, "Triage reviewed and re-launched.", "")],
    )
    assert actions["RR2"]["due"] == (date(2020, 3, 31), "")  # an Excel serial number
    assert actions["RR2"]["updates"][0][1:3] == ("complete", None)  # "Completed"
    assert actions["RR3"]["due"] == (date(2020, 6, 30), "")  # a real date
    assert actions["RR3"]["updates"][0][1:3] == ("in_progress", "green")  # "On track"
    assert actions["RR4"]["theme"] == "Women offenders"
    assert actions["RR4"]["due"] == (date(2020, 3, 31), "Q4 2019/20")
    assert actions["RR4"]["partners"] == ["Brand New Charity", "SoTCC"]
    assert actions["RR4"]["updates"][0][1:3] == ("in_progress", "amber")
    assert actions["RR5"]["lead"] == ("Brand New Charity", "Project Lead")
    assert actions["RR5"]["due"] == (date(2021, 3, 31), "March 2021")
    assert actions["RR5"]["updates"] == []  # not started, nothing said: no update
    assert actions["RR6"]["updates"] == [
        (
            IMPORT_DAY,
            "in_progress",
            "red",
            "Funding decision delayed.",
            "Bid resubmitted to the OPCC fund.",
        )
    ]
    # The formula's cached value is stored, never the formula and never a fresh result.
    assert actions["RR7"]["updates"][0][1:4] == (
        "in_progress",
        "green",
        "Seen by the Board in March.",
    )
    assert (
        session.exec(
            select(AuditEvent).where(AuditEvent.verb == "import", AuditEvent.entity_id == plan.id)
        )
        .one()
        .summary.startswith("Imported RRB progress March 2020.xlsx: 7 actions created")
    )


def test_an_uncalculated_formula_stores_nothing(session, plan):
    run_import(session, plan, "progress.xlsx", messy_workbook())
    assert imported(session, plan)["RR7"]["updates"][0][3] == ""


def test_reimporting_the_same_file_changes_nothing(session, plan):
    data = messy_workbook()
    run_import(session, plan, "progress.xlsx", data)
    counts = row_counts(session)
    again = plan_import(
        session,
        plan=plan,
        table=read_table("progress.xlsx", data),
        effective_on=date(2020, 4, 2),
    )
    assert again.errors == []
    assert again.changes_nothing
    assert len(again.unchanged) == 7
    assert apply_import(session, again).status_updates == 0
    assert row_counts(session) == counts


def test_existing_actions_are_matched_by_ref_and_blank_cells_change_nothing(session, plan):
    theme = make_theme(session, plan, title="Young people")
    existing = make_action(
        session,
        plan,
        theme,
        ref="RR1",
        title="Review triage",
        description="Kept as it is.",
        due_date=date(2020, 3, 31),
        due_label="Q4 2019/20",
    )
    make_update(
        session,
        existing,
        effective_on=date(2020, 1, 10),
        stage="in_progress",
        rag="amber",
        commentary="Started.",
    )
    data = xlsx(
        [
            ["Ref", "Title", "Due", "Status", "Description"],
            ["RR1", "Review the youth triage scheme", "31/03/2020", "Complete", None],
        ]
    )
    preview, result = run_import(session, plan, "update.xlsx", data)
    assert (result.created, result.updated, result.status_updates) == (0, 1, 1)
    (change,) = preview.updates
    assert change.changes == {"title": ("Review triage", "Review the youth triage scheme")}
    session.refresh(existing)
    assert existing.description == "Kept as it is."
    assert (existing.due_date, existing.due_label) == (date(2020, 3, 31), "Q4 2019/20")
    assert imported(session, plan)["RR1"]["updates"][-1][1] == "complete"


GOOD_ROW = [
    "Young people",
    "A1",
    "Review triage",
    "StaffsYOS",
    "YOS Manager",
    "31/03/2020",
    "In progress",
    "Green",
    "Going well.",
    "",
]
HEADER = [
    "Theme",
    "Ref",
    "Title",
    "Lead organisation",
    "Lead role",
    "Due",
    "Status",
    "RAG",
    "Commentary",
    "Corrective action",
]


def bad_file(**cells) -> bytes:
    """A header, one good row, blank rows, and on row 14 a row with ``cells`` changed."""
    row = dict(zip(HEADER, GOOD_ROW, strict=True)) | {"Ref": "A2"} | cells
    rows = [HEADER, GOOD_ROW] + [[]] * 11 + [[row[name] for name in HEADER]]
    return xlsx(rows)


@pytest.mark.parametrize(
    "cells, message",
    [
        ({"Due": "31/13/2018"}, "row 14, Due: '31/13/2018' is not a date"),
        ({"Due": "soon"}, "row 14, Due: 'soon' is not a date"),
        ({"Due": "Q4 2017/19"}, "row 14, Due: 'Q4 2017/19' is not a date"),
        ({"Due": 12}, "row 14, Due: '12' is not a date"),
        ({"Due": None}, "row 14, Due: a new action needs a due date"),
        ({"Title": None}, "row 14, Title: a new action needs a title"),
        ({"Theme": None}, "row 14, Theme: a new action needs a theme"),
        ({"Ref": None}, "row 14, Ref: every action needs a ref"),
        ({"Ref": "A1"}, "row 14, Ref: 'A1' is also on row 2"),
        ({"Ref": "A" * 31}, f"row 14, Ref: '{'A' * 31}' is longer than 30 characters"),
        ({"Title": "x" * 501}, f"row 14, Title: '{'x' * 20}...' is longer than 500 characters"),
        (
            {"Status": "Finished-ish", "RAG": None},
            "row 14, Status: 'Finished-ish' is not a status plantrack understands (use Not started, "
            "In progress, Complete, Withdrawn or Carried forward, or a rating such as On track, "
            "Amber or Red)",
        ),
        (
            {"Status": "Red", "RAG": None},
            "row 14, Corrective action: a Red rating needs a corrective action",
        ),
        (
            {"Status": "Off track", "RAG": None},
            "row 14, Corrective action: a Red rating needs a corrective action",
        ),
        ({"RAG": "Purple"}, "row 14, RAG: 'Purple' is not a RAG rating"),
        (
            {"Status": "Complete"},
            "row 14, RAG: 'Green' is a rating, but only an action in progress is rated "
            "(the Status is 'Complete')",
        ),
        ({"Status": "Amber"}, "row 14, RAG: 'Green' disagrees with the Status 'Amber'"),
        (
            {"RAG": "Amber/Green"},
            "row 14, RAG: 'Amber/Green' is not a rating of this plan's scheme (Green, Amber, Red)",
        ),
        ({"Lead organisation": None}, "row 14, Lead role: give the lead organisation too"),
    ],
    ids=[
        "impossible date",
        "not a date",
        "wrong financial year",
        "tiny serial",
        "no due date",
        "no title",
        "no theme",
        "no ref",
        "duplicate ref",
        "long ref",
        "long title",
        "unknown status",
        "red without corrective action",
        "off track without corrective action",
        "unknown rating",
        "rating of a complete action",
        "status and rating disagree",
        "rating outside the scheme",
        "lead role without organisation",
    ],
)
def test_each_bad_row_gets_its_message(session, plan, cells, message):
    errors = validate_rows(session, plan, read_table("bad.xlsx", bad_file(**cells)))
    assert [str(error) for error in errors] == [message]


def test_organisations_and_roles_are_matched_as_every_name_is(session, plan):
    """Ignoring case and runs of spaces, by short or full name (app.domain.people)."""
    charity = make_organisation(session, short_name="NC", name="New Charity")
    session.add(Person(organisation_id=charity.id, role="Project Lead"))
    session.flush()
    counts = row_counts(session)
    row = ["Young people", "A1", "Review triage", "new  CHARITY", "project lead", "31/03/2020"]
    data = xlsx([HEADER[:6] + ["Partners"], row + ["nc, New Charity, Police"]])
    preview, _result = run_import(session, plan, "names.xlsx", data)
    assert (preview.new_organisations, preview.new_people) == ([], [])
    assert imported(session, plan)["A1"]["lead"] == ("NC", "Project Lead")
    assert imported(session, plan)["A1"]["partners"] == ["NC", "Police"]
    assert row_counts(session)["organisation"] == counts["organisation"]
    assert row_counts(session)["person"] == counts["person"]


def test_start_after_due_is_named(session, plan):
    data = xlsx([HEADER + ["Start"], GOOD_ROW + ["01/04/2021"]])
    errors = validate_rows(session, plan, read_table("bad.xlsx", data))
    assert [str(e) for e in errors] == ["row 2, Start: 2021-04-01 is after the due date 2020-03-31"]


def test_every_problem_is_listed_not_just_the_first(session, plan):
    data = xlsx(
        [
            HEADER,
            GOOD_ROW[:5] + ["31/13/2018", "Finito", None, "", ""],
            ["", "A3", "", "", "", "", "", "", "", ""],
        ]
    )
    errors = [str(e) for e in validate_rows(session, plan, read_table("bad.xlsx", data))]
    assert errors[:2] == [
        "row 2, Due: '31/13/2018' is not a date",
        "row 2, Status: 'Finito' is not a status plantrack understands (use Not started, In "
        "progress, Complete, Withdrawn or Carried forward, or a rating such as On track, Amber "
        "or Red)",
    ]
    assert "row 3, Title: a new action needs a title" in errors


def test_a_file_without_a_ref_column_is_refused(session, plan):
    data = xlsx([["Theme", "Title", "Due"], ["T", "Do it", "31/03/2020"]])
    (error,) = validate_rows(session, plan, read_table("noref.xlsx", data))
    assert str(error) == (
        "no column holds the Ref, which matches each row to its action "
        "(the file's columns: Theme, Title, Due)"
    )


def test_a_failed_import_leaves_the_database_unchanged(session, plan):
    counts = row_counts(session)
    preview = plan_import(session, plan=plan, table=read_table("bad.xlsx", bad_file(Due="x")))
    assert len(preview.errors) == 1
    with pytest.raises(ImportRefused, match="nothing was imported: row 14, Due: 'x' is not a date"):
        apply_import(session, preview)
    assert row_counts(session) == counts


def test_a_failure_while_writing_undoes_every_row(session, plan, monkeypatch):
    counts = row_counts(session)
    preview = plan_import(session, plan=plan, table=read_table("ok.xlsx", messy_workbook()))
    assert not preview.errors

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(import_actions, "record_event", fail)  # the last write of all
    with pytest.raises(RuntimeError):
        apply_import(session, preview)
    assert row_counts(session) == counts


def test_csv_imports_too(session, plan):
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        ["Priority", "Ref", "Action", "Owner", "Agency", "Timescale", "Progress", "Comments"]
    )
    writer.writerow(
        [
            "Housing",
            "H1",
            "Agree a protocol",
            "Head of Housing",
            "SCC",
            "Q2 2019/20",
            "Done",
            "=1+1",
        ]
    )
    writer.writerow(
        [
            "Housing",
            "H2",
            "Fund a navigator",
            "Commissioning Manager",
            "OPCC",
            "2019-12-31",
            "At risk",
            "Recruitment delayed.",
        ]
    )
    preview, result = run_import(session, plan, "plan.csv", output.getvalue().encode())
    assert (result.created, result.status_updates) == (2, 2)
    actions = imported(session, plan)
    assert actions["H1"]["lead"] == ("SCC", "Head of Housing")
    assert actions["H1"]["due"] == (date(2019, 9, 30), "Q2 2019/20")
    # Text that looks like a formula is kept as text: nothing is evaluated.
    assert actions["H1"]["updates"][0][1:4] == ("complete", None, "=1+1")
    assert actions["H2"]["updates"][0][1:4] == ("in_progress", "amber", "Recruitment delayed.")


def test_rows_below_a_long_run_of_empty_rows_are_not_imported_and_the_preview_says_so(
    session, plan
):
    rows = [
        ["Ref", "Theme", "Action", "Due", "Status"],
        ["S1", "Housing", "Read this one", "2020-03-31", "Complete"],
        *[[None] * 5 for _ in range(1_000)],
        ["S2", "Housing", "Left below the gap", "2020-03-31", "Complete"],
    ]
    before = row_counts(session)
    preview, result = run_import(session, plan, "gap.xlsx", xlsx(rows))
    assert [change.ref for change in preview.creates] == ["S1"]
    assert result.created == 1
    assert (
        "Note: Reading stopped at row 1,003 of sheet 'Action plan': the 1,000 rows after row 2 "
        "are empty, so anything below them was not read."
    ) in "\n".join(preview.describe())
    assert row_counts(session)["action"] == before["action"] + 1


def test_the_office_can_change_the_proposed_mapping(session, plan):
    data = xlsx(
        [
            ["Ref", "Title", "Due", "Notes", "Area"],
            ["A1", "Do it", "31/03/2020", "internal", "Housing"],
        ]
    )
    table = read_table("x.xlsx", data)
    mapping = propose_mapping(table.headers)
    assert mapping["commentary"] == 3
    assert "theme" not in mapping
    del mapping["commentary"]  # the office says Notes are not for import...
    mapping["theme"] = 4  # ...and Area is the theme
    preview = plan_import(session, plan=plan, table=table, mapping=mapping)
    assert preview.errors == []
    assert (preview.creates[0].theme, preview.creates[0].status) == ("Housing", None)
    both = plan_import(session, plan=plan, table=table, mapping=mapping | {"title": 4})
    assert [str(e) for e in both.errors] == ["column 'Area' is mapped to both Title and Theme"]


def test_the_template_has_every_column_and_reads_back_as_its_own_mapping():
    content = import_template_xlsx()
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    headers = [cell.value for cell in workbook["Actions"][1]]
    assert headers == [
        "Theme",
        "Ref",
        "Title",
        "Description",
        "Lead organisation",
        "Lead role",
        "Partners",
        "Start",
        "Due",
        "Stage",
        "RAG",
        "Latest commentary",
        "Corrective action",
    ]
    assert "How to fill in" in workbook.sheetnames
    table = read_table("template.xlsx", content)
    assert table.rows == []
    assert propose_mapping(table.headers) == {name: i for i, name in enumerate(FIELDS)}


def test_a_filled_in_template_imports(session, plan):
    workbook = openpyxl.load_workbook(io.BytesIO(import_template_xlsx()))
    workbook["Actions"].append(
        [
            "Reducing reoffending",
            "RR1",
            "Open a hub",
            "Hub description",
            "OPCC",
            "Commissioning Manager",
            "Police, NPS",
            "April 2019",
            "Q4 2019/20",
            "In progress",
            "Red",
            "Delayed.",
            "New site found.",
        ]
    )
    output = io.BytesIO()
    workbook.save(output)
    _preview, result = run_import(session, plan, "filled.xlsx", output.getvalue())
    assert result.created == 1
    action = session.exec(select(Action).where(Action.plan_id == plan.id)).one()
    assert (action.start_date, action.due_date) == (date(2019, 4, 1), date(2020, 3, 31))


# --- The command ------------------------------------------------------------------------------


def test_the_command_previews_an_import_and_writes_the_template(plantrack, tmp_path):
    spreadsheet = tmp_path / "progress.xlsx"
    spreadsheet.write_bytes(messy_workbook())
    result = plantrack(
        "import", "actions", "--plan", "reducing-offending-2015-18", str(spreadsheet), "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "  Lead Officer (role) -> Lead role" in result.stdout
    assert "Create (7):" in result.stdout
    assert result.stdout.rstrip().endswith("Dry run: nothing was written.")

    template = tmp_path / "template.xlsx"
    result = plantrack("import", "template", "-o", str(template))
    assert result.returncode == 0, result.stderr
    assert read_table("template.xlsx", template.read_bytes()).headers[0] == "Theme"


def test_the_command_lists_the_problems_and_exits_2(plantrack, tmp_path):
    spreadsheet = tmp_path / "bad.xlsx"
    spreadsheet.write_bytes(bad_file(Due="31/13/2018"))
    result = plantrack("import", "actions", "--plan", "reduced-offending-2018-21", str(spreadsheet))
    assert result.returncode == 2
    assert "  row 14, Due: '31/13/2018' is not a date" in result.stdout
    assert result.stderr.strip() == "Error: 1 problems found: nothing was imported"

    picture = tmp_path / "chart.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    result = plantrack("import", "actions", "--plan", "reduced-offending-2018-21", str(picture))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: 'chart.xlsx' is not a spreadsheet")
