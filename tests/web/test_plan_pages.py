import html
import re

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


# --- The plan page at a glance ---------------------------------------------------------------


def figures_on(page: str) -> dict[str, tuple[str, str, str]]:
    """The figures the plan page opens with: key -> (label, value, note), as text."""
    figures = {}
    for key, block in re.findall(r'id="figure-([a-z-]+)">(.*?)</div>', page, re.S):
        label = re.search(r'class="pt-figure__label">(.*?)</dt>', block, re.S).group(1)
        value = re.search(r'class="pt-figure__value">(.*?)</dd>', block, re.S).group(1)
        note = re.search(r'class="pt-figure__note">(.*?)</dd>', block, re.S)
        figures[key] = (label.strip(), value.strip(), note.group(1).strip() if note else "")
    return figures


def test_the_plan_page_opens_with_the_figures_a_board_member_looks_for(client):
    page = client.get("/plans/reducing-offending-2015-18?as_at=2018-03-31").text
    figures = figures_on(page)
    assert list(figures) == ["scheduled", "complete", "in-progress", "red", "overdue", "due-later"]
    assert figures["scheduled"][:2] == ("Scheduled by 31 March 2018", "53")
    assert figures["complete"][:2] == ("Complete", "42")
    assert figures["complete"][2].startswith("79% of those scheduled")
    assert figures["in-progress"][:2] == ("In progress", "11")
    assert figures["red"][0] == "Red"
    assert figures["due-later"][:2] == ("Due later", "0")
    # The figures come first: before the as-at form, the themes and the actions.
    assert page.index('id="figures"') < page.index('class="pt-as-at"')
    assert page.index('id="figures"') < page.index('id="actions-heading"')
    # The office's switches are on the settings page, not here.
    assert '/public"' not in page and '/approval"' not in page


def test_the_figures_count_what_is_due_later_and_rated_red(client):
    """Part way through a plan: actions due later are counted, and Red and In progress count
    every action in progress (as the ratings do), so Red is never more than In progress."""
    page = client.get("/plans/reduced-offending-2018-21?as_at=2019-03-31").text
    figures = {key: int(value) for key, (_, value, _) in figures_on(page).items()}
    assert figures["due-later"] > 0
    assert figures["complete"] <= figures["scheduled"]
    assert figures["overdue"] <= figures["scheduled"] - figures["complete"]
    assert 0 <= figures["red"] <= figures["in-progress"]
    body = client.get(
        "/api/v1/plans/reduced-offending-2018-21/progress", params={"as_at": "2019-03-31"}
    ).json()
    assert figures["scheduled"] == body["scheduled"]
    assert figures["due-later"] == body["not_yet_due"]
    assert figures["red"] == body["rag"]["red"] + body["later_rag"]["red"]
    assert figures["in-progress"] == body["in_progress"] + body["later_in_progress"]
    assert body["in_progress"] == sum(body["rag"].values()) + body["not_rated"]


def test_the_police_strategy_is_shown_as_written(client):
    """Its commitments under each theme, its five-point ratings headed Delivery confidence."""
    page = client.get("/plans/managing-offenders-2018-21").text
    assert "We will do this through:" in page
    lists = re.findall(
        r'class="govuk-list govuk-list--bullet pt-commitments"[^>]*>(.*?)</ul>', page, re.S
    )
    assert [len(re.findall(r"<li>", items)) for items in lists] == [6, 6, 6, 7, 6]  # all 31
    assert "Considering the views of the victim and ensuring" in html.unescape(lists[0])
    assert 'scope="col" class="govuk-table__header">Delivery confidence</th>' in page
    assert 'scope="col" class="govuk-table__header">RAG</th>' not in page
    assert "Assistant Chief Constable, Investigations and Operational Support" in page
    three_point = client.get("/plans/reduced-offending-2018-21").text
    assert 'scope="col" class="govuk-table__header">RAG</th>' in three_point
    assert "Delivery confidence" not in three_point


