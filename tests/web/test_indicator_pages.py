"""The indicator pages: reading for everyone signed in, the office's forms, and who may post."""

import json
from datetime import date

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, IndicatorValue
from app.domain.indicators import (
    read_indicator_values,
    read_indicator_versions,
    read_latest_indicator,
)
from tests.conftest import csrf_from
from tests.report_files import download

KEY = "confidence-in-police"
PLAN = "police-and-crime-plan-2021-24"
CSV_HEADER = "indicator,period,period_end,value,note\n"


def value_count(session) -> int:
    return session.exec(select(func.count()).select_from(IndicatorValue)).one()


def upload(client, data: bytes, csrf: str, filename: str = "values.csv"):
    return client.post(
        "/indicators/upload",
        data={"csrf_token": csrf},
        files={"file": (filename, data, "text/csv")},
        follow_redirects=False,
    )


def test_list_shows_latest_definitions_with_their_plans(client):
    response = client.get("/indicators")
    assert response.status_code == 200
    page = response.text
    assert "Confidence in Staffordshire Police" in page
    assert "Proven re-offending rate, adults (illustrative)" in page
    assert 'href="/indicators/confidence-in-police"' in page
    assert "67%" in page and "July 2023" in page
    assert 'href="/plans/police-and-crime-plan-2021-24"' in page
    assert 'href="/indicators/upload"' not in page  # viewers are not offered the upload
    assert 'href="/indicators">Indicators</a>' in page  # in the menu


def test_indicator_page_shows_chart_figures_and_history(client):
    response = client.get(f"/indicators/{KEY}")
    assert response.status_code == 200
    page = response.text
    assert '<svg role="img"' in page and "<figcaption" in page
    assert "Show the figures" in page
    assert ">63%</td>" in page and ">67%</td>" in page
    assert "Staffordshire Police public perception survey" in page
    assert "has not changed since it was first recorded" in page
    assert "Add a value" not in page and "Revise the definition" not in page


def test_unknown_indicator_is_404(client):
    response = client.get("/indicators/no-such-indicator")
    assert response.status_code == 404
    assert "There is no indicator &#39;no-such-indicator&#39;" in response.text


def test_admin_adds_a_value(admin, session):
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={
            "csrf_token": admin.csrf,
            "period_label": "January 2024",
            "period_end": "31/01/2024",
            "value": "69",
            "note": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/indicators/{KEY}?done=added"
    assert [v.value for v in read_indicator_values(session, KEY)] == [63, 67, 69]
    assert ">69%</td>" in admin.get(response.headers["location"]).text


def test_a_bad_value_is_refused_with_an_error_summary_and_nothing_saved(admin, session):
    before = value_count(session)
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={
            "csrf_token": admin.csrf,
            "period_label": "x",
            "period_end": "2023-07-31",
            "value": "abc",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page
    assert "&#39;abc&#39; is not a number" in page
    assert "already stored" in page
    assert 'value="abc"' in page  # what was typed is kept
    assert value_count(session) == before


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param(
            "foo,Q1,2023-03-31,5,\n",
            "row 2: unknown indicator &#39;foo&#39;",
            id="unknown indicator",
        ),
        pytest.param(
            f"{KEY},Oct 2023,2023-10-31,abc,\n",
            "row 2, value: &#39;abc&#39; is not a number",
            id="bad number",
        ),
        pytest.param(
            f"{KEY},Oct 2023,31/13/2023,5,\n",
            "row 2, period_end: &#39;31/13/2023&#39; is not a date",
            id="bad date",
        ),
        pytest.param(
            f"{KEY},Q3 2024/25,0024-12-31,68,\n",
            "row 2, period_end: 0024-12-31 is not a date plantrack can chart: it must be "
            "between 1 January 1900 and 31 December 2100 (check the year)",
            id="year 24",
        ),
        pytest.param(
            f"{KEY},Oct 2023,2023-10-31,68,\n{KEY},Oct 2023,2023-10-31,68,\n",
            f"row 3: duplicate period 2023-10-31 for {KEY}",
            id="duplicate in file",
        ),
        pytest.param(
            f"{KEY},June 2022,30/06/2022,63,\n",
            f"row 2: duplicate period 2022-06-30 for {KEY}",
            id="duplicate stored",
        ),
    ],
)
def test_upload_errors_are_listed_by_row_and_nothing_is_written(admin, session, body, message):
    before = value_count(session)
    good = "days-recorded-crime-to-charge,Q2 2023/24,2023-09-30,70,\n"
    response = upload(admin, (CSV_HEADER + body + good).encode(), admin.csrf)
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page and "nothing has been saved" in page
    assert message in page
    assert value_count(session) == before


