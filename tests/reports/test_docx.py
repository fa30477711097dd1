import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from app.reports.appendix import PlanLink
from app.reports.render_docx import render_docx

ACTION_HEADER = [
    "Ref",
    "Action",
    "Lead",
    "Due",
    "Stage",
    "RAG",
    "Direction",
    "Latest commentary",
    "Corrective action",
]
EXPECTED_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}


def open_document(report):
    return Document(io.BytesIO(render_docx(report)))


@pytest.fixture
def document(demo_report):
    return open_document(demo_report)


def header_of(table: Table) -> list[str]:
    return [cell.text for cell in table.rows[0].cells]


def shading_of(cell) -> str:
    shading = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return shading.get(qn("w:fill")) if shading is not None else ""


def body_in_order(document):
    """Paragraphs and tables as they come, each paragraph with the section it ends, if any."""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)


def action_tables(document) -> list[Table]:
    return [table for table in document.tables if header_of(table) == ACTION_HEADER]


def test_properties(document, demo_report):
    properties = document.core_properties
    assert properties.title == demo_report.title
    assert properties.author == "plantrack"
    assert properties.language == "en-GB"


def test_title_details_and_headline(document, demo_report):
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == demo_report.title
    texts = [p.text for p in paragraphs]
    assert demo_report.headline in texts
    assert "53 actions" in demo_report.headline and "42 (79%)" in demo_report.headline
    details = next(text for text in texts if text.startswith("Plan:"))
    for value in (demo_report.plan_title, demo_report.board, demo_report.as_at_text):
        assert value in details


def test_sections_and_themes_are_word_headings(document, demo_report):
    headings = {}
    for paragraph in document.paragraphs:
        headings.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert headings["Heading 2"][: len(demo_report.themes)] == [t.title for t in demo_report.themes]
    for section in (
        "Progress by theme",
        "Actions by theme",
        f"Completed since {demo_report.since_text}",
        "Carried forward",
    ):
        assert section in headings["Heading 1"]
    assert any(name.startswith("RAG ratings") for name in headings["Heading 1"])


def test_summary_table_adds_up_to_the_total_row(document, demo_report):
    table = document.tables[0]
    assert table.style.name == "Table Grid"
    header = header_of(table)
    assert header == [
        "Theme",
        "Actions",
        "Scheduled",
        "Complete",
        "In progress",
        "Not started",
        "Carried forward",
        "Overdue",
        "% complete",
        "Green",
        "Amber",
        "Red",
    ]
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    *themes, total = rows
    assert [row[0] for row in themes] == [t.title for t in demo_report.themes]
    assert total[0] == "Total" and total[1:4] == ["53", "53", "42"] and total[8] == "79%"
    for column in [*range(1, 8), 9, 10, 11]:
        assert sum(int(row[column]) for row in themes) == int(total[column]), header[column]
    for row, theme in zip(themes, demo_report.themes, strict=True):
        assert row[8] == f"{theme.counts.percent_complete}%"


def test_rag_and_stage_rules_are_printed(document, demo_report):
    tables = {header_of(t)[0]: t for t in document.tables}
    rag_rows = [[c.text for c in row.cells] for row in tables["Rating"].rows[1:]]
    assert header_of(tables["Rating"]) == [
        "Rating",
        "Meaning",
        "In progress and due",
        "In progress, due later",
        "All in progress",
    ]
    totals = demo_report.totals
    assert rag_rows == [
        [r.label, r.meaning, str(totals.rag[r.key]), "0", str(totals.rag[r.key])]
        for r in demo_report.rag_rules
    ] + [["All in progress", "", "11", "0", "11"]]
    stage_rows = [[c.text for c in row.cells] for row in tables["Stage"].rows[1:]]
    assert stage_rows == [[r.label, r.meaning] for r in demo_report.stage_rules]


def test_action_tables_are_in_a_landscape_a4_section(document):
    first, last = document.sections[0], document.sections[-1]
    # Word stores page sizes in twentieths of a point, so millimetres come back rounded.
    assert first.orientation == WD_ORIENT.PORTRAIT
    assert (first.page_width.mm, first.page_height.mm) == (
        pytest.approx(210, abs=0.1),
        pytest.approx(297, abs=0.1),
    )
    assert last.orientation == WD_ORIENT.LANDSCAPE
    assert (last.page_width.mm, last.page_height.mm) == (
        pytest.approx(297, abs=0.1),
        pytest.approx(210, abs=0.1),
    )
    seen_section_break = False
    action_tables_seen = 0
    for block in body_in_order(document):
        if isinstance(block, Paragraph) and block._p.find(qn("w:pPr")) is not None:
            seen_section_break |= block._p.pPr.find(qn("w:sectPr")) is not None
        if isinstance(block, Table) and header_of(block) == ACTION_HEADER:
            assert seen_section_break, "an action table is in the portrait section"
            action_tables_seen += 1
    assert action_tables_seen == 3


