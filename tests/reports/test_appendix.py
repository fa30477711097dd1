"""The appendix report model, built from the demo data."""

from datetime import date

from sqlmodel import select

from app.core.models import Action
from app.domain.plans import read_plan_view
from app.domain.progress import get_plan, progress_as_at
from app.domain.refresh import apply_refresh
from app.reports.appendix import Direction, build_appendix
from app.reports.highlight import build_highlight
from tests.domain.test_refresh import REFRESH_DATE, copy_of_2015_18_before_refresh, refresh
from tests.factories import build_plan, make_action, make_plan, make_theme, make_update

HEADLINE = (
    "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%) have been completed, "
    "with a further 11 in progress (1 Red)."
)


def test_the_demo_appendix_as_at_31_march_2018(demo_report):
    assert demo_report.headline == HEADLINE
    assert demo_report.totals.scheduled == 53
    assert demo_report.totals.complete == 42
    assert demo_report.totals.percent_complete == 79
    assert demo_report.board == "Offender Management Commissioning and Development Board"
    assert len(demo_report.all_actions) == 53
    # The board's (OMCDB's) meeting before the as-at date, which received the previous report.
    assert demo_report.since == date(2018, 3, 15)
    assert demo_report.comparison_sentence == (
        "Changes and direction of travel are measured since 15 March 2018, the date of the "
        "previous meeting of the Offender Management Commissioning and Development Board."
    )
    assert [rule.label for rule in demo_report.rag_rules] == ["Green", "Amber", "Red"]


def test_each_theme_row_adds_up_and_the_themes_add_up_to_the_total(demo_report):
    for section in demo_report.themes:
        c = section.counts
        assert c.complete + c.in_progress + c.not_started + c.carried_forward == c.scheduled
        assert len(section.actions) == c.total
        assert sum(c.rag.values()) + c.not_rated == c.in_progress
    for field in ("total", "scheduled", "complete", "in_progress", "overdue"):
        assert sum(getattr(s.counts, field) for s in demo_report.themes) == getattr(
            demo_report.totals, field
        )


def test_stage_and_rag_are_kept_apart(demo_report):
    for row in demo_report.all_actions:
        if row.stage == "in_progress":
            assert row.rag in {"green", "amber", "red"}
            assert row.rag_label in {"Green", "Amber", "Red"}
        else:
            assert row.rag is None and row.rag_label == ""
        assert bool(row.corrective_action) == (row.rag == "red")


def test_the_latest_commentary_as_at_an_earlier_date_is_the_older_one(session, demo_plan):
    now = {r.ref: r for r in build_appendix(session, demo_plan, date(2018, 3, 31)).all_actions}
    earlier_report = build_appendix(session, demo_plan, date(2017, 3, 31))
    earlier = {r.ref: r for r in earlier_report.all_actions}
    changed = [ref for ref in now if now[ref].commentary != earlier[ref].commentary]
    assert changed, "the demo should have actions whose commentary changed after March 2017"
    for ref in changed:
        assert earlier[ref].commentary_date is None or earlier[ref].commentary_date <= date(
            2017, 3, 31
        )
        assert now[ref].commentary_date > date(2017, 3, 31)


def test_completed_since_lists_exactly_the_actions_completed_in_between(session, demo_plan):
    report = build_appendix(session, demo_plan, date(2018, 3, 31), since=date(2017, 12, 31))
    before = {
        r.ref: r.stage for r in build_appendix(session, demo_plan, date(2017, 12, 31)).all_actions
    }
    expected = {
        r.ref for r in report.all_actions if r.stage == "complete" and before[r.ref] != "complete"
    }
    assert {row.ref for row in report.completed_since} == expected
    assert expected, "the demo should have completions in the quarter to March 2018"
    for row in report.completed_since:
        assert date(2017, 12, 31) < row.completed_on <= date(2018, 3, 31)


def test_carried_forward_both_ways(session):
    original = get_plan(session=session, slug="reducing-offending-2015-18")
    successor = get_plan(session=session, slug="reduced-offending-2018-21")
    out = build_appendix(session, original, date(2018, 4, 30)).carried_forward_out
    into = build_appendix(session, successor, date(2018, 6, 30)).carried_forward_in
    assert len(out) == len(into) == 11
    assert {row.ref for row in out} == {row.ref for row in into}
    assert all(row.carried_forward_to.plan_slug == "reduced-offending-2018-21" for row in out)
    assert all(row.stage == "carried_forward" for row in out)
    assert all(row.carried_forward_from.plan_slug == original.slug for row in into)


def test_direction_of_travel(session):
    plan = make_plan(session)
    theme = make_theme(session, plan)
    cases = {
        "worse": ([("in_progress", "green")], [("in_progress", "red")]),
        "better": ([("in_progress", "red")], [("in_progress", "amber")]),
        "same": ([("in_progress", "amber")], []),
        "done": ([("in_progress", "red")], [("complete", None)]),
        "started": ([], [("in_progress", "green")]),
    }
    for ref, (first, second) in cases.items():
        action = make_action(session, plan, theme, ref=ref)
        for stage, rag in first:
            make_update(
                session,
                action,
                effective_on=date(2020, 5, 1),
                stage=stage,
                rag=rag,
                corrective_action="fix" if rag == "red" else "",
            )
        for stage, rag in second:
            make_update(
                session,
                action,
                effective_on=date(2020, 8, 1),
                stage=stage,
                rag=rag,
                corrective_action="fix" if rag == "red" else "",
            )
    rows = {r.ref: r for r in build_appendix(session, plan, date(2020, 9, 30)).all_actions}
    assert rows["worse"].direction == Direction.worsened
    assert rows["better"].direction == Direction.improved
    assert rows["same"].direction == Direction.no_change
    assert rows["done"].direction == Direction.improved
    assert rows["started"].direction == Direction.improved


