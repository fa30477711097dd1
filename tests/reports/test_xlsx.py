import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.reports.render_xlsx import render_xlsx

EXPECTED_FILLS = {
    "green": "C6EFCE",
    "amber_green": "E3EDB5",
    "amber": "FFEB9C",
    "amber_red": "FFD9B5",
    "red": "FFC7CE",
}
SUMMARY_COUNTS = [
    "Actions",
    "Scheduled",
    "Complete",
    "In progress",
    "Not started",
    "Carried forward",
    "Overdue",
]


def open_workbook(report):
    return load_workbook(io.BytesIO(render_xlsx(report)))


def fill_of(cell) -> str:
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else ""


def actions_table(workbook):
    sheet = workbook["Actions"]
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return sheet, header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def summary_table(sheet):
    """The by-theme table: its header and its rows down to and including Total."""
    rows = list(sheet.iter_rows())
    start = next(i for i, row in enumerate(rows) if row[0].value == "Theme")
    header = [cell.value for cell in rows[start] if cell.value is not None]
    body = []
    for row in rows[start + 1 :]:
        body.append(dict(zip(header, row[: len(header)], strict=True)))
        if row[0].value == "Total":
            break
    return header, body


@pytest.fixture
def workbook(demo_report):
    return open_workbook(demo_report)


def test_sheets_and_properties(workbook, demo_report):
    # The 2015-18 plan shows the outcome indicators of its section 5.
    assert workbook.sheetnames == ["Summary", "Actions", "Indicators"]
    assert workbook.properties.title == demo_report.title
    assert workbook.properties.creator == "plantrack"


def test_summary_has_the_headline_and_the_report_details(workbook, demo_report):
    sheet = workbook["Summary"]
    values = [cell.value for row in sheet.iter_rows() for cell in row if cell.value is not None]
    headline = next(v for v in values if isinstance(v, str) and v.startswith("Of the"))
    assert headline == demo_report.headline
    assert "53 actions" in headline and "42 (79%)" in headline
    assert demo_report.title in values and demo_report.plan_title in values
    assert demo_report.board in values
    as_at = next(row[1] for row in sheet.iter_rows() if row[0].value == "As at")
    assert isinstance(as_at.value, datetime) and as_at.value.date() == date(2018, 3, 31)


def test_summary_by_theme_adds_up_to_the_total_row(workbook, demo_report):
    header, body = summary_table(workbook["Summary"])
    assert header == ["Theme", *SUMMARY_COUNTS, "% complete", "Green", "Amber", "Red"]
    *themes, total = body
    assert [row["Theme"].value for row in themes] == [t.title for t in demo_report.themes]
    assert total["Theme"].value == "Total"
    for column in [*SUMMARY_COUNTS, "Green", "Amber", "Red"]:
        assert sum(row[column].value for row in themes) == total[column].value, column
    assert (total["Actions"].value, total["Scheduled"].value, total["Complete"].value) == (
        53,
        53,
        42,
    )
    assert total["Green"].value == demo_report.totals.rag["green"]


def test_percentages_are_numbers_from_the_model_not_formulas(workbook, demo_report):
    _, body = summary_table(workbook["Summary"])
    *themes, total = body
    assert total["% complete"].value == pytest.approx(0.79)
    assert total["% complete"].data_type == "n"
    assert "%" in total["% complete"].number_format
    for row, theme in zip(themes, demo_report.themes, strict=True):
        assert row["% complete"].value == pytest.approx(theme.counts.percent_complete / 100)


def test_summary_prints_the_rag_and_stage_rules(workbook, demo_report):
    sheet = workbook["Summary"]
    by_label = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    for rule in demo_report.rag_rules:
        assert by_label[rule.label][1].value == rule.meaning
        assert fill_of(by_label[rule.label][0]) == EXPECTED_FILLS[rule.key]
    for rule in demo_report.stage_rules:
        assert by_label[rule.label][1].value == rule.meaning


def test_actions_sheet_has_one_row_per_action(workbook, demo_report):
    _, header, rows = actions_table(workbook)
    assert header[:3] == ["Theme", "Ref", "Action"] and "Latest commentary" in header
    assert len(rows) == 53 == len(demo_report.all_actions)
    assert [row["Ref"].value for row in rows] == [a.ref for a in demo_report.all_actions]


