"""Outcome indicators: definitions and their versions, values, CSV upload, report sections and
charts."""

import io
import math
import threading
from datetime import date, timedelta

import pytest
from markupsafe import escape
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from app.core.models import AuditEvent, Indicator, IndicatorValue, PlanIndicator, User
from app.domain.indicators import (
    MAX_NOTE,
    MAX_PERIOD_LABEL,
    TEXT_LIMITS,
    IndicatorError,
    UnknownIndicator,
    add_value,
    correct_value,
    definition_changes,
    list_latest_indicators,
    parse_number,
    parse_period_end,
    read_indicator_values,
    read_indicator_versions,
    read_latest_indicator,
    read_plan_indicators,
    read_value_history,
    read_values_by_key,
    revise_indicator,
    withdraw_value,
)
from app.domain.progress import get_plan
from app.imports.indicator_values import MAX_ROWS, apply_values, parse_values_csv
from app.reports import charts
from app.reports.charts import chart_png, chart_svg
from app.reports.indicators import (
    IndicatorMeasure,
    IndicatorSection,
    build_indicator_section,
    build_indicator_sections,
)
from app.web.templating import templates
from tests.factories import make_plan

POLICE_PLAN = "police-and-crime-plan-2021-24"
FRAMEWORK = "reduced-offending-2018-21"
PANEL_DATE = date(2023, 10, 10)


def value_count(session) -> int:
    return session.exec(select(func.count()).select_from(IndicatorValue)).one()


def office(session) -> User:
    return session.exec(select(User).where(User.role == "admin")).first()


def make_section(**overrides) -> IndicatorSection:
    values = (
        dict(
            key="test-measure",
            version=1,
            title="Test measure",
            unit="count",
            better="lower",
            geography="Staffordshire",
            data_source="Test source",
            lag_note="",
            values=[
                ("2021", date(2021, 3, 31), 120.0),
                ("2022", date(2022, 3, 31), 95.0),
                ("2023", date(2023, 3, 31), 80.0),
            ],
        )
        | overrides
    )
    return IndicatorSection(**values)


# --- The demo's indicators --------------------------------------------------------------------


def test_police_and_crime_plan_indicators_carry_their_source_and_the_panel_figures(session):
    plan = get_plan(session=session, slug=POLICE_PLAN)
    sections = build_indicator_sections(session, plan, PANEL_DATE)
    keys = [section.key for section in sections]
    chosen = session.exec(
        select(PlanIndicator.indicator_key)
        .where(PlanIndicator.plan_id == plan.id)
        .order_by(PlanIndicator.position)
    ).all()
    assert keys == list(chosen)
    confidence = sections[0]
    assert confidence.key == "confidence-in-police"
    assert confidence.values == [
        ("June 2022", date(2022, 6, 30), 63.0),
        ("July 2023", date(2023, 7, 31), 67.0),
    ]
    assert confidence.data_source.startswith("Staffordshire Police public perception survey")
    assert confidence.caption == (
        "Confidence in Staffordshire Police, Staffordshire and Stoke-on-Trent, June 2022 to "
        "July 2023. Source: Staffordshire Police public perception survey (Police, Fire and "
        "Crime Panel report, 10 October 2023, section 4.1.4). "
        "Figures as published by 10 October 2023."
    )
    assert not confidence.is_illustrative
    for section in sections:
        assert section.data_source
        assert f"Source: {section.data_source.rstrip('.')}" in section.caption
    strength = next(s for s in sections if s.key == "police-officer-strength")
    assert strength.target == IndicatorMeasure(value=2000, label="31 March 2024")


def test_sections_hold_only_values_up_to_the_as_at_date(session):
    plan = get_plan(session=session, slug=POLICE_PLAN)
    confidence = build_indicator_sections(session, plan, date(2023, 1, 1))[0]
    assert [value for _, _, value in confidence.values] == [63.0]
    assert confidence.period_range == "June 2022"


def test_illustrative_series_say_so_and_reoffending_notes_its_lag(session):
    plan = get_plan(session=session, slug=FRAMEWORK)
    sections = {s.key: s for s in build_indicator_sections(session, plan, date(2019, 4, 30))}
    assert set(sections) == {
        "first-time-entrants-juvenile",
        "first-time-entrants-adult",
        "reoffending-rate-juvenile",
        "reoffending-rate-adult",
    }
    assert all(section.is_illustrative for section in sections.values())
    adult = sections["reoffending-rate-adult"]
    assert adult.caption.startswith(
        "Proven re-offending rate, adults (illustrative), Staffordshire and Stoke-on-Trent, "
        "April 2012–March 2017 cohorts. Source: MOJ Proven Reoffending Statistics"
    )
    assert "published about two years after the cohort period." in adult.caption
    assert "Illustrative data" in adult.caption


