import pytest


def test_home_lists_every_plan_with_its_headline(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    for title in (
        "Staffordshire Strategic Framework for Reducing Offending 2015-18",
        "Strategic Framework for Reduced Offending 2018-21",
        "Police and Crime Plan",
    ):
        assert title in page
    # The closed framework is read as at its end: the figures of the Panel report, computed.
    assert "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%)" in page


def test_plan_page_shows_themes_actions_stage_and_rag(client):
    response = client.get("/plans/reducing-offending-2015-18?as_at=2018-03-31")
    assert response.status_code == 200
    page = response.text
    assert "42 (79%) have been completed, with a further 11 in progress (1 Red)." in page
    for theme in (
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ):
        assert theme in page
    assert page.count('class="govuk-tag govuk-tag--green">Complete') == 42
    assert page.count('class="govuk-tag govuk-tag--turquoise">In progress') == 11
    # RAG is shown with its word and letter, never colour alone.
    assert "pt-rag--red" in page and ">R</span> Red" in page


def test_plan_page_as_at_an_earlier_date_shows_earlier_figures(client):
    early = client.get("/plans/reducing-offending-2015-18?as_at=2016-03-31").text
    assert "42 (79%)" not in early
    assert "scheduled for delivery by 31 March 2016" in early


def test_progress_api_matches_the_cli(client):
    response = client.get(
        "/api/v1/plans/reducing-offending-2015-18/progress", params={"as_at": "2018-03-31"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["scheduled"], body["complete"], body["in_progress"], body["percent_complete"]) == (
        53,
        42,
        11,
        79,
    )
    assert [theme["title"] for theme in body["by_theme"]][0] == "Prevention"


@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/plans/no-such-plan", 404, "There is no plan called"),
        ("/plans/reducing-offending-2015-18?as_at=31-03-2018", 400, "is not a date"),
        ("/api/v1/plans/no-such-plan/progress", 404, "There is no plan called"),
        (
            "/api/v1/plans/reducing-offending-2015-18/progress?as_at=2018-13-01",
            422,
            "is not a date",
        ),
    ],
)
def test_bad_requests_get_readable_answers(client, path, status, text):
    response = client.get(path)
    assert response.status_code == status
    assert text in response.text
    assert "Traceback" not in response.text
    if not path.startswith("/api/"):
        assert response.headers["content-type"].startswith("text/html")


def test_an_htmx_filter_gets_only_the_results_block(client):
    response = client.get(
        "/plans/reduced-offending-2018-21",
        params={"rag": "red", "as_at": "2019-03-31"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["vary"] == "HX-Request"
    fragment = response.text
    assert '<div id="results"' in fragment
    assert "<html" not in fragment and "govuk-header" not in fragment
    assert "pt-rag--red" in fragment and "pt-rag--green" not in fragment
    assert "<strong>2</strong> of 34 actions shown (filtered)" in fragment
    full = client.get(
        "/plans/reduced-offending-2018-21", params={"rag": "red", "as_at": "2019-03-31"}
    )
    assert "<html" in full.text and '<div id="results"' in full.text
