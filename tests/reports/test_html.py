import json

import pytest

from app.reports.render_html import render_html
from tests.report_files import download

PAGE = "/plans/reducing-offending-2015-18/reports/appendix"


def test_the_page_says_42_of_53_and_79_percent(client):
    response = client.get(PAGE, params={"as_at": "2018-03-31"})
    assert response.status_code == 200
    page = response.text
    assert "42 (79%) have been completed, with a further 11 in progress (1 Red)." in page
    # The as-at date in a GOV.UK date input (day, month, year boxes), and a download link for
    # every format.
    assert 'type="date"' not in page
    for part, value in (("day", "31"), ("month", "3"), ("year", "2018")):
        assert (
            f'name="as_at-{part}" type="text" inputmode="numeric" spellcheck="false" value="{value}"'
            in page
        )
    for extension in ("pdf", "docx", "xlsx", "csv", "json"):
        assert f"{PAGE}.{extension}?as_at=2018-03-31" in page
    assert 'media="print"' in page


def test_rag_is_never_colour_alone(demo_report):
    page = render_html(demo_report)
    reds = [row for row in demo_report.all_actions if row.rag == "red"]
    assert reds
    assert page.count(
        'pt-rag--red"><span class="pt-rag__letter" aria-hidden="true">R</span> Red'
    ) >= len(reds)
    for rule in demo_report.rag_rules:
        assert (
            f'pt-rag--{rule.key}"><span class="pt-rag__letter" aria-hidden="true">{rule.letter}</span> {rule.label}'
            in page
        )


def test_the_pdf_variant_has_no_navigation_or_controls(demo_report):
    html = render_html(demo_report, for_pdf=True)
    assert "govuk-header" not in html and "Download this report" not in html
    assert 'lang="en-GB"' in html
    assert 'Page " counter(page) " of " counter(pages)' in html


def test_corrective_actions_are_printed_for_every_red(demo_report):
    page = render_html(demo_report)
    for row in demo_report.all_actions:
        if row.rag == "red":
            assert row.corrective_action in page


def test_commentary_is_escaped(demo_report):
    report = demo_report.model_copy(deep=True)
    report.themes[0].actions[0].commentary = "<script>alert(1)</script>"
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "extension, media_type, signature",
    [
        ("pdf", "application/pdf", b"%PDF"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("csv", "text/csv; charset=utf-8", "\ufeffPlan,As at (ISO)".encode()),
        ("json", "application/json", b"{"),
    ],
)
def test_every_download(client, session, extension, media_type, signature):
    response = download(client, f"{PAGE}.{extension}", session, params={"as_at": "2018-03-31"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content.startswith(signature)
    assert (
        f'filename="reducing-offending-2015-18-appendix-2018-03-31.{extension}"'
        in response.headers["content-disposition"]
    )


def test_the_json_is_the_report_model(client, demo_report):
    body = client.get(f"{PAGE}.json", params={"as_at": "2018-03-31"}).json()
    assert body["headline"] == demo_report.headline
    assert body["totals"]["percent_complete"] == 79
    assert [len(t["actions"]) for t in body["themes"]] == [
        len(t.actions) for t in demo_report.themes
    ]
    api = client.get(
        "/api/v1/plans/reducing-offending-2015-18/reports/appendix", params={"as_at": "2018-03-31"}
    ).json()
    assert api["totals"] == body["totals"]
    assert json.loads(demo_report.model_dump_json())["totals"] == body["totals"]


@pytest.mark.parametrize(
    "path, status, text",
    [
        (f"{PAGE}?as_at=2018-03-31&since=2018-04-30", 400, "must be before the as-at date"),
        (f"{PAGE}.exe?as_at=2018-03-31", 404, "not available as"),
        (f"{PAGE}?as_at=yesterday", 400, "is not a date"),
        ("/plans/nope/reports/appendix.pdf", 404, "no plan called"),
    ],
)
def test_bad_report_requests(client, path, status, text):
    response = client.get(path)
    assert response.status_code == status
    assert text in response.text


def test_an_earlier_as_at_gives_earlier_figures(client):
    page = client.get(PAGE, params={"as_at": "2017-03-31"}).text
    assert "scheduled for delivery by 31 March 2017" in page
    assert "42 (79%)" not in page