def test_building_sections_takes_the_same_few_queries_however_many_indicators(
    session, count_statements
):
    small = make_plan(session)
    session.add(PlanIndicator(plan_id=small.id, indicator_key="confidence-in-police", position=1))
    large = make_plan(session)
    for position, indicator in enumerate(list_latest_indicators(session), start=1):
        session.add(PlanIndicator(plan_id=large.id, indicator_key=indicator.key, position=position))
    session.flush()
    with count_statements() as few:
        assert len(build_indicator_sections(session, small, PANEL_DATE)) == 1
    with count_statements() as many:
        assert len(build_indicator_sections(session, large, PANEL_DATE)) == 15
    assert few.count == many.count <= 3


def test_section_survives_a_json_round_trip_with_its_caption(session):
    section = build_indicator_section(session, "reoffending-rate-adult")
    stored = section.model_dump_json()
    assert '"caption"' in stored
    assert IndicatorSection.model_validate_json(stored) == section


# --- Revising a definition --------------------------------------------------------------------


def test_revision_makes_version_two_and_leaves_version_one_as_it_was(session):
    user = office(session)
    before = read_indicator_versions(session, "confidence-in-police")[0]
    original = (before.title, before.data_source, before.baseline_value, before.valid_from)
    revised = revise_indicator(
        session,
        "confidence-in-police",
        {
            "title": "Confidence in Staffordshire Police (new survey)",
            "data_source": "Staffordshire Commissioner's Feeling the Difference survey",
        },
        user,
        valid_from=date(2023, 8, 1),
        reason="The survey changed supplier",
    )
    versions = read_indicator_versions(session, "confidence-in-police")
    assert [v.version for v in versions] == [1, 2]
    first = versions[0]
    session.refresh(first)
    assert (first.title, first.data_source, first.baseline_value, first.valid_from) == original
    assert revised.version == 2 and revised.supersedes_id == first.id
    assert revised.valid_from == date(2023, 8, 1)
    assert revised.baseline_value == first.baseline_value  # unchanged fields carried over
    latest = [i.title for i in list_latest_indicators(session) if i.key == "confidence-in-police"]
    assert latest == ["Confidence in Staffordshire Police (new survey)"]

    changes = definition_changes(session, "confidence-in-police")
    assert len(changes) == 1
    change = changes[0]
    assert (change.version, change.valid_from) == (2, date(2023, 8, 1))
    assert {c.field for c in change.changes} == {"title", "data_source"}
    assert change.summary.startswith("Definition changed on 1 August 2023 (version 2)")

    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "revise", AuditEvent.entity_id == revised.id)
    ).one()
    assert event.user_id == user.id and "supplier" in event.summary


def test_reports_use_the_definition_in_force_and_say_when_it_changed(session):
    revise_indicator(
        session,
        "confidence-in-police",
        {"title": "Confidence (new survey)"},
        office(session),
        valid_from=date(2023, 8, 1),
    )
    plan = get_plan(session=session, slug=POLICE_PLAN)
    earlier = build_indicator_sections(session, plan, date(2023, 7, 31))[0]
    later = build_indicator_sections(session, plan, PANEL_DATE)[0]
    assert (earlier.version, earlier.title, earlier.definition_changed_on) == (
        1,
        "Confidence in Staffordshire Police",
        None,
    )
    assert (later.version, later.title, later.definition_changed_on) == (
        2,
        "Confidence (new survey)",
        date(2023, 8, 1),
    )
    assert "The definition changed on 1 August 2023." in later.caption
    # The series carries on across the versions.
    assert [value for _, _, value in later.values] == [63.0, 67.0]
    assert [i.version for i in read_plan_indicators(session, plan, as_at=date(2023, 7, 31))][0] == 1


@pytest.mark.parametrize(
    "changes, valid_from, field, message",
    [
        ({"title": "Confidence in Staffordshire Police"}, None, "definition", "Nothing"),
        ({"better": "sideways"}, None, "better", "higher or lower"),
        ({"title": "  "}, None, "title", "Enter the title"),
        ({"target_value": "lots"}, None, "target_value", "'lots' is not a number"),
        ({"colour": "blue"}, None, "colour", "not part of a definition"),
    ],
)
def test_a_revision_that_changes_nothing_or_is_invalid_is_refused(
    session, changes, valid_from, field, message
):
    with pytest.raises(IndicatorError) as refused:
        revise_indicator(
            session, "confidence-in-police", changes, office(session), valid_from=valid_from
        )
    assert message in refused.value.errors[field]
    assert len(read_indicator_versions(session, "confidence-in-police")) == 1


