"""Rating summaries say which actions they count, and add up with the stage counts beside them,
in every format, for every demo plan at several dates."""

import io
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from docx import Document
from openpyxl import load_workbook

from app.domain.progress import get_plan
from app.reports.appendix import build_appendix
from app.reports.render_docx import render_docx
from app.reports.render_html import render_html
from app.reports.render_xlsx import render_xlsx

PLANS_AND_DATES = [
    ("reducing-offending-2015-18", date(2016, 9, 8)),
    ("reducing-offending-2015-18", date(2018, 3, 31)),
    ("reduced-offending-2018-21", date(2019, 5, 23)),
    ("reduced-offending-2018-21", date(2021, 3, 31)),
    ("managing-offenders-2018-21", date(2019, 4, 17)),
    ("managing-offenders-2018-21", date(2020, 1, 15)),
    ("police-and-crime-plan-2021-24", date(2023, 10, 10)),
    ("police-and-crime-plan-2021-24", date(2024, 3, 31)),
]
LABEL = re.compile(r"Ratings of the (\d+) actions? in progress that (?:is|are) due")


class _SummaryTable(HTMLParser):
    """The appendix page's "Summary by theme" table: its label over the rating columns, its
    column headers and its rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.label = ""
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self._depth = 0  # inside table.pt-summary
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and "pt-summary" in (attributes.get("class") or ""):
            self._depth = 1
        elif not self._depth:
            return
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            self._in_label = attributes.get("id") == "ratings-label"

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if tag == "table":
            self._depth = 0
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_label:
                self.label = text
            elif self._row is not None:
                self._row.append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row and self._row[0] == "Theme":
                self.header = self._row
            elif self._row and self.header:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(params=PLANS_AND_DATES, ids=lambda p: f"{p[0]}-{p[1]}")
def report(request, session):
    slug, as_at = request.param
    return build_appendix(session, get_plan(session=session, slug=slug), as_at)


def test_the_model_ratings_add_up_to_the_in_progress_counts(report):
    for counts in [report.totals, *(theme.counts for theme in report.themes)]:
        assert sum(counts.rag.values()) + counts.not_rated == counts.in_progress
        assert sum(counts.later_rag.values()) + counts.later_not_rated == counts.later_in_progress
        later = (
            counts.later_complete
            + counts.later_in_progress
            + counts.later_not_started
            + counts.later_carried_forward
        )
        assert later == counts.not_yet_due
    totals = report.totals
    assert int(LABEL.match(report.ratings_label).group(1)) == totals.in_progress
    assert report.later_ratings_label.endswith("due later")


def test_the_page_labels_its_rating_columns_with_the_count_they_add_up_to(report):
    table = _SummaryTable()
    table.feed(render_html(report))
    labelled = int(LABEL.fullmatch(table.label).group(1))
    ratings = [rule.label for rule in report.rag_rules] + (
        ["Not rated"] if report.totals.not_rated else []
    )
    columns = [table.header.index(label) for label in ratings]
    in_progress = table.header.index("In progress")
    assert len(table.rows) == len(report.themes) + 1
    for row in table.rows:
        assert sum(int(row[i]) for i in columns) == int(row[in_progress]), row
    assert int(table.rows[-1][in_progress]) == labelled == report.totals.in_progress


def test_the_workbook_labels_its_rating_columns_with_the_count_they_add_up_to(report):
    sheet = load_workbook(io.BytesIO(render_xlsx(report)))["Summary"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = next(i for i, row in enumerate(rows) if row[0] == "Theme")
    header = rows[start]
    label = next(value for value in rows[start - 1] if value)
    labelled = int(LABEL.fullmatch(label).group(1))
    # The label sits over the first rating column.
    assert rows[start - 1].index(label) == header.index(report.rag_rules[0].label)
    ratings = [rule.label for rule in report.rag_rules] + (
        ["Not rated"] if report.totals.not_rated else []
    )
    columns = [header.index(label) for label in ratings]
    in_progress = header.index("In progress")
    body = rows[start + 1 : start + 2 + len(report.themes)]
    assert body[-1][0] == "Total"
    for row in body:
        assert sum(row[i] for i in columns) == row[in_progress], row
    assert body[-1][in_progress] == labelled == report.totals.in_progress


def test_the_word_file_labels_its_rating_columns_with_the_count_they_add_up_to(report):
    document = Document(io.BytesIO(render_docx(report)))
    label = next(p.text for p in document.paragraphs if LABEL.match(p.text))
    labelled = int(LABEL.match(label).group(1))
    table = document.tables[0]
    header = [cell.text for cell in table.rows[0].cells]
    ratings = [rule.label for rule in report.rag_rules] + (
        ["Not rated"] if report.totals.not_rated else []
    )
    columns = [header.index(label) for label in ratings]
    in_progress = header.index("In progress")
    body = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    for row in body:
        assert sum(int(row[i]) for i in columns) == int(row[in_progress]), row
    assert int(body[-1][in_progress]) == labelled == report.totals.in_progress