def test_the_as_at_date_is_typed_into_a_gov_uk_date_input(client):
    page = client.get("/plans/reducing-offending-2015-18?as_at=2018-03-31").text
    assert 'type="date"' not in page
    for part, value in (("day", "31"), ("month", "3"), ("year", "2018")):
        assert f'id="as_at-{part}" name="as_at-{part}"' in page
        assert re.search(rf'name="as_at-{part}" [^>]*value="{value}"', page)
    by_boxes = client.get(
        "/plans/reducing-offending-2015-18",
        params={"as_at-day": "31", "as_at-month": "March", "as_at-year": "2018"},
    )
    assert by_boxes.status_code == 200
    assert figures_on(by_boxes.text) == figures_on(page)


@pytest.mark.parametrize(
    "parts, message",
    [
        ({"as_at-day": "31", "as_at-month": "2"}, "The as-at date must include a year"),
        ({"as_at-day": "31", "as_at-month": "2", "as_at-year": "2018"}, "must be a real date"),
        ({"as_at-day": "1", "as_at-month": "1", "as_at-year": "1800"}, "outside the dates"),
    ],
)
def test_a_bad_as_at_date_in_the_boxes_is_a_readable_400(client, parts, message):
    response = client.get("/plans/reducing-offending-2015-18", params=parts)
    assert response.status_code == 400
    assert message in html.unescape(response.text)


def test_the_appendix_and_highlight_read_their_dates_from_gov_uk_date_inputs(client):
    plan = "/plans/reducing-offending-2015-18/reports"
    appendix = client.get(f"{plan}/appendix", params={"as_at": "2017-03-31"}).text
    assert 'type="date"' not in appendix
    by_boxes = client.get(
        f"{plan}/appendix",
        params={
            **{"as_at-day": "31", "as_at-month": "3", "as_at-year": "2017"},
            **{"since-day": "31", "since-month": "12", "since-year": "2016"},
        },
    )
    assert by_boxes.status_code == 200
    assert "as at 31 March 2017" in by_boxes.text
    assert re.search(r'name="since-month" [^>]*value="12"', by_boxes.text)
    highlight = client.get(
        f"{plan}/highlight.json",
        params={"as_at-day": "31", "as_at-month": "3", "as_at-year": "2017"},
    )
    assert highlight.status_code == 200
    assert highlight.json()["as_at"] == "2017-03-31"
    bad = client.get(
        f"{plan}/appendix", params={"since-day": "30", "since-month": "2", "since-year": "2017"}
    )
    assert bad.status_code == 400
    assert "The &#39;changes since&#39; date must be a real date" in bad.text


def test_the_plan_page_draws_its_progress_over_time_with_the_figures_beside(client):
    page = client.get("/plans/reducing-offending-2015-18?as_at=2018-03-31").text
    section = page[page.index('id="trajectory-heading"') :]
    section = section[: section.index("</section>")]
    # The chart, named in words, then its figures in a table: the last row is the Panel's date.
    assert '<svg role="img" aria-label="Line chart of actions due and actions completed' in section
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*'
        r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)",
        section,
    )
    assert len(rows) >= 3, section[:2000]
    assert rows[-1] == ("As at 31 March 2018", "53", "42", "42")  # the Panel's figures
    dues = [int(due) for _label, due, _done, _of_due in rows]
    assert dues == sorted(dues)  # cumulative: actions due never fall
    # It follows the figures and the headline, before the themes.
    assert page.index('id="headline"') < page.index('id="trajectory-heading"')
    assert page.index('id="trajectory-heading"') < page.index('id="actions-heading"')


def test_each_theme_has_a_bar_labelled_with_words_and_numbers(client):
    page = client.get("/plans/reducing-offending-2015-18?as_at=2018-03-31").text
    bars = page[page.index('id="theme-bars"') :]
    bars = bars[: bars.index("</ul>")]
    labels = re.findall(
        r'aria-label="([^"]+): (\d+) complete, (\d+) in progress, (\d+) not started"', bars
    )
    assert [label for label, *_ in labels] == [
        "Prevention",
        "Diversion",
        "Offender Management, Rehabilitation and Resettlement",
    ]
    assert sum(int(done) for _, done, _, _ in labels) == 42
    assert sum(int(going) for _, _, going, _ in labels) == 11
    for _name, done, going, waiting in labels:
        assert (
            f"<strong>{done}</strong> complete · <strong>{going}</strong> in progress · "
            f"<strong>{waiting}</strong> not started"
        ) in bars