def test_a_revision_cannot_take_effect_before_the_current_version(session):
    revise_indicator(
        session,
        "confidence-in-police",
        {"title": "Second"},
        office(session),
        valid_from=date(2023, 8, 1),
    )
    with pytest.raises(IndicatorError) as refused:
        revise_indicator(
            session,
            "confidence-in-police",
            {"title": "Third"},
            office(session),
            valid_from=date(2023, 1, 1),
        )
    assert "on or after 1 August 2023" in refused.value.errors["valid_from"]
    with pytest.raises(UnknownIndicator):
        revise_indicator(session, "no-such-indicator", {"title": "x"}, office(session))


# --- Adding a value ---------------------------------------------------------------------------


def test_add_value_records_and_audits_it(session):
    user = office(session)
    stored = add_value(
        session,
        key="confidence-in-police",
        period_label="January 2024",
        period_end="31/01/2024",
        value="69",
        note="Survey wave 3",
        user=user,
    )
    assert (stored.period_end, stored.value, stored.note) == (
        date(2024, 1, 31),
        69.0,
        "Survey wave 3",
    )
    assert [v.value for v in read_indicator_values(session, "confidence-in-police")] == [63, 67, 69]
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "add_value")).one()
    assert "69" in event.summary and "confidence-in-police" in event.summary


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"value": "abc"}, "value", "'abc' is not a number"),
        ({"value": "nan"}, "value", "'nan' is not a number"),
        ({"value": ""}, "value", "Enter a value"),
        ({"period_end": "2023-02-30"}, "period_end", "'2023-02-30' is not a date"),
        ({"period_end": "2023-07-31"}, "period_end", "already stored"),
        (
            {"period_end": (date.today() + timedelta(days=40)).isoformat()},
            "period_end",
            "is in the future",
        ),
        ({"period_label": "x" * 61}, "period_label", "60 characters or fewer"),
    ],
)
def test_add_value_refuses_bad_figures(session, fields, field, message):
    before = value_count(session)
    values = {"period_label": "Test", "period_end": "2024-01-31", "value": "50"} | fields
    with pytest.raises(IndicatorError) as refused:
        add_value(session, key="confidence-in-police", user=office(session), **values)
    assert message in refused.value.errors[field]
    assert value_count(session) == before


@pytest.mark.parametrize("period_end", ["0024-12-31", "0001-01-01", "31/12/1899"])
def test_periods_outside_1900_to_2100_are_refused_in_the_form_and_the_csv(session, period_end):
    """A figure for 0024-12-31 once made its indicator's page, reports and publishing fail."""
    before = value_count(session)
    day = parse_period_end(period_end)
    message = (
        f"{day.isoformat()} is not a date plantrack can chart: it must be between "
        "1 January 1900 and 31 December 2100 (check the year)"
    )
    with pytest.raises(IndicatorError) as refused:
        add_value(
            session,
            key="confidence-in-police",
            period_label="Q3 2024/25",
            period_end=period_end,
            value="70",
            user=office(session),
        )
    assert refused.value.errors == {"period_end": message}
    rows, errors = parse_values_csv(
        session, f"{HEADER}confidence-in-police,Q3 2024/25,{period_end},70,\n".encode()
    )
    assert (rows, errors) == ([], [f"row 2, period_end: {message}"])
    assert value_count(session) == before


def test_a_revision_takes_effect_within_the_years_charts_can_show(session):
    with pytest.raises(IndicatorError) as refused:
        revise_indicator(
            session, "confidence-in-police", {"title": "New"}, None, valid_from=date(23, 8, 1)
        )
    assert refused.value.errors["valid_from"].startswith("0023-08-01 is not a date plantrack")


@pytest.mark.parametrize("text", ["1" + "0" * 16, "-1" + "0" * 16, 1e300])
def test_figures_too_large_to_chart_are_refused(text):
    with pytest.raises(ValueError, match="is too large to be a figure plantrack can chart"):
        parse_number(text)


def test_text_limits_are_the_widths_of_the_columns_that_store_them():
    assert TEXT_LIMITS == {
        name: Indicator.__table__.c[name].type.length
        for name in (
            "title",
            "unit",
            "data_source",
            "lag_note",
            "geography",
            "baseline_label",
            "target_label",
        )
    }
    assert MAX_PERIOD_LABEL == IndicatorValue.__table__.c.period_label.type.length
    assert MAX_NOTE == IndicatorValue.__table__.c.note.type.length


@pytest.mark.parametrize(
    "text, number",
    [("63", 63.0), ("43.1", 43.1), ("1,962", 1962.0), ("67%", 67.0), (" -2.5 ", -2.5), (".5", 0.5)],
)
def test_numbers_are_read_as_people_type_them(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["abc", "1,96", "inf", "NaN", "1e5", "12 000", "--1"])
def test_things_that_are_not_numbers_are_refused(text):
    with pytest.raises(ValueError, match="is not a number"):
        parse_number(text)