def test_a_refreshed_successor_starts_with_no_change_and_shows_a_real_improvement(
    session, count_statements
):
    """The copies' direction starts from the status they were carried forward with: on the
    successor's first day nothing has "improved" from not started."""
    successor = apply_refresh(session, refresh(session, copy_of_2015_18_before_refresh(session)))
    session.expire_all()
    with count_statements() as first_day_queries:
        first_day = build_appendix(session, successor, REFRESH_DATE)
    assert first_day.since < REFRESH_DATE
    rows = first_day.all_actions
    assert len(rows) == 11 and all(row.stage == "in_progress" for row in rows)
    assert {row.direction for row in rows} == {Direction.no_change}
    assert all(row.previous_stage == row.stage and row.previous_rag == row.rag for row in rows)
    assert first_day.totals.overdue == 0
    # One query more than when every copy has an update by "since": the statuses they came with.
    session.expire_all()
    with count_statements() as since_first_day_queries:
        build_appendix(session, successor, REFRESH_DATE, since=REFRESH_DATE)
    assert first_day_queries.count == since_first_day_queries.count + 1
    highlight = build_highlight(session, successor, as_at=REFRESH_DATE, since=date(2018, 3, 1))
    assert highlight.changes == ["No change in stage or rating since the last report"]
    assert highlight.previous_totals == highlight.totals  # 11 not yet due, rated as carried

    amber = next(row for row in rows if row.rag == "amber")
    copy = session.exec(
        select(Action).where(Action.plan_id == successor.id, Action.ref == amber.ref)
    ).one()
    make_update(session, copy, effective_on=date(2018, 5, 15), stage="in_progress", rag="green")
    later = build_appendix(session, successor, date(2018, 6, 30), since=date(2018, 3, 31))
    directions = {row.ref: row.direction for row in later.all_actions}
    assert directions.pop(amber.ref) == Direction.improved
    assert set(directions.values()) == {Direction.no_change}
    highlight = build_highlight(
        session, successor, as_at=date(2018, 6, 30), since=date(2018, 3, 31)
    )
    assert highlight.changes == ["1 moved from Amber to Green"]


def test_the_five_point_scheme_prints_its_rules(session):
    plan = get_plan(session=session, slug="managing-offenders-2018-21")
    report = build_appendix(session, plan, date(2019, 3, 31))
    assert [r.label for r in report.rag_rules] == [
        "Green",
        "Amber/Green",
        "Amber",
        "Amber/Red",
        "Red",
    ]
    assert set(report.totals.rag) == {"green", "amber_green", "amber", "amber_red", "red"}


def test_the_report_takes_the_same_number_of_queries_whatever_its_size(session, count_statements):

    small, large = build_plan(session, 50), build_plan(session, 500)
    session.expire_all()
    with count_statements() as at_50:
        build_appendix(session, small, date(2021, 3, 31))
    session.expire_all()
    with count_statements() as at_500:
        build_appendix(session, large, date(2021, 3, 31))
    # The plan (reloaded), its snapshot (themes, actions, updates), the updates as at "since"
    # and the actions carried forward from it; 7 before the snapshot, which read the actions
    # twice. Then the plan's indicators: one query here, as it has none (three when it has).
    # Then its progress over time: the board's meetings, the actions' due dates and the updates.
    assert at_50.count == at_500.count == 9


def test_the_appendix_the_highlight_the_plan_page_and_progress_agree(session, demo_plan):
    """One plan at a date, whatever reads it: 53 scheduled, 42 (79%) complete, 11 in progress."""
    as_at = date(2018, 3, 31)
    progress = progress_as_at(session=session, plan=demo_plan, as_at=as_at)
    view = read_plan_view(session=session, plan=demo_plan, as_at=as_at)
    appendix = build_appendix(session, demo_plan, as_at)
    highlight = build_highlight(session, demo_plan, as_at=as_at)
    for counts in (progress, view.progress, appendix.totals, highlight.totals):
        assert (counts.scheduled, counts.complete, counts.percent_complete) == (53, 42, 79)
        assert counts.in_progress == 11
    assert progress.headline == view.progress.headline == appendix.headline == highlight.headline
    assert [theme.complete for theme in progress.by_theme] == [
        section.counts.complete for section in appendix.themes
    ]


def test_inherited_actions_are_counted_separately(session):
    successor = get_plan(session=session, slug="reduced-offending-2018-21")
    report = build_appendix(session, successor, date(2019, 3, 31))
    assert report.carried_forward_note == (
        f"11 of this plan's {report.totals.total} actions were carried forward from the "
        "Staffordshire Strategic Framework for Reducing Offending 2015-18."
    )
    original = get_plan(session=session, slug="reducing-offending-2015-18")
    assert build_appendix(session, original, date(2018, 3, 31)).carried_forward_note == ""
