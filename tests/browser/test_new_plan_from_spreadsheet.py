"""The office starts a partnership's plan from the spreadsheet it really keeps, in the browser.

The workbook is built here with every kind of mess an office's tracker has: a merged title row,
section rows for themes (merged across the sheet), blank rows, a key and a note below the table;
due dates as real dates, Excel serial numbers, "Mar-25", "31/03/2026", "Q3 2025/26" and
"2029/30"; status words beyond the standard ones; a "Last updated" column that dates most rows
and leaves some blank; Red ratings with a corrective action in its own column, one written into
the update ("corrective action: ...") and one with none; and a formula Excel never calculated.

The office creates the plan (details first, then the spreadsheet), confirms how each column and
each status word is read, types the missing corrective action, takes the formula's text, and
imports. The figures are then checked as at a date before the import, from the history the
sheet held, and as at today: worked out by hand below, not by plantrack.
"""

import io
import json
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from tests.browser.helpers import ADMIN, assert_accessible

pytestmark = pytest.mark.browser

SLUG = "youth-justice-2024-30"
TITLE = "Youth Justice Partnership Plan 2024-30"
KEY_DATE = date(2025, 6, 30)  # before the import (today): the sheet's history answers

HEADER = [
    "Ref",
    "Action",
    "Lead agency",
    "Lead officer",
    "Timescale",
    "Status",
    "RAG",
    "Last updated",
    "Latest update",
    "Corrective action",
]