@pytest.mark.parametrize(
    "text, day",
    [
        ("2023-03-31", date(2023, 3, 31)),
        ("31/03/2023", date(2023, 3, 31)),
        ("1/4/2023", date(2023, 4, 1)),
        ("June 2023", date(2023, 6, 30)),
        ("Q2 2023/24", date(2023, 9, 30)),
        (45016, date(2023, 3, 31)),
    ],
)
def test_period_ends_are_read_as_any_spreadsheet_date(text, day):
    assert parse_period_end(text) == day


def test_a_blank_period_end_asks_for_one():
    with pytest.raises(ValueError, match="Enter the date the period ends"):
        parse_period_end("  ")


# --- Correcting and withdrawing a figure ------------------------------------------------------

KEY = "confidence-in-police"


def june_2022(session) -> IndicatorValue:
    return read_indicator_values(session, KEY)[0]


def store_odd_value(session, period_end: date, value: float = 71.0) -> IndicatorValue:
    """A figure stored before periods were checked (or written by other means than the form)."""
    odd = IndicatorValue(
        indicator_id=read_latest_indicator(session, KEY).id,
        period_label="Q3 2024/25",
        period_end=period_end,
        value=value,
        published_on=period_end,
    )
    session.add(odd)
    session.flush()
    return odd


def test_a_figure_is_corrected_in_place_with_before_and_after_audited(session):
    value = june_2022(session)
    corrected = correct_value(
        session,
        key=KEY,
        value_id=value.id,
        value="64%",
        note="Reweighted",
        reason="The survey was reweighted",
        user=office(session),
    )
    assert corrected.id == value.id
    assert [(v.value, v.note) for v in read_indicator_values(session, KEY)] == [
        (64.0, "Reweighted"),
        (67.0, ""),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "correct_value")).one()
    assert (event.entity_type, event.actor) == ("indicator", office(session).email)
    history = read_value_history(session, KEY)
    [correction] = history.corrections[value.id]
    assert (correction.value, correction.note, correction.reason) == (
        63.0,
        "",
        "The survey was reweighted",
    )
    assert history.withdrawn == []


@pytest.mark.parametrize(
    "fields, errors",
    [
        ({"value": "abc"}, {"value": "'abc' is not a number"}),
        (
            {"value": "63", "note": ""},
            {"correction": "Nothing has changed: the figure is as stored"},
        ),
        ({"note": "x" * 501}, {"note": "The note must be 500 characters or fewer"}),
        ({"reason": "x" * 501}, {"reason": "The reason must be 500 characters or fewer"}),
    ],
)
def test_a_correction_that_changes_nothing_or_is_invalid_is_refused(session, fields, errors):
    value = june_2022(session)
    with pytest.raises(IndicatorError) as refused:
        correct_value(
            session,
            key=KEY,
            value_id=value.id,
            user=office(session),
            **({"value": "64", "note": ""} | fields),
        )
    assert refused.value.errors == errors
    session.refresh(value)
    assert value.value == 63.0
    assert session.exec(select(AuditEvent).where(AuditEvent.verb == "correct_value")).all() == []


def test_a_figure_of_another_indicator_is_not_found_under_this_one(session):
    other = read_indicator_values(session, "police-officer-strength")[0]
    for change in (
        lambda: correct_value(session, key=KEY, value_id=other.id, value="1", note="", user=None),
        lambda: withdraw_value(session, key=KEY, value_id=other.id, reason="x", user=None),
    ):
        with pytest.raises(IndicatorError) as refused:
            change()
        assert "This figure is no longer stored" in refused.value.errors["value_id"]
    assert read_indicator_values(session, "police-officer-strength")[0].value == other.value


def test_a_withdrawn_figure_leaves_charts_and_reports_and_is_listed_with_its_reason(session):
    odd = store_odd_value(session, date(24, 12, 31))
    plan = get_plan(session=session, slug=POLICE_PLAN)
    assert build_indicator_sections(session, plan, PANEL_DATE)[0].left_out
    with pytest.raises(IndicatorError) as refused:
        withdraw_value(session, key=KEY, value_id=odd.id, reason=" ", user=office(session))
    assert refused.value.errors == {"reason": "Say why the figure is withdrawn"}
    withdraw_value(
        session, key=KEY, value_id=odd.id, reason="Typed 0024 for 2024", user=office(session)
    )
    assert [v.period_end for v in read_indicator_values(session, KEY)] == [
        date(2022, 6, 30),
        date(2023, 7, 31),
    ]
    section = build_indicator_sections(session, plan, PANEL_DATE)[0]
    assert section.left_out == [] and len(section.values) == 2
    [withdrawn] = read_value_history(session, KEY).withdrawn
    assert (withdrawn.period_label, withdrawn.period_end, withdrawn.value, withdrawn.reason) == (
        "Q3 2024/25",
        date(24, 12, 31),
        71.0,
        "Typed 0024 for 2024",
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "withdraw_value")).one()
    assert '"period_end": "0024-12-31"' in event.before_json
    assert '"withdrawn": true' in event.after_json