def test_one_row_per_action_grouped_by_theme(document, demo_report):
    tables = action_tables(document)
    assert len(tables) == len(demo_report.themes)
    for table, theme in zip(tables, demo_report.themes, strict=True):
        assert len(table.rows) - 1 == theme.counts.total == len(theme.actions)
    refs = [row.cells[0].text for table in tables for row in table.rows[1:]]
    assert len(refs) == 53
    assert refs == [a.ref for a in demo_report.all_actions]


def test_header_rows_repeat_on_every_page(document):
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert table.rows[1]._tr.trPr is None or (
            table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
        )


def test_rag_cells_say_the_word_and_are_shaded(document, demo_report):
    rows = [row for table in action_tables(document) for row in table.rows[1:]]
    for row, action in zip(rows, demo_report.all_actions, strict=True):
        rag = row.cells[5]
        assert rag.text == action.rag_label
        assert shading_of(rag) == EXPECTED_FILLS.get(action.rag, "")
        assert row.cells[7].text.startswith(action.commentary)
    reds = [row for row in rows if row.cells[5].text == "Red"]
    assert reds and all(shading_of(row.cells[5]) == "FFC7CE" for row in reds)
    assert all(row.cells[8].text for row in reds), "a Red action without corrective action"


def test_completed_since_lists_every_completed_action(document, demo_report):
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert demo_report.completed_since
    assert len(bullets) == len(demo_report.completed_since)
    for bullet, done in zip(bullets, demo_report.completed_since, strict=True):
        assert bullet.startswith(f"{done.ref} {done.title}")


def test_carried_forward_actions_are_tabled(demo_report):
    report = demo_report.model_copy(deep=True)
    action = report.all_actions[-1]
    action.carried_forward_to = PlanLink(
        plan_slug="next", plan_title="Reducing Offending 2018-21", ref="R9", title=action.title
    )
    action.commentary = "pasted\x0bfrom Word"
    report.carried_forward_out = [action]
    document = open_document(report)
    table = next(t for t in document.tables if "Carried forward to" in header_of(t))
    assert [c.text for c in table.rows[1].cells][:3] == [
        action.ref,
        action.title,
        "R9, Reducing Offending 2018-21",
    ]
    assert any("pastedfrom Word" in cell.text for cell in action_tables(document)[-1]._cells)


def test_every_page_has_the_plan_and_date_above_and_page_n_of_m_below(document, demo_report):
    first = document.sections[0]
    assert first.header.paragraphs[0].text == (
        "Progress Tracking report: Staffordshire Strategic Framework for Reducing Offending "
        "2015-18. As at 31 March 2018"
    )
    footer = first.footer.paragraphs[0]._p
    codes = [" ".join(node.text.split()) for node in footer.iter(qn("w:instrText"))]
    assert codes == ["PAGE", "NUMPAGES"]
    kinds = [node.get(qn("w:fldCharType")) for node in footer.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"] * 2
    assert first.footer.paragraphs[0].text.startswith("Page ")
    assert " of " in first.footer.paragraphs[0].text
    # The landscape section repeats them: its header and footer link to the first's.
    for section in document.sections[1:]:
        assert section.header.is_linked_to_previous
        assert section.footer.is_linked_to_previous


def test_headings_and_table_headers_keep_with_what_follows(document):
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert len(headings) > 8
    for heading in [*headings, document.paragraphs[0]]:
        assert heading.paragraph_format.keep_with_next is True, heading.text
    for table in document.tables:
        for cell in table.rows[0].cells:
            assert cell.paragraphs[0].paragraph_format.keep_with_next is True


def test_the_document_says_which_date_direction_of_travel_compares_against(document, demo_report):
    texts = [p.text for p in document.paragraphs]
    assert demo_report.comparison_sentence in texts
    assert "15 March 2018" in demo_report.comparison_sentence
    details = next(text for text in texts if text.startswith("Plan:"))
    assert "Changes since: 15 March 2018" in details
    assert "The Direction column compares each action with its status on 15 March 2018." in texts


def test_the_summary_says_which_actions_its_ratings_count(document, demo_report):
    texts = [p.text for p in document.paragraphs]
    assert any(
        text.startswith("Ratings of the 11 actions in progress that are due:") for text in texts
    )


def test_word_draws_the_progress_over_time_with_alternative_text_and_a_table(document, demo_report):
    pictures = document.inline_shapes
    described = [
        shape._inline.docPr.get("descr") for shape in pictures if shape._inline.docPr.get("descr")
    ]
    assert demo_report.trajectory.description in described
    assert described[0].startswith("Line chart of actions due and actions completed")
    table = next(
        t
        for t in document.tables
        if header_of(t) == ["When", "Due by then", "Completed by then", "Of those due, complete"]
    )
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert len(rows) == len(demo_report.trajectory.points)
    assert rows[-1][1:] == ["53", "42", "42 (79%)"]  # the Panel's figures, as at 31 March 2018
