"""The highlight report: drafted from the data, its figures computed, its text editable."""

import io
import re
from datetime import UTC, date, datetime

import pytest
from docx import Document
from markupsafe import escape
from pypdf import PdfReader
from sqlmodel import select

from app.core.models import Action, Board, IndicatorValue, Meeting, Plan, StatusUpdate
from app.domain.cycle import board_meetings
from app.domain.indicators import read_latest_indicator
from app.domain.progress import get_plan
from app.reports.highlight import (
    ACTIVITY_LINES,
    PLANNED_LINES,
    StatusRow,
    build_highlight,
    capped,
    describe_changes,
    trimmed,
    with_edited_text,
)
from app.reports.highlight_formats import (
    render_highlight_docx,
    render_highlight_html,
    render_highlight_pdf,
)
from tests.factories import build_plan

SEED_MILESTONES = [
    ("April 2019", "Launch of new IoM operational model."),
    ("May 2019", "Outcome from YOS reviews to be considered by joint YOS Board meeting."),
    (
        "May 2019",
        "Stakeholder event held to consider the recommendations of SOT City Council report "
        "into the provision of employment advice and brokerage services for offenders.",
    ),
    ("May 2019", "Meeting of OMCDDB"),
    (
        "May 2019",
        "Performance report presented to OMCDDB using new offending and reoffending dashboard.",
    ),
]


@pytest.fixture
def april_2019(session):
    """The 2018-21 plan's report to the Police and Crime Panel in April 2019 (seeds/003)."""
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    panel = session.exec(select(Board).where(Board.short_name == "PCP")).one()
    meeting = session.exec(
        select(Meeting).where(Meeting.board_id == panel.id, Meeting.held_on == date(2019, 4, 15))
    ).one()
    return plan, meeting, build_highlight(session, plan, meeting)


def test_the_april_2019_report_lists_the_milestones_the_seed_report_names(april_2019):
    _, _, report = april_2019
    assert [(m.when, m.title) for m in report.milestones_ahead] == SEED_MILESTONES
    assert report.strategic_outcomes == [
        "People are prevented from first time offending",
        "People are prevented from reoffending",
    ]


def test_activity_since_is_the_updates_between_the_two_meetings(session, april_2019):
    _, meeting, report = april_2019
    assert report.since < report.as_at == meeting.held_on
    activity = report.section("activity").items
    assert activity and all(item for item in activity)
    assert any(": completed" in item for item in activity)


def test_planned_activity_is_what_falls_due_before_the_next_report(april_2019):
    _, _, report = april_2019
    planned = report.section("planned").items
    assert report.next_report > report.as_at
    assert any("RR12" in item for item in planned)


def test_the_change_since_the_last_report_is_computed():
    before = [
        StatusRow(ref="A", title="a", stage="in_progress", rag="amber", overdue=False),
        StatusRow(ref="B", title="b", stage="in_progress", rag="amber", overdue=False),
        StatusRow(ref="C", title="c", stage="in_progress", rag="green", overdue=False),
        StatusRow(ref="D", title="d", stage="not_started", rag=None, overdue=False),
    ]
    after = [
        StatusRow(ref="A", title="a", stage="in_progress", rag="red", overdue=False),
        StatusRow(ref="B", title="b", stage="in_progress", rag="red", overdue=True),
        StatusRow(ref="C", title="c", stage="complete", rag=None, overdue=False),
        StatusRow(ref="D", title="d", stage="in_progress", rag="green", overdue=False),
    ]
    assert describe_changes(before, after, "rag3") == [
        "1 more action complete",
        "1 action started",
        "2 moved from Amber to Red",
        "1 newly overdue",
    ]


def test_only_the_text_can_be_edited(april_2019):
    _, _, report = april_2019
    edited = with_edited_text(
        report, {"activity": "First point\n\n  Second point  \n", "headline": "99%"}
    )
    assert edited.section("activity").items == ["First point", "Second point"]
    assert edited.headline == report.headline
    assert edited.section("planned").items == report.section("planned").items