def test_a_withdrawn_figure_takes_its_corrections_with_it(session):
    value = june_2022(session)
    user = office(session)
    correct_value(session, key=KEY, value_id=value.id, value="64", note="", user=user)
    withdraw_value(session, key=KEY, value_id=value.id, reason="Survey withdrawn", user=user)
    history = read_value_history(session, KEY)
    assert history.corrections == {}
    assert [c.value for c in history.withdrawn[0].corrections] == [63.0]
    assert history.withdrawn[0].value == 64.0


# --- CSV upload -------------------------------------------------------------------------------

HEADER = "indicator,period,period_end,value,note\n"
GOOD_ROW = "days-recorded-crime-to-charge,Q2 2023/24,2023-09-30,70,\n"


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param(
            GOOD_ROW + "no-such-indicator,Q1,2023-03-31,5,\n",
            "row 3: unknown indicator 'no-such-indicator'",
            id="unknown indicator",
        ),
        pytest.param(
            GOOD_ROW + "confidence-in-police,Oct 2023,2023-10-31,abc,\n",
            "row 3, value: 'abc' is not a number",
            id="bad number",
        ),
        pytest.param(
            GOOD_ROW + "confidence-in-police,Feb 2023,30/02/2023,60,\n",
            "row 3, period_end: '30/02/2023' is not a date",
            id="bad date",
        ),
        pytest.param(
            GOOD_ROW + "confidence-in-police,Oct 2023,2023-10-31,68,\n"
            "confidence-in-police,October 2023,31/10/2023,69,\n",
            "row 4: duplicate period 2023-10-31 for confidence-in-police (also in row 3)",
            id="duplicate in the file",
        ),
        pytest.param(
            GOOD_ROW + "confidence-in-police,July 2023,2023-07-31,67,\n",
            "row 3: duplicate period 2023-07-31 for confidence-in-police",
            id="already stored",
        ),
    ],
)
def test_csv_errors_name_the_row_and_nothing_is_accepted(session, body, message):
    before = value_count(session)
    rows, errors = parse_values_csv(session, (HEADER + body).encode())
    assert rows == []
    assert any(error.startswith(message) for error in errors), errors
    assert value_count(session) == before


def test_csv_reports_every_problem_of_every_row(session):
    body = (
        "no-such-indicator,Q1,2023-03-31,5,\n"  # row 2
        "confidence-in-police,Oct 2023,2023-10-31,abc,\n"  # row 3
        "confidence-in-police,Bad,2023-13-01,x,\n"  # row 4: two problems
    )
    _rows, errors = parse_values_csv(session, (HEADER + body).encode())
    assert errors == [
        "row 2: unknown indicator 'no-such-indicator'",
        "row 3, value: 'abc' is not a number",
        "row 4, period_end: '2023-13-01' is not a date",
        "row 4, value: 'x' is not a number",
    ]


def test_a_good_csv_writes_every_row_in_one_go(session):
    data = (
        "\ufeffIndicator,Period,Period_End,Value,Note\r\n"
        "confidence-in-police,January 2024,31/01/2024,69%,Wave 3\r\n"
        'police-officer-strength,,2024-01-31,"1,990",\r\n'
        "\r\n"
        "days-recorded-crime-to-charge,Q2 2023/24,2023-09-30,70,\r\n"
    ).encode("utf-8")
    before = value_count(session)
    rows, errors = parse_values_csv(session, data)
    assert errors == []
    assert [(row.row, row.key, row.value) for row in rows] == [
        (2, "confidence-in-police", 69.0),
        (3, "police-officer-strength", 1990.0),
        (5, "days-recorded-crime-to-charge", 70.0),
    ]
    assert rows[1].period_label == "31 January 2024"  # a blank period is named by its date
    apply_values(session, rows, office(session))
    assert value_count(session) == before + 3
    assert read_indicator_values(session, "police-officer-strength")[-1].value == 1990.0
    events = session.exec(select(AuditEvent).where(AuditEvent.verb == "upload_values")).all()
    assert len(events) == 3


def test_a_period_end_written_as_a_period_names_a_blank_period(session):
    data = (HEADER + "days-recorded-crime-to-charge,,Q3 2023/24,71,\n").encode()
    rows, errors = parse_values_csv(session, data)
    assert errors == []
    assert (rows[0].period_end, rows[0].period_label) == (date(2023, 12, 31), "Q3 2023/24")


def test_a_csv_saved_by_excel_in_windows_1252_is_read(session):
    data = (
        "indicator,period,period_end,value,note\r\n"
        "confidence-in-police,Jan 2024,2024-01-31,69,Survey £ cost\r\n"
    ).encode("cp1252")
    rows, errors = parse_values_csv(session, data)
    assert errors == [] and rows[0].note == "Survey £ cost"