def test_actions_sheet_freezes_the_header_and_filters_the_whole_table(workbook):
    sheet, header, rows = actions_table(workbook)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:P{len(rows) + 1}"
    assert len(header) == 16
    assert sheet.column_dimensions["L"].width >= 40
    assert all(row["Latest commentary"].alignment.wrap_text for row in rows)


def test_dates_are_real_dates(workbook, demo_report):
    _, _, rows = actions_table(workbook)
    for row, action in zip(rows, demo_report.all_actions, strict=True):
        due = row["Due date"]
        assert isinstance(due.value, datetime) and due.is_date
        assert due.value.date() == action.due_date
        assert due.number_format == "d mmmm yyyy"
        if action.commentary_date:
            assert row["Commentary date"].value.date() == action.commentary_date


def test_rag_cells_say_the_word_and_are_filled(workbook, demo_report):
    _, _, rows = actions_table(workbook)
    for row, action in zip(rows, demo_report.all_actions, strict=True):
        assert (row["RAG"].value or "") == action.rag_label
        assert fill_of(row["RAG"]) == EXPECTED_FILLS.get(action.rag, "")
    reds = [row for row in rows if row["RAG"].value == "Red"]
    assert reds and all(fill_of(row["RAG"]) == "FFC7CE" for row in reds)


def test_five_point_ratings_get_their_own_fills(demo_report):
    report = demo_report.model_copy(deep=True)
    action = report.all_actions[0]
    action.rag, action.rag_label = "amber_green", "Amber/Green"
    _, _, rows = actions_table(open_workbook(report))
    assert rows[0]["RAG"].value == "Amber/Green"
    assert fill_of(rows[0]["RAG"]) == "E3EDB5"


def test_formulas_are_neutralised_and_ordinary_text_is_not(demo_report):
    report = demo_report.model_copy(deep=True)
    actions = report.all_actions
    actions[0].commentary = '=HYPERLINK("http://evil")'
    actions[1].title = "@SUM(A1)"
    actions[2].lead_role = "-1+2"
    actions[3].lead_role = "\tx"
    actions[4].corrective_action = "+cmd"
    actions[5].commentary = "pasted\x0bfrom Word"
    report.themes[0].title = "=1+1"
    workbook = open_workbook(report)
    _, _, rows = actions_table(workbook)
    hostile = [
        rows[0]["Latest commentary"],
        rows[1]["Action"],
        rows[2]["Lead role"],
        rows[3]["Lead role"],
        rows[4]["Corrective action"],
    ]
    assert [cell.value for cell in hostile] == [
        '\'=HYPERLINK("http://evil")',
        "'@SUM(A1)",
        "'-1+2",
        "'\tx",
        "'+cmd",
    ]
    assert all(cell.data_type == "s" for cell in hostile)
    assert rows[5]["Latest commentary"].value == "pastedfrom Word"
    assert rows[6]["Action"].value == actions[6].title
    _, body = summary_table(workbook["Summary"])
    assert body[0]["Theme"].value == "'=1+1"


def test_the_summary_says_which_date_direction_of_travel_compares_against(workbook, demo_report):
    sheet = workbook["Summary"]
    since = next(row[1] for row in sheet.iter_rows() if row[0].value == "Changes since")
    assert isinstance(since.value, datetime) and since.value.date() == date(2018, 3, 15)
    values = [row[0].value for row in sheet.iter_rows()]
    assert demo_report.comparison_sentence in values
    assert "since 15 March 2018" in demo_report.comparison_sentence


def test_the_rating_table_counts_due_later_and_all(workbook, demo_report):
    sheet = workbook["Summary"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = next(i for i, row in enumerate(rows) if str(row[0]).startswith("RAG rating ("))
    assert rows[start][2:5] == ["In progress and due", "In progress, due later", "All in progress"]
    by_label = {row[0]: row[2:5] for row in rows[start + 1 :] if row[0]}
    assert by_label["Red"] == [1, 0, 1]
    assert by_label["All in progress"] == [11, 0, 11]