def tracker_workbook() -> bytes:
    """The partnership's tracker as it is kept: see the module's docstring."""
    rows = [
        ["Youth Justice Partnership Plan 2024-30: progress tracker"],
        [],
        HEADER,
        ["Priority 1: Prevention"],
        [
            "YJ1",
            "Launch the early help offer",
            "YOS",
            "YOS Manager",
            datetime(2024, 9, 30),
            "Done",
            None,
            datetime(2024, 10, 15),
            "Launched in October.",
            None,
        ],
        [
            "YJ2",
            "Train school staff in trauma-informed practice",
            "Council",
            "Head of Education Safeguarding",
            45747,
            "Ongoing",
            "G",
            "30/06/2025",
            "Two of five cohorts trained.",
            None,
        ],
        [],
        [
            "YJ3",
            "Divert first-time entrants at the point of arrest",
            "Police",
            "Head of Criminal Justice",
            "Mar-25",
            "Slipped",
            None,
            datetime(2025, 9, 30),
            "Scheme paused for a review.",
            None,
        ],
        [
            "YJ10",
            "Publish the prevention pathway",
            "YOS",
            "YOS Manager",
            "30/09/2025",
            "Closed",
            None,
            datetime(2025, 10, 1),
            "Published.",
            None,
        ],
        ["Priority 2: Reducing reoffending"],
        [
            "YJ4",
            "Commission a mentoring service",
            "OPCC",
            "Commissioning Manager",
            "31/03/2026",
            "Off track",
            None,
            datetime(2026, 6, 30),
            "No bidder met the spec.",
            "Re-specify and re-tender by the autumn.",
        ],
        [
            "YJ5",
            "Open a resettlement hub",
            "Probation",
            "Head of Resettlement",
            "Q3 2025/26",
            "Delayed",
            "Red",
            datetime(2026, 9, 30),
            "Provider withdrew. Corrective action: interim service from the YOS by January.",
            None,
        ],
        [
            "YJ6",
            "Evaluate the resettlement pathway",
            "University",
            "Research Lead",
            "2029/30",
            "Behind",
            None,
            None,
            "Evaluation not yet commissioned.",
            None,
        ],
        [
            "YJ7",
            "Run a restorative justice pilot",
            "YOS",
            "YOS Manager",
            "Q4 2026/27",
            "Cancelled",
            None,
            datetime(2025, 1, 31),
            "Replaced by the county scheme.",
            None,
        ],
        [
            "YJ8",
            "Review the reparation panel",
            "YOS",
            "YOS Manager",
            "Mar-27",
            "Superseded",
            None,
            None,
            None,
            None,
        ],
        [
            "YJ9",
            "Extend the out-of-court disposal scheme",
            "Police",
            "Head of Criminal Justice",
            datetime(2026, 6, 30),
            "On hold",
            None,
            None,
            "Waiting for the Home Office guidance.",
            None,
        ],
        [
            "YJ11",
            "Report to the board each quarter",
            "OPCC",
            "Commissioning Manager",
            46112,
            "At risk",
            None,
            None,
            '=CONCATENATE("Reported to the ","March board")',
            None,
        ],
        [],
        ["Key:", "G = on track; A = at risk; R = off track"],
        ["Source: the YOS partnership tracker, kept by the commissioner's office"],
    ]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tracker"
    for row in rows:
        sheet.append(row)
    for cells in ("A1:J1", "A4:J4", "A10:J10"):
        sheet.merge_cells(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def progress(page, as_at: date) -> dict:
    response = page.request.get(f"/api/v1/plans/{SLUG}/progress?as_at={as_at.isoformat()}")
    assert response.ok, response.text()
    return json.loads(response.text())


def test_the_office_creates_a_plan_from_its_messy_tracker_and_sees_its_history(new_context):
    page = new_context(ADMIN).new_page()

    # Page 1: the plan's details. Its themes come from the spreadsheet.
    page.goto("/plans/new")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Short name").fill(SLUG)
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("4")
    start.get_by_label("Year").fill("2024")
    end = page.get_by_role("group", name="End date")
    end.get_by_label("Day").fill("31")
    end.get_by_label("Month").fill("3")
    end.get_by_label("Year").fill("2030")
    page.get_by_label("Owning board").select_option("RRB")
    assert page.get_by_label("Import them from a spreadsheet, on the next page").is_checked()
    page.get_by_role("button", name="Create the plan").click()

    # Page 2: the spreadsheet.
    page.wait_for_url(f"**/plans/{SLUG}/import?new=1")
    assert "step 2 of 2" in page.locator(".govuk-caption-l").inner_text()
    assert page.locator("#empty-plan").is_visible()
    page.locator("#file").set_input_files(
        files=[
            {
                "name": "YOS tracker.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": tracker_workbook(),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url(f"**/plans/{SLUG}/import/preview")

    # The first look: the columns read, every status word with what it is taken to mean, the
    # formula named, and no import offered until the date and the rest are chosen.
    assert page.get_by_label("Last updated", exact=True).input_value() == "effective"
    assert page.get_by_label("Timescale", exact=True).input_value() == "due"
    words = {
        "Done": "complete",
        "Ongoing": "in_progress:green",
        "Slipped": "in_progress:amber",
        "Closed": "complete",
        "Off track": "in_progress:red",
        "Delayed": "in_progress:amber",
        "Behind": "in_progress:amber",
        "Cancelled": "withdrawn",
        "Superseded": "withdrawn",
        "On hold": "in_progress:amber",
        "At risk": "in_progress:amber",
    }
    for word, meaning in words.items():
        assert (
            page.locator("#statuses")
            .locator("xpath=following::table[1]")
            .get_by_label(word, exact=True)
            .input_value()
            == meaning
        ), word
    errors = page.locator(".govuk-error-summary").inner_text()
    examples = page.locator("#columns").locator("xpath=following::table[1]").inner_text()
    assert "Launch the early help offer" in examples  # the first action, not a section row
    assert "I17" in errors and "formula" in errors, errors
    assert page.get_by_role("button", name="Import: create 11, update 0").count() == 0
    assert_accessible(page, "the import preview with problems")

    # The office decides: "Delayed" and "Behind" are Red on this board (the sheet's RAG column
    # already says Red beside "Delayed"); statuses without a date of their own took effect at
    # the plan's start; the formula's text is taken as written.
    assert "row 12, RAG: 'Red' disagrees with the Status 'Delayed'" in errors
    page.get_by_label("Delayed", exact=True).select_option("in_progress:red")
    page.get_by_label("Behind", exact=True).select_option("in_progress:red")
    page.get_by_label("The plan's start, 1 April 2024").check()
    page.get_by_label("formula", exact=False).check()
    page.get_by_role("button", name="Check again with these columns").click()

    # Now a Red without a corrective action is asked for; the update's own is proposed.
    proposed = page.locator("#corrective-YJ5")
    assert proposed.input_value() == "interim service from the YOS by January."
    assert page.locator("#corrective-YJ4").count() == 0  # its own column gave one
    missing = page.locator("#corrective-YJ6")
    assert missing.input_value() == ""
    missing.fill("Commission the evaluation through the OPCC fund by June.")
    page.get_by_role("button", name="Check again with these columns").click()

    # Each row as read, with the cell's own text beside the date it became.
    rows = page.locator("#rows").locator("xpath=following::table[1]")
    for ref, due, text in (
        ("YJ2", "31 March 2025", None),  # the serial 45747
        ("YJ3", "31 March 2025", "Mar-25"),
        ("YJ5", "31 December 2025", "Q3 2025/26"),
        ("YJ6", "31 March 2030", "2029/30"),
        ("YJ4", "31 March 2026", "31/03/2026"),
    ):
        cells = rows.locator("tr", has=page.locator("td", has_text=ref).first).first.inner_text()
        assert due in cells, (ref, cells)
        if text:
            assert f"“{text}”" in cells, (ref, cells)
    assert page.locator(".govuk-error-summary").count() == 0, page.locator(
        ".govuk-error-summary"
    ).inner_text()
    dry_run = page.locator("#dry-run").locator("xpath=..").inner_text()
    assert "New themes: Prevention, Reducing reoffending" in dry_run
    assert_accessible(page, "the import preview ready to import")
    page.get_by_role("button", name="Import: create 11, update 0").click()
    page.wait_for_url(f"**/plans/{SLUG}?imported=11&updated=0")

    # As at a date before the import: the history the sheet held, not 0% and not all new.
    before = progress(page, KEY_DATE)
    assert (before["scheduled"], before["complete"], before["in_progress"]) == (3, 1, 1)
    assert (before["not_started"], before["overdue"], before["percent_complete"]) == (1, 2, 33)
    assert before["withdrawn"] == 2  # YJ7 cancelled in January 2025, YJ8 from the start
    page.goto(f"/plans/{SLUG}?as_at={KEY_DATE.isoformat()}")
    assert "Of the 3 actions scheduled for delivery by 30 June 2025, 1 (33%)" in page.content()

    # As at today: every status the sheet held, from the dates it gave.
    today = date.today()
    now = progress(page, today)
    assert (now["scheduled"], now["complete"], now["in_progress"]) == (8, 2, 6)
    assert (now["overdue"], now["percent_complete"], now["withdrawn"]) == (6, 25, 2)
    page.goto(f"/plans/{SLUG}?as_at={today.isoformat()}")
    assert "Of the 8 actions scheduled for delivery by" in page.content()
    assert "2 (25%)" in page.content()

    # The Red ratings carry their corrective actions, as typed, proposed or given.
    page.goto(f"/plans/{SLUG}/reports/appendix?as_at={today.isoformat()}")
    appendix = page.content()
    for text in (
        "Re-specify and re-tender by the autumn.",
        "interim service from the YOS by January.",
        "Commission the evaluation through the OPCC fund by June.",
    ):
        assert text in appendix, text