@pytest.mark.parametrize(
    "data, message",
    [
        pytest.param(b"", "The file is empty", id="empty"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a CSV file: it looks like a PNG", id="image"
        ),
        pytest.param(
            b"PK\x03\x04" + b"\x00" * 50,
            "not a CSV file: it looks like an Excel workbook",
            id="workbook",
        ),
        pytest.param(b"indicator,period\x00,value\n\x01\x02", "not a CSV file", id="binary"),
        pytest.param(b"a" * (1024 * 1024 + 1), "the largest accepted is", id="too big"),
        pytest.param(HEADER.encode(), "no values below it", id="header only"),
        pytest.param(
            b"indicator,when,value\nconfidence-in-police,2023,1\n",
            "row 1: unknown column 'when'",
            id="unknown column",
        ),
        pytest.param(
            b"indicator,period,value\nconfidence-in-police,2023,1\n",
            "missing: period_end",
            id="missing column",
        ),
        pytest.param(
            (HEADER + GOOD_ROW * (MAX_ROWS + 1)).encode(), "at most 5,000", id="too many rows"
        ),
    ],
)
def test_files_that_are_not_value_csvs_are_refused_clearly(session, data, message):
    rows, errors = parse_values_csv(session, data)
    assert rows == []
    assert errors and any(message in error for error in errors), errors


# --- Charts -----------------------------------------------------------------------------------


def fresh_svg(section: IndicatorSection) -> str:
    charts._render.cache_clear()
    return chart_svg(section)


def test_chart_svg_carries_the_title_and_labels_illustrative_data(session):
    real = build_indicator_section(session, "confidence-in-police")
    made_up = build_indicator_section(session, "reoffending-rate-adult")
    real_svg, made_up_svg = chart_svg(real), chart_svg(made_up)
    assert real_svg.startswith("<svg ") and 'role="img"' in real_svg
    assert ">Confidence in Staffordshire Police</text>" in real_svg
    assert (
        "<title>Line chart of Confidence in Staffordshire Police. June 2022: 63%; "
        "July 2023: 67%. Up from 63% in June 2022 to 67% in July 2023, higher is better.</title>"
    ) in real_svg
    assert "Illustrative" not in real_svg and "ILLUSTRATIVE" not in real_svg
    assert ">Proven re-offending rate, adults (illustrative)</text>" in made_up_svg
    assert ">Illustrative data</text>" in made_up_svg
    assert ">ILLUSTRATIVE DATA</text>" in made_up_svg
    assert 'aria-label="Illustrative data. Line chart of' in made_up_svg
    assert "Percent (%)" in real_svg and "Rate (%)" in made_up_svg


def test_chart_svg_is_byte_identical_however_often_and_wherever_it_is_drawn(session):
    section = build_indicator_section(session, "first-time-entrants-juvenile")
    first = fresh_svg(section)
    second = fresh_svg(IndicatorSection.model_validate_json(section.model_dump_json()))
    results = []
    charts._render.cache_clear()
    thread = threading.Thread(target=lambda: results.append(chart_svg(section)))
    thread.start()
    thread.join()
    assert first == second == results[0]
    assert "Date" not in first and "<dc:date>" not in first


def test_charts_of_different_indicators_do_not_share_element_ids(session):
    import re

    one = chart_svg(build_indicator_section(session, "confidence-in-police"))
    two = chart_svg(build_indicator_section(session, "rely-on-local-policing-team"))
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_two = set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two


def test_chart_png_is_a_real_png_and_deterministic(session):
    section = build_indicator_section(session, "police-officer-strength")
    png = chart_png(section)
    charts._render.cache_clear()
    assert chart_png(section) == png
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert (image.format, image.size) == ("PNG", (1200, 675))


def test_a_single_value_is_a_bar_with_its_target_and_counts_start_at_zero(session):
    section = build_indicator_section(session, "police-officer-strength")
    figure = charts._draw(section)
    axes = figure.axes[0]
    assert len(axes.patches) == 1  # the bar
    assert axes.get_ylim()[0] == 0
    svg = chart_svg(section)
    assert "Target: 2,000 (31 March 2024)" in svg and ">1,962</text>" in svg


def test_measures_that_need_no_zero_baseline_are_scaled_to_their_data():
    section = make_section(
        unit="index",
        values=[("2021", date(2021, 3, 31), 101.0), ("2022", date(2022, 3, 31), 104.0)],
    )
    assert charts._draw(section).axes[0].get_ylim()[0] > 90
    assert charts._draw(make_section()).axes[0].get_ylim()[0] == 0