def test_the_pdf_and_word_files_carry_the_report(april_2019):
    _, _, report = april_2019
    pdf = PdfReader(io.BytesIO(render_highlight_pdf(report)))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert report.headline in text
    assert "Meeting of OMCDDB" in text
    box = pdf.pages[0].mediabox
    assert round(float(box.height) / 72 * 25.4) == 297  # portrait
    document = Document(io.BytesIO(render_highlight_docx(report)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Milestones ahead" in headings and "Activity since the last report" in headings
    body = "\n".join(p.text for p in document.paragraphs)
    assert report.headline in body
    assert "May 2019: Meeting of OMCDDB" in body


def test_the_plans_indicators_are_charts_with_their_source(april_2019):
    _, _, report = april_2019
    keys = [section.key for section in report.indicators]
    assert keys == [
        "first-time-entrants-juvenile",
        "first-time-entrants-adult",
        "reoffending-rate-juvenile",
        "reoffending-rate-adult",
    ]
    page = render_highlight_html(report)
    assert page.count("<svg") == 4 + 1  # the four indicators and the progress over time
    for section in report.indicators:
        assert str(escape(section.data_source)) in page
        assert all(period_end <= report.as_at for _, period_end, _ in section.values)
    assert "Illustrative" in page
    document = Document(io.BytesIO(render_highlight_docx(report)))
    assert len(document.inline_shapes) == 4  # the charts as pictures


@pytest.mark.parametrize("period_end", [date(24, 12, 31), date(1, 1, 1)])
def test_a_stored_figure_no_chart_can_place_is_left_out_of_every_format(session, period_end):
    """Such a figure once made the highlight report, its PDF and Word files fail for good."""
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    indicator = read_latest_indicator(session, "first-time-entrants-juvenile")
    session.add(
        IndicatorValue(
            indicator_id=indicator.id,
            period_label="2018/19",
            period_end=period_end,
            value=400.0,
            published_on=period_end,
        )
    )
    session.flush()
    report = build_highlight(session, plan, as_at=date(2019, 4, 15))
    section = report.indicators[0]
    assert section.key == "first-time-entrants-juvenile"
    assert section.left_out == [f"2018/19 (period ending {period_end.isoformat()}): 400"]
    assert all(day.year > 1900 for _, day, _ in section.values)
    page = render_highlight_html(report)
    # Four indicators and the progress over time.
    assert page.count("<svg") == 4 + 1 and "Not shown: 1 figure no chart can place" in page
    assert PdfReader(io.BytesIO(render_highlight_pdf(report))).pages
    assert len(Document(io.BytesIO(render_highlight_docx(report))).inline_shapes) == 4


def test_the_report_takes_the_same_number_of_queries_whatever_its_size(session, count_statements):
    small, large = build_plan(session, 50), build_plan(session, 500)
    session.expire_all()
    with count_statements() as at_50:
        build_highlight(session, small, as_at=date(2021, 3, 31))
    session.expire_all()
    with count_statements() as at_500:
        build_highlight(session, large, as_at=date(2021, 3, 31))
    # The plan (reloaded), its snapshot (themes, actions, updates), the updates as at "since",
    # the updates in between, milestones, outcomes and indicators; 10 before the snapshot, which
    # read the actions three times. Then its progress over time: the actions' due dates and
    # their updates (this plan has no board, so no meetings).
    assert at_50.count == at_500.count == 11


def test_chart_sources_are_document_titles_not_file_names(april_2019):
    _, _, report = april_2019
    assert report.indicators
    page = render_highlight_html(report)
    words = " ".join(Document(io.BytesIO(render_highlight_docx(report))).element.itertext())
    for text in (page, words):
        assert "seeds/" not in text
        assert "Source: " in text


def test_the_rating_summary_counts_every_action_in_progress_and_says_so(session):
    plan = get_plan(session=session, slug="police-and-crime-plan-2021-24")
    report = build_highlight(session, plan, as_at=date(2023, 10, 10))
    # None of the 10 actions due by then is in progress; the 13 due later all are, one Red.
    assert report.totals.in_progress == 0 and report.totals.later_in_progress == 13
    assert report.headline.endswith("all 13 in progress (1 Red).")
    page = " ".join(render_highlight_html(report).split())
    assert "Ratings of all the actions in progress, due or not" in page
    assert "13 now" in page
    words = [p.text for p in Document(io.BytesIO(render_highlight_docx(report))).paragraphs]
    assert any(text.endswith(" 13 now.") for text in words)
    table = Document(io.BytesIO(render_highlight_docx(report))).tables[0]
    red = next(row for row in table.rows if row.cells[0].text == "Red")
    assert red.cells[2].text == "1"


@pytest.fixture
def may_2019(session):
    """The 2018-21 plan's highlight report for the OMCDB on 23 May 2019 (25 raw updates)."""
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    meeting = session.exec(
        select(Meeting).where(
            Meeting.board_id == plan.board_id, Meeting.held_on == date(2019, 5, 23)
        )
    ).one()
    return plan, meeting, build_highlight(session, plan, meeting)


def test_activity_is_one_line_per_action_most_significant_first(may_2019):
    _, _, report = may_2019
    activity = report.section("activity").items
    assert len(activity) == ACTIVITY_LINES
    assert re.fullmatch(r"and \d+ more in the appendix", activity[-1])
    refs = [item.split(" ", 1)[0] for item in activity[:-1] if not item.startswith("Milestone")]
    assert len(refs) == len(set(refs))  # one line per action
    rank = {"completed": 0, "now Red": 1, "now ": 2, "Milestone achieved": 3}

    def significance(line: str) -> int:
        if line.startswith("Milestone achieved"):
            return 3
        what = line.split(": ", 1)[1]
        return next((r for key, r in rank.items() if what.startswith(key)), 4)

    ranks = [significance(line) for line in activity[:-1]]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0 and 2 in ranks
    assert any(re.search(r": now Amber \(was (Green|Red)\)", line) for line in activity)
    for line in activity:
        assert len(line) <= 90 + 2 + 40 + 160 + 10


def test_the_cap_counts_what_is_left_out():
    assert capped(["a", "b"], 3, "in the appendix") == ["a", "b"]
    assert capped(list("abcde"), 3, "in the appendix") == ["a", "b", "and 3 more in the appendix"]


def test_commentary_is_trimmed_to_its_first_sentence():
    assert trimmed("Launched on time. Next we review it.", 160) == "Launched on time."
    long = "word " * 60
    cut = trimmed(long, 160)
    assert len(cut) <= 160 and cut.endswith("\u2026")


def _record(session, plan, ref, **fields):
    action = session.exec(select(Action).where(Action.plan_id == plan.id, Action.ref == ref)).one()
    update = StatusUpdate(
        action_id=action.id,
        recorded_at=datetime(2019, 5, 20, tzinfo=UTC),
        review_state="approved",
        **fields,
    )
    session.add(update)
    session.flush()
    return action


def test_next_steps_feed_planned_before_the_next_report(session, may_2019):
    plan, meeting, _ = may_2019
    _record(
        session,
        plan,
        "OM1",
        effective_on=date(2019, 5, 1),
        stage="in_progress",
        rag="amber",
        commentary="Older.",
        next_steps="An older plan that a later update replaces.",
    )
    _record(
        session,
        plan,
        "OM1",
        effective_on=date(2019, 5, 20),
        stage="in_progress",
        rag="amber",
        commentary="Work continues.",
        next_steps="Agree the pathway with the courts in June.",
    )
    report = build_highlight(session, plan, meeting)
    planned = report.section("planned").items
    assert planned[0].startswith("OM1 ") and planned[0].endswith(
        "Agree the pathway with the courts in June."
    )
    assert not any("older plan" in line for line in planned)
    assert sum(line.startswith("OM1 ") for line in planned) == 1
    assert len(planned) <= PLANNED_LINES
    activity = report.section("activity").items
    assert sum(line.startswith("OM1 ") for line in activity) <= 1


def test_an_edited_report_is_published_with_the_edits(may_2019):
    _, _, report = may_2019
    edited = with_edited_text(report, {"planned": "Launch the pathway"})
    pdf = PdfReader(io.BytesIO(render_highlight_pdf(edited)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Launch the pathway" in text


def test_the_omcdb_may_2019_report_fits_two_pages(may_2019):
    # One page is not reached: ten activity lines, the plan's due items and milestones fill
    # the first page, and the four outcome charts go whole to the second (see README).
    _, _, report = may_2019
    assert len(PdfReader(io.BytesIO(render_highlight_pdf(report))).pages) <= 2


def test_every_demo_highlight_report_is_two_pages_at_most(session):
    """Every demo plan's highlight PDF at each meeting of its board within the plan's period."""
    pages = {}
    for plan in session.exec(select(Plan).where(Plan.board_id.is_not(None))).all():
        slug = plan.slug
        for meeting in board_meetings(session, board_id=plan.board_id):
            if not plan.period_start <= meeting.held_on <= plan.period_end:
                continue
            pdf = render_highlight_pdf(build_highlight(session, plan, meeting))
            pages[(slug, meeting.held_on)] = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages and max(pages.values()) <= 2, pages


def test_the_highlight_report_draws_the_plan_s_progress_over_time(may_2019):
    _, _, report = may_2019
    last = report.trajectory.points[-1]
    assert last.on == report.as_at
    page = render_highlight_html(report)
    assert 'id="trajectory-heading"' in page and "The chart's figures" in page
    pdf = PdfReader(io.BytesIO(render_highlight_pdf(report)))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Progress over time" in text
    assert f"{last.label}: {last.due} due, {last.completed} completed." in text
