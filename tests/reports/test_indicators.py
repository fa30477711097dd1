"""Outcome indicators in the reports: only the figures published by the report's date, the
trend in words with the better direction, and Word charts with alternative text and a table."""

import io
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from app.domain.progress import get_plan
from app.reports.appendix import build_appendix
from app.reports.charts import chart_description
from app.reports.highlight import build_highlight
from app.reports.highlight_formats import (
    render_highlight_docx,
    render_highlight_html,
    render_highlight_pdf,
)
from app.reports.render_docx import render_docx
from app.reports.render_html import render_html
from app.reports.render_pdf import render_pdf
from app.reports.render_xlsx import render_xlsx

FRAMEWORK = "reducing-offending-2015-18"
# The adult reoffending rate of the cohort April 2015 to March 2016 was published on
# 25 January 2018, nearly two years after the cohort ended (seed data).
COHORT = "April 2015 to March 2016 cohort"
PUBLISHED = date(2018, 1, 25)
ADULT = "reoffending-rate-adult"
DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


def highlight_as_at(session, as_at: date):
    plan = get_plan(session=session, slug=FRAMEWORK)
    return build_highlight(session, plan, as_at=as_at)


def section_of(report, key: str):
    return next(section for section in report.indicators if section.key == key)


def pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def docx_tables(document) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


@pytest.fixture
def before_and_after(session):
    return highlight_as_at(session, date(2018, 1, 24)), highlight_as_at(session, PUBLISHED)


def test_the_2015_18_framework_reports_the_outcomes_of_its_section_5(session):
    report = highlight_as_at(session, date(2018, 3, 31))
    assert [section.key for section in report.indicators] == [
        "first-time-entrants-juvenile",
        "first-time-entrants-adult",
        "reoffending-rate-juvenile",
        ADULT,
    ]
    adult = section_of(report, ADULT)
    # The two-year lag: at the end of the Framework, cohorts only to March 2016 were published.
    assert adult.values[-1][0] == COHORT
    assert all(published <= report.as_at for published in adult.published)
    assert "Figures as published by 31 March 2018." in adult.caption


def test_a_value_published_after_the_report_date_is_in_no_format_until_it_is_published(
    before_and_after,
):
    before, after = before_and_after
    assert COHORT not in [label for label, _, _ in section_of(before, ADULT).values]
    assert COHORT in [label for label, _, _ in section_of(after, ADULT).values]
    # The page and its chart: the figure's row, and the chart's description.
    page_before, page_after = render_highlight_html(before), render_highlight_html(after)
    assert COHORT not in page_before and COHORT in page_after
    assert "25 January 2018" in page_after
    # The PDF.
    assert COHORT not in pdf_text(render_highlight_pdf(before))
    assert COHORT in pdf_text(render_highlight_pdf(after))
    # The Word file: its tables of figures and its charts' alternative text.
    for report, present in ((before, False), (after, True)):
        document = Document(io.BytesIO(render_highlight_docx(report)))
        cells = {text for table in docx_tables(document) for row in table for text in row}
        assert (COHORT in cells) is present
        descriptions = [shape._inline.find(DOCPR).get("descr") for shape in document.inline_shapes]
        assert any(COHORT in text for text in descriptions) is present


def test_every_format_prints_the_trend_in_words_and_which_direction_is_better(before_and_after):
    _, report = before_and_after
    adult = section_of(report, ADULT)
    assert adult.trend == (
        "Down from 25.8% for the April 2014 to March 2015 cohort to 25.3% for the "
        "April 2015 to March 2016 cohort, lower is better."
    )
    page = render_highlight_html(report)
    assert adult.trend in page
    text = pdf_text(render_highlight_pdf(report))
    assert adult.trend in text
    document = Document(io.BytesIO(render_highlight_docx(report)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    for section in report.indicators:
        assert section.trend in paragraphs
        assert section.better_words in section.trend


def test_word_charts_carry_their_description_and_a_table_of_the_figures(before_and_after):
    _, report = before_and_after
    document = Document(io.BytesIO(render_highlight_docx(report)))
    shapes = document.inline_shapes
    assert len(shapes) == len(report.indicators)
    tables = docx_tables(document)
    for shape, section in zip(shapes, report.indicators, strict=True):
        descr = shape._inline.find(DOCPR).get("descr")
        assert descr and descr == chart_description(section)
        assert section.trend in descr
        table = next(t for t in tables if t[0][:3] == ["Period", "Period ending", "Published"])
        tables.remove(table)
        assert table[0][3] == section.axis_label
        figures = [row for row in table[1:] if row[1]]
        assert [row[0] for row in figures] == [label for label, _, _ in section.values]
        assert [row[3] for row in figures] == [
            section.format(value) for _, _, value in section.values
        ]
    # The adult rate comes last, after the juvenile one of the same cohort.
    adult_table = [t for t in docx_tables(document) if any(row[0] == COHORT for row in t)][-1]
    assert [COHORT, "31 March 2016", "25 January 2018", "25.3%"] in adult_table


# --- The appendix: page, PDF, Word and Excel ------------------------------------------------------


def appendix_as_at(session, as_at: date):
    return build_appendix(session, get_plan(session=session, slug=FRAMEWORK), as_at)


def workbook_rows(report) -> list[list]:
    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    return [list(row) for row in workbook["Indicators"].iter_rows(values_only=True)]


def test_the_appendix_shows_in_every_format_only_the_figures_published_by_its_date(session):
    before, after = appendix_as_at(session, date(2018, 1, 24)), appendix_as_at(session, PUBLISHED)
    assert [s.key for s in after.indicators][-1] == ADULT
    for report, present in ((before, False), (after, True)):
        assert (COHORT in render_html(report)) is present
        assert (COHORT in pdf_text(render_pdf(report))) is present
        document = Document(io.BytesIO(render_docx(report)))
        cells = {text for table in docx_tables(document) for row in table for text in row}
        assert (COHORT in cells) is present
        assert any(row[0] == COHORT for row in workbook_rows(report)) is present


def test_the_appendix_prints_the_trend_and_the_better_direction_in_every_format(session):
    report = appendix_as_at(session, PUBLISHED)
    adult = section_of(report, ADULT)
    page = render_html(report)
    pdf = pdf_text(render_pdf(report))
    document = Document(io.BytesIO(render_docx(report)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    rows = workbook_rows(report)
    for section in report.indicators:
        assert section.trend in page and section.trend in pdf and section.trend in paragraphs
        assert ["Trend", section.trend, None, None, None] in rows
    assert ["Which direction is better", "Lower is better", None, None, None] in rows
    # The adult rate's figures, each with the date it was published.
    start = rows.index([adult.title, None, None, None, None])
    figures = rows[start + 5 : start + 5 + len(adult.values)]
    assert figures[-1] == [COHORT, datetime(2016, 3, 31), datetime(2018, 1, 25), 25.3, "25.3%"]
    descriptions = [shape._inline.find(DOCPR).get("descr") for shape in document.inline_shapes]
    assert chart_description(adult) in descriptions