def test_chart_text_is_escaped_and_never_read_as_maths():
    section = make_section(title="Spend in $ & <script>alert(1)</script>")
    svg = chart_svg(section)
    assert "<script>" not in svg
    assert "Spend in $ &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_a_chart_with_no_values_says_so():
    svg = chart_svg(make_section(values=[]))
    assert "No figures yet" in svg


ODD_VALUES = {
    "the year 24": ("Q3 2024/25", date(24, 12, 31), 71.0),
    "the year 1": ("x", date(1, 1, 1), 5.0),
    "the year 9999": ("x", date(9999, 12, 31), 5.0),
    "not a number": ("x", date(2023, 6, 30), math.nan),
    "infinity": ("x", date(2023, 6, 30), math.inf),
    "too large": ("x", date(2023, 6, 30), 1e308),
}


@pytest.mark.parametrize("odd", ODD_VALUES.values(), ids=ODD_VALUES.keys())
@pytest.mark.parametrize("others", [0, 1, 3], ids=["alone", "beside a bar", "in a line"])
def test_a_figure_no_chart_can_place_is_left_out_and_said_to_be(odd, others):
    """Such a figure crashed matplotlib (date arithmetic overflowed), for good."""
    values = make_section().values[:others]
    section = make_section(values=[odd, *values])
    svg = fresh_svg(section)
    png = chart_png(section)
    assert png.startswith(b"\x89PNG")
    assert "Not shown: 1 figure no chart can place (see the caption)." in svg
    drawable = section.drawable()
    assert drawable.values == values
    assert drawable.left_out == [
        f"{odd[0]} (period ending {odd[1].isoformat()}): "
        + (f"{odd[2]:g}" if not math.isfinite(odd[2]) or odd[2] > 1e15 else drawable.format(odd[2]))
    ]
    assert (
        "Left out, as no chart can show it (periods must end between 1 January 1900 and "
        "31 December 2100)" in drawable.caption
    )


def test_a_target_no_chart_can_scale_to_is_left_out_too():
    section = make_section(target=IndicatorMeasure(value=1e308, label="2024"))
    assert "Target" not in fresh_svg(section)
    assert section.drawable().left_out == ["the target: 1e+308"]
    assert section.drawable().target is None


def test_stored_figures_no_chart_can_place_are_left_out_of_report_sections(session):
    store_odd_value(session, date(24, 12, 31))
    store_odd_value(session, date(1, 1, 1), value=5.0)
    plan = get_plan(session=session, slug=POLICE_PLAN)
    section = build_indicator_sections(session, plan, PANEL_DATE)[0]
    assert [value for _, _, value in section.values] == [63.0, 67.0]
    assert section.left_out == [
        "Q3 2024/25 (period ending 0001-01-01): 5%",
        "Q3 2024/25 (period ending 0024-12-31): 71%",
    ]
    # What a published report stores reads back the same.
    assert IndicatorSection.model_validate_json(section.model_dump_json()) == section
    assert chart_svg(build_indicator_section(session, KEY)).startswith("<svg ")


# --- The partial --------------------------------------------------------------------------------


def render_partial(section: IndicatorSection, **context) -> str:
    return templates.env.get_template("indicators/_chart.html").render(section=section, **context)


def test_partial_renders_figure_caption_and_a_table_of_every_value(session):
    section = build_indicator_section(session, "first-time-entrants-adult")
    page = render_partial(section)
    assert "<figure" in page and "<figcaption" in page and str(escape(section.caption)) in page
    assert '<svg role="img"' in page
    assert '<details class="govuk-details">' in page and "Show the figures" in page
    table = page[page.index("<table") : page.index("</table>")]
    assert "<caption" in table
    for label, _period_end, value in section.values:
        assert f">{label}</th>" in table
        assert f">{section.format(value)}</td>" in table
    assert "Baseline: 3,186 (Year to March 2015 (before the 2015-18 Framework))." in page


def test_partial_prints_the_table_open_for_pdf(session):
    page = render_partial(
        build_indicator_section(session, "confidence-in-police"), chart_table_open=True
    )
    assert "<details" not in page and "<table" in page and "67%" in page


# --- Values as they were known: each counts from the day it was published ---------------------


def test_a_value_counts_from_the_day_it_was_published_not_the_end_of_its_period(session):
    """The cohort to March 2017 was published on 31 January 2019: a report as at the day before
    does not show it, though its period ended nearly two years earlier."""
    key = "reoffending-rate-adult"
    before = read_values_by_key(session, [key], as_at=date(2019, 1, 30))[key]
    on_the_day = read_values_by_key(session, [key], as_at=date(2019, 1, 31))[key]
    assert before[-1].period_label == "April 2015 to March 2016 cohort"
    assert on_the_day[-1].period_label == "April 2016 to March 2017 cohort"
    assert on_the_day[-1].published_on == date(2019, 1, 31)
    assert len(on_the_day) == len(before) + 1
    # The two-year lag: on the day the 2015-18 Framework ended, cohorts to March 2016 only.
    known = read_indicator_values(session, key, as_at=date(2018, 3, 31))
    assert [value.period_end.year for value in known] == [2013, 2014, 2015, 2016]