def test_a_good_upload_writes_every_row(admin, session):
    before = value_count(session)
    data = (
        CSV_HEADER
        + f"{KEY},January 2024,2024-01-31,69,\n"
        + 'police-officer-strength,January 2024,31/01/2024,"1,990",New intake\n'
    )
    response = upload(admin, data.encode(), admin.csrf)
    assert response.status_code == 303
    assert response.headers["location"] == "/indicators?uploaded=2"
    assert value_count(session) == before + 2
    assert "2 values uploaded and recorded" in admin.get(response.headers["location"]).text


def test_a_file_that_is_not_csv_is_refused(admin, session):
    before = value_count(session)
    response = upload(admin, b"PK\x03\x04" + b"\x00" * 100, admin.csrf, "values.xlsx")
    assert response.status_code == 400
    assert "This is not a CSV file: it looks like an Excel workbook" in response.text
    response = admin.post(
        "/indicators/upload", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert response.status_code == 400 and "Choose a CSV file" in response.text
    assert value_count(session) == before


def test_admin_revises_a_definition_as_a_new_version(admin, session):
    form = admin.get(f"/indicators/{KEY}/revise")
    assert form.status_code == 200
    assert 'value="Confidence in Staffordshire Police"' in form.text
    response = admin.post(
        f"/indicators/{KEY}/revise",
        data={
            "csrf_token": admin.csrf,
            "title": "Confidence in Staffordshire Police (new survey)",
            "unit": "percent",
            "better": "higher",
            "data_source": "Staffordshire Police public perception survey",
            "geography": "Staffordshire and Stoke-on-Trent",
            "baseline_value": "63",
            "baseline_label": "June 2022",
            "valid_from": "2023-08-01",
            "reason": "New survey questions",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    versions = read_indicator_versions(session, KEY)
    assert [(v.version, v.title) for v in versions] == [
        (1, "Confidence in Staffordshire Police"),
        (2, "Confidence in Staffordshire Police (new survey)"),
    ]
    page = admin.get(response.headers["location"]).text
    assert "Version 2: definition changed on 1 August 2023" in page
    assert "The definition changed on 1 August 2023." in page


def test_a_revision_that_changes_nothing_is_refused(admin, session):
    current = read_indicator_versions(session, KEY)[-1]
    response = admin.post(
        f"/indicators/{KEY}/revise",
        data={
            "csrf_token": admin.csrf,
            "title": current.title,
            "unit": current.unit,
            "better": current.better,
            "data_source": current.data_source,
            "geography": current.geography,
            "baseline_value": "63",
            "baseline_label": "June 2022",
            "valid_from": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "Nothing in the definition has changed" in response.text
    assert len(read_indicator_versions(session, KEY)) == 1


POSTS = [
    (f"/indicators/{KEY}/values", {"period_end": "2024-01-31", "value": "70"}),
    (f"/indicators/{KEY}/values/{{value_id}}/correct", {"value": "70"}),
    (f"/indicators/{KEY}/values/{{value_id}}/withdraw", {"reason": "Wrong"}),
    (f"/indicators/{KEY}/revise", {"title": "Changed"}),
    ("/indicators/upload", {}),
]


def first_value(session) -> IndicatorValue:
    return read_indicator_values(session, KEY)[0]


def value_state(session) -> list[tuple]:
    return [(v.id, v.period_end, v.value, v.note) for v in read_indicator_values(session, KEY)]


@pytest.mark.parametrize("path, data", POSTS)
def test_viewer_cannot_post(viewer, session, path, data):
    path = path.format(value_id=first_value(session).id)
    before = value_state(session)
    csrf = csrf_from(viewer.get("/indicators").text)
    files = {"file": ("v.csv", (CSV_HEADER + f"{KEY},Jan,2024-01-31,70,\n").encode(), "text/csv")}
    response = viewer.post(
        path,
        data={"csrf_token": csrf} | data,
        files=files if path.endswith("upload") else None,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert value_state(session) == before
    assert len(read_indicator_versions(session, KEY)) == 1


@pytest.mark.parametrize("path", ["/indicators/upload", f"/indicators/{KEY}/revise"])
def test_viewer_is_not_offered_the_office_forms(viewer, path):
    assert viewer.get(path, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("path", ["/indicators", f"/indicators/{KEY}", "/indicators/upload"])
def test_anonymous_is_sent_to_sign_in(app_client, path):
    response = app_client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("path, data", POSTS)
def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(app_client, session, path, data):
    path = path.format(value_id=first_value(session).id)
    before = value_state(session)
    csrf = csrf_from(app_client.get("/sign-in").text)
    response = app_client.post(path, data={"csrf_token": csrf} | data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    assert value_state(session) == before


def test_posts_without_the_csrf_token_are_refused(admin, session):
    before = value_count(session)
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={"period_end": "2024-01-31", "value": "70"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert value_count(session) == before


def test_the_office_is_told_every_form_of_date_the_one_parser_reads(admin):
    for page in (admin.get("/indicators/upload").text, admin.get(f"/indicators/{KEY}").text):
        assert "31/03/2018 or 2018-03-31" in page
        assert "March 2018" in page and "Q4 2017/18" in page


# --- Odd figures stored before periods were checked, and correcting or withdrawing them -------


def store_odd_value(session, period_end: date) -> IndicatorValue:
    """A figure as the form accepted before its period was checked: the year 24 for 2024."""
    odd = IndicatorValue(
        indicator_id=read_latest_indicator(session, KEY).id,
        period_label="Q3 2024/25",
        period_end=period_end,
        value=71.0,
        note="typed 0024",
        published_on=period_end,
    )
    session.add(odd)
    session.commit()
    return odd


@pytest.mark.parametrize("period_end", [date(24, 12, 31), date(1, 1, 1)])
def test_a_stored_figure_no_chart_can_place_breaks_no_page_report_or_publication(
    admin, session, period_end
):
    """Such a figure made the indicator's page, the plan's highlight report, its PDF and
    publishing answer 500 for good."""
    store_odd_value(session, period_end)
    page = admin.get(f"/indicators/{KEY}")
    assert page.status_code == 200
    assert "Not in charts or reports" in page.text
    assert "Left out, as no chart can show it" in page.text
    assert f"Q3 2024/25 (period ending {period_end.isoformat()}): 71%" in page.text
    highlight = admin.get(f"/plans/{PLAN}/reports/highlight")
    assert highlight.status_code == 200
    assert f"period ending {period_end.isoformat()}" in highlight.text
    pdf = download(admin, f"/plans/{PLAN}/reports/highlight.pdf", session)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    published = admin.post(
        f"/plans/{PLAN}/reports/highlight/publish",
        data={"csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text
    assert admin.get(published.headers["location"]).status_code == 200


def test_the_office_corrects_a_figure_in_place_and_the_audit_keeps_before_and_after(admin, session):
    value = first_value(session)
    response = admin.post(
        f"/indicators/{KEY}/values/{value.id}/correct",
        data={
            "csrf_token": admin.csrf,
            "value": "64",
            "note": "Revised by the survey team",
            "reason": "The survey was reweighted",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/indicators/{KEY}?done=corrected"
    session.refresh(value)
    assert (value.value, value.note) == (64.0, "Revised by the survey team")
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "correct_value")).one()
    figure = {
        "value_id": value.id,
        "period": "June 2022",
        "period_end": "2022-06-30",
        "published_on": "2022-06-30",
    }
    assert json.loads(event.before_json) == figure | {"value": 63.0, "note": ""}
    assert json.loads(event.after_json) == figure | {
        "value": 64.0,
        "note": "Revised by the survey team",
        "reason": "The survey was reweighted",
    }
    assert event.summary == (
        f"Corrected the figure for '{KEY}', June 2022 (period ending 2022-06-30): 63 to 64 and "
        "the note. Reason: The survey was reweighted"
    )
    page = admin.get(response.headers["location"]).text
    assert "The value has been corrected." in page
    assert ">64%</td>" in page
    assert "it was 63%" in page and "Reason: The survey was reweighted" in page


def test_the_office_withdraws_a_figure_which_leaves_charts_and_reports(admin, session):
    odd = store_odd_value(session, date(24, 12, 31))
    response = admin.post(
        f"/indicators/{KEY}/values/{odd.id}/withdraw",
        data={"csrf_token": admin.csrf, "reason": "The year was typed as 0024"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/indicators/{KEY}?done=withdrawn"
    assert [v.period_end for v in read_indicator_values(session, KEY)] == [
        date(2022, 6, 30),
        date(2023, 7, 31),
    ]
    page = admin.get(response.headers["location"]).text
    assert "Withdrawn values" in page
    assert "The year was typed as 0024" in page
    assert "Left out" not in page
    assert "period ending 0024-12-31" not in admin.get(f"/plans/{PLAN}/reports/highlight").text
    # Withdrawn, the figure's period may be recorded again, with the right year.
    again = admin.post(
        f"/indicators/{KEY}/values",
        data={
            "csrf_token": admin.csrf,
            "period_label": "Q3 2023/24",
            "period_end": "2023-12-31",
            "value": "71",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303


def test_a_withdrawal_needs_a_reason_and_what_was_typed_is_kept(admin, session):
    value = first_value(session)
    before = value_state(session)
    response = admin.post(
        f"/indicators/{KEY}/values/{value.id}/withdraw",
        data={"csrf_token": admin.csrf, "reason": "  "},
    )
    assert response.status_code == 400
    page = response.text
    assert "govuk-error-summary" in page
    assert f'href="#withdraw-{value.id}-reason">Say why the figure is withdrawn' in page
    assert f'id="withdraw-{value.id}-reason-error"' in page
    assert value_state(session) == before
    response = admin.post(
        f"/indicators/{KEY}/values/{value.id}/correct",
        data={"csrf_token": admin.csrf, "value": "sixty", "note": "kept"},
    )
    assert response.status_code == 400
    assert f'href="#correct-{value.id}-value">&#39;sixty&#39; is not a number' in response.text
    assert 'value="sixty"' in response.text and 'value="kept"' in response.text
    assert value_state(session) == before


def test_a_figure_withdrawn_meanwhile_cannot_be_corrected_or_withdrawn_again(admin, session):
    value = first_value(session)
    path = f"/indicators/{KEY}/values/{value.id}"
    first = admin.post(f"{path}/withdraw", data={"csrf_token": admin.csrf, "reason": "Duplicate"})
    assert first.status_code == 200  # followed to the page
    for action, data in (("withdraw", {"reason": "Again"}), ("correct", {"value": "1"})):
        response = admin.post(f"{path}/{action}", data={"csrf_token": admin.csrf} | data)
        assert response.status_code == 409
        assert "This figure is no longer stored" in response.text


def test_viewers_see_withdrawn_figures_but_no_forms(viewer, admin_client, session):
    value = first_value(session)
    admin_client.post(
        f"/indicators/{KEY}/values/{value.id}/withdraw",
        data={"csrf_token": admin_client.csrf, "reason": "Survey withdrawn by its publisher"},
    )
    page = viewer.get(f"/indicators/{KEY}").text
    assert "Withdrawn values" in page and "Survey withdrawn by its publisher" in page
    assert "Correct or withdraw" not in page


# --- When a figure was published ---------------------------------------------------------------


def test_the_page_says_when_each_figure_was_published_and_the_trend_in_words(client):
    page = client.get(f"/indicators/{KEY}").text
    assert '<th scope="col" class="govuk-table__header">Published</th>' in page
    assert "10 October 2023" in page  # the July 2023 survey, published in the Panel report
    assert "Up from 63% in June 2022 to 67% in July 2023, higher is better." in page


def test_admin_adds_a_value_with_the_date_it_was_published(admin, session):
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={
            "csrf_token": admin.csrf,
            "period_label": "January 2024",
            "period_end": "31/01/2024",
            "value": "69",
            "published_on-day": "14",
            "published_on-month": "Mar",
            "published_on-year": "2024",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    latest = read_indicator_values(session, KEY)[-1]
    assert (latest.value, latest.published_on) == (69, date(2024, 3, 14))
    assert "14 March 2024" in admin.get(response.headers["location"]).text


def test_a_value_without_a_published_date_is_published_the_day_it_is_entered(admin, session):
    page = admin.get(f"/indicators/{KEY}").text
    assert "Leave it blank if it was published today" in page
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={"csrf_token": admin.csrf, "period_end": "2024-01-31", "value": "69"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert read_indicator_values(session, KEY)[-1].published_on == date.today()


@pytest.mark.parametrize(
    "parts, message",
    [
        (("31", "2", "2024"), "The date published must be a real date"),
        (("", "2", "2024"), "The date published must include a day"),
        (("30", "1", "2024"), "is before the period ends (31 January 2024)"),
    ],
)
def test_a_bad_published_date_is_refused_beside_its_boxes_and_nothing_saved(
    admin, session, parts, message
):
    before = value_count(session)
    day, month, year = parts
    response = admin.post(
        f"/indicators/{KEY}/values",
        data={
            "csrf_token": admin.csrf,
            "period_end": "2024-01-31",
            "value": "69",
            "published_on-day": day,
            "published_on-month": month,
            "published_on-year": year,
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    page = response.text
    assert message in page
    assert 'href="#published_on-day"' in page and 'id="published_on-error"' in page
    assert (
        f'name="published_on-month" type="text" inputmode="numeric" spellcheck="false" value="{month}"'
        in page
    )
    assert value_count(session) == before


def test_an_upload_with_a_date_published_column_stores_it(admin, session):
    data = f"indicator,period,period_end,value,Date published\n{KEY},Jan 2024,2024-01-31,69,2024-03-14\n"
    response = upload(admin, data.encode(), admin.csrf)
    assert response.status_code == 303
    assert read_indicator_values(session, KEY)[-1].published_on == date(2024, 3, 14)
    template = admin.get("/indicators/upload/template.csv").text
    assert template.startswith("indicator,period,period_end,value,published,note")
