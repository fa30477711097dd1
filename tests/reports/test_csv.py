import csv
import io
from datetime import date

import pytest

from app.reports.render_csv import render_csv
from app.reports.safety import neutralise, spreadsheet_text

HEADER = [
    "Plan",
    "As at (ISO)",
    "Changes since (ISO)",
    "Theme",
    "Ref",
    "Action",
    "Lead organisation",
    "Lead role",
    "Due (as stated)",
    "Due date (ISO)",
    "Stage",
    "RAG",
    "Overdue",
    "Direction of travel",
    "Latest commentary",
    "Commentary date (ISO)",
    "Corrective action",
    "Carried forward from",
    "Carried forward to",
]


def read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+cmd", "'+cmd"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Referrals on target", "Referrals on target"),
        ("1-2 = 3", "1-2 = 3"),
        ("'already quoted", "'already quoted"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_a_control_character_cannot_hide_a_formula():
    assert spreadsheet_text("\x00=1+1") == "'=1+1"
    assert spreadsheet_text("line\x0bbreak") == "linebreak"


def test_csv_is_utf8_with_bom_and_the_agreed_header(demo_report):
    data = render_csv(demo_report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER


def test_one_row_per_action_in_theme_order(demo_report):
    rows = read(render_csv(demo_report))
    assert len(rows) == 53 == len(demo_report.all_actions)
    assert [(r["Theme"], r["Ref"]) for r in rows] == [
        (a.theme, a.ref) for a in demo_report.all_actions
    ]
    for theme in demo_report.themes:
        assert sum(r["Theme"] == theme.title for r in rows) == theme.counts.total
    assert sum(theme.counts.total for theme in demo_report.themes) == demo_report.totals.total


def test_the_rows_carry_the_headline_figures(demo_report):
    rows = read(render_csv(demo_report))
    scheduled = [r for r in rows if date.fromisoformat(r["Due date (ISO)"]) <= demo_report.as_at]
    complete = [r for r in scheduled if r["Stage"] == "Complete"]
    assert (len(scheduled), len(complete), round(100 * len(complete) / len(scheduled))) == (
        53,
        42,
        79,
    )
    assert "53" in demo_report.headline and "42 (79%)" in demo_report.headline


def test_cells_match_the_model(demo_report):
    rows = read(render_csv(demo_report))
    for row, action in zip(rows, demo_report.all_actions, strict=True):
        assert row["RAG"] == action.rag_label
        assert row["Stage"] == action.stage_label
        assert row["Overdue"] == ("Yes" if action.overdue else "No")
        assert date.fromisoformat(row["Due date (ISO)"]) == action.due_date
        assert row["Due (as stated)"] == action.due_label
        assert row["Latest commentary"] == action.commentary
        expected_date = action.commentary_date.isoformat() if action.commentary_date else ""
        assert row["Commentary date (ISO)"] == expected_date
    assert any(row["RAG"] == "Red" for row in rows)
    assert any(row["Corrective action"] for row in rows if row["RAG"] == "Red")


def hostile_copy(report):
    report = report.model_copy(deep=True)
    actions = report.all_actions
    actions[0].commentary = '=HYPERLINK("http://evil")'
    actions[1].title = "@SUM(A1)"
    actions[2].lead_role = "-1+2"
    actions[3].lead_role = "\tx"
    actions[4].corrective_action = "+cmd"
    actions[5].title = 'Café review – phase 2, "pilot"\nsecond line'
    return report


def test_formulas_are_neutralised_and_ordinary_text_is_not(demo_report):
    report = hostile_copy(demo_report)
    rows = read(render_csv(report))
    assert rows[0]["Latest commentary"] == '\'=HYPERLINK("http://evil")'
    assert rows[1]["Action"] == "'@SUM(A1)"
    assert rows[2]["Lead role"] == "'-1+2"
    assert rows[3]["Lead role"] == "'\tx"
    assert rows[4]["Corrective action"] == "'+cmd"
    assert rows[5]["Action"] == 'Café review – phase 2, "pilot"\nsecond line'
    assert rows[6]["Action"] == report.all_actions[6].title
    assert not rows[6]["Action"].startswith("'")


def test_every_row_carries_the_plan_the_as_at_date_and_the_comparison_date(demo_report):
    rows = read(render_csv(demo_report))
    assert {(r["Plan"], r["As at (ISO)"], r["Changes since (ISO)"]) for r in rows} == {
        ("reducing-offending-2015-18", "2018-03-31", "2018-03-15")
    }
