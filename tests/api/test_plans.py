"""The JSON API reads plans by the same as-at rule as the pages and the command line."""

from datetime import date

import pytest

SLUG = "reducing-offending-2015-18"


def test_progress_without_a_date_is_as_at_the_end_of_a_closed_plan(client):
    body = client.get(f"/api/v1/plans/{SLUG}/progress").json()
    assert body["as_at"] == "2018-03-31"
    assert (body["scheduled"], body["complete"], body["in_progress"]) == (53, 42, 11)
    assert body["percent_complete"] == 79
    assert body["carried_forward"] == 0


def test_the_appendix_model_without_a_date_agrees(client):
    body = client.get(f"/api/v1/plans/{SLUG}/reports/appendix").json()
    assert body["as_at"] == "2018-03-31"
    assert body["totals"]["complete"] == 42 and body["totals"]["scheduled"] == 53


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/api/v1/plans/{SLUG}/reports/appendix?as_at=2018-03-31&since=2018-03-31", 422),
        (f"/plans/{SLUG}/reports/appendix?as_at=2018-03-31&since=2018-03-31", 400),
        (f"/plans/{SLUG}/reports/appendix.csv?as_at=2018-03-31&since=2018-04-30", 400),
    ],
)
def test_a_since_date_not_before_as_at_is_refused_in_the_same_words(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "must be before the as-at date (31 March 2018)" in response.text


def test_the_plan_list_says_when_a_plan_has_ended_without_being_closed(client):
    listed = {plan["slug"]: plan for plan in client.get("/api/v1/plans").json()["items"]}
    ended = [plan for plan in listed.values() if plan["state"] == "ended"]
    assert ended, listed  # the demo holds plans whose period is over and not closed
    for plan in listed.values():
        over = plan["period_end"] < date.today().isoformat()
        if plan["status"] == "closed":
            assert (plan["state"], plan["state_text"]) == ("closed", "Closed")
        elif over:
            assert plan["state"] == "ended"
            assert (
                plan["state_text"].startswith("Ended on ")
                and "not yet closed" in plan["state_text"]
            )
        else:
            assert (plan["state"], plan["state_text"]) == ("active", "Active")