def test_a_value_is_published_today_unless_a_date_is_given(session):
    user = office(session)
    today = add_value(
        session, key=KEY, period_label="", period_end="2024-01-31", value="69", user=user
    )
    assert today.published_on == date.today()
    dated = add_value(
        session,
        key=KEY,
        period_label="",
        period_end="2024-02-29",
        value="70",
        published_on="14/03/2024",
        user=user,
    )
    assert dated.published_on == date(2024, 3, 14)
    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "add_value").order_by(AuditEvent.id.desc())
    ).first()
    assert "published 2024-03-14" in event.summary


@pytest.mark.parametrize(
    ("published_on", "message"),
    [
        ("2024-01-30", "The date published, 30 January 2024, is before the period ends"),
        (date.today() + timedelta(days=1), "is in the future"),
        ("not a date", "'not a date' is not a date"),
        ("31/12/0024", "is not a date a figure can have been published on"),
    ],
)
def test_a_published_date_before_its_period_or_in_the_future_is_refused(
    session, published_on, message
):
    before = len(read_indicator_values(session, KEY))
    with pytest.raises(IndicatorError) as refused:
        add_value(
            session,
            key=KEY,
            period_label="",
            period_end="2024-01-31",
            value="69",
            published_on=published_on,
            user=office(session),
        )
    assert message in refused.value.errors["published_on"]
    assert len(read_indicator_values(session, KEY)) == before


def test_the_database_refuses_a_value_published_before_its_period_ends(session):
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(
                IndicatorValue(
                    indicator_id=read_latest_indicator(session, KEY).id,
                    period_label="Early",
                    period_end=date(2024, 1, 31),
                    value=1.0,
                    published_on=date(2024, 1, 30),
                )
            )
            session.flush()


def test_an_upload_reads_the_published_column_and_defaults_to_the_day_of_upload(session):
    data = (
        b"Indicator,Period,Period end,Value,Date published\n"
        b"confidence-in-police,Jan 2024,2024-01-31,69,12/02/2024\n"
        b"confidence-in-police,Feb 2024,2024-02-29,70,\n"
    )
    rows, errors = parse_values_csv(session, data)
    assert errors == []
    assert [row.published_on for row in rows] == [date(2024, 2, 12), date.today()]
    apply_values(session, rows, office(session))
    stored = read_indicator_values(session, KEY)[-2:]
    assert [value.published_on for value in stored] == [date(2024, 2, 12), date.today()]


def test_an_upload_names_the_row_of_a_published_date_before_its_period(session):
    data = (
        b"indicator,period,period_end,value,published\n"
        b"confidence-in-police,Jan 2024,2024-01-31,69,2024-02-01\n"
        b"confidence-in-police,Feb 2024,2024-02-29,70,2024-01-01\n"
    )
    rows, errors = parse_values_csv(session, data)
    assert rows == []
    assert len(errors) == 1 and errors[0].startswith("row 3, published: The date published")


@pytest.mark.parametrize(
    ("values", "better", "trend"),
    [
        ([63.0, 67.0], "higher", "Up from 63% in June 2022 to 67% in July 2023, higher is better."),
        ([67.0, 63.0], "lower", "Down from 67% in June 2022 to 63% in July 2023, lower is better."),
        (
            [63.0, 63.0],
            "neither",
            "Unchanged at 63% in June 2022 and in July 2023, neither higher nor lower is better.",
        ),
        ([63.0], "higher", "63% in June 2022, the only figure so far; higher is better."),
        ([], "lower", "No figures published by 10 October 2023; lower is better."),
    ],
)
def test_the_trend_in_words_says_which_direction_is_better(values, better, trend):
    periods = [("June 2022", date(2022, 6, 30)), ("July 2023", date(2023, 7, 31))]
    section = IndicatorSection(
        key="k",
        version=1,
        title="Confidence",
        unit="percent",
        better=better,
        data_source="Survey",
        values=[(label, day, value) for (label, day), value in zip(periods, values, strict=False)],
        known_at=date(2023, 10, 10),
    )
    assert section.trend == trend


def test_the_trend_names_years_and_cohorts_as_a_sentence_does(session):
    juvenile = build_indicator_section(session, "first-time-entrants-juvenile")
    assert juvenile.trend == (
        "Down from 341 in the year to March 2018 to 318 in the year to March 2019, lower is better."
    )
    adult = build_indicator_section(session, "reoffending-rate-adult")
    assert adult.trend == (
        "Down from 25.3% for the April 2015 to March 2016 cohort to 25% for the April 2016 to "
        "March 2017 cohort, lower is better."
    )
