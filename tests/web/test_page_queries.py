"""Every page that shows a plan runs the same number of SQL statements at 50 actions as at 500:
no query per row, whatever the plan's size."""

import pytest

from tests.conftest import sign_in
from tests.factories import build_plan

PAGES = [
    "/plans/{slug}?as_at=2021-03-31",
    "/plans/{slug}?as_at=2021-03-31&rag=green&overdue=yes",
    "/plans/{slug}/reports/appendix?as_at=2021-03-31",
    "/plans/{slug}/reports/appendix.csv?as_at=2021-03-31",
    "/plans/{slug}/reports/appendix.xlsx?as_at=2021-03-31",
    "/plans/{slug}/reports/highlight?as_at=2021-03-31",
    "/api/v1/plans/{slug}/progress?as_at=2021-03-31",
    "/api/v1/plans/{slug}/reports/appendix?as_at=2021-03-31",
]


@pytest.fixture
def office(app_client):
    sign_in(app_client, "admin")
    return app_client


@pytest.mark.parametrize("page", PAGES)
def test_a_plan_page_takes_as_many_statements_at_500_actions_as_at_50(
    office, session, count_statements, page
):
    small, large = build_plan(session, 50), build_plan(session, 500)
    counts = {}
    for plan in (small, large):
        office.get(page.format(slug=plan.slug))  # warm: the first request of a test signs in
        session.expire_all()
        with count_statements() as counter:
            response = office.get(page.format(slug=plan.slug))
        assert response.status_code == 200, response.text[:500]
        counts[plan.slug] = counter.count
    assert counts[small.slug] == counts[large.slug], counts
    assert counts[small.slug] <= 40, counts


def test_the_home_page_takes_as_many_statements_for_15_plans_as_for_5(
    office, session, count_statements
):
    def home_page_statements() -> int:
        office.get("/")  # warm: the first request of a test signs in
        session.expire_all()
        with count_statements() as counter:
            response = office.get("/")
        assert response.status_code == 200, response.text[:500]
        return counter.count

    five = [build_plan(session, 3) for _ in range(5)]
    with_five = home_page_statements()
    fifteen = five + [build_plan(session, 3) for _ in range(10)]
    with_fifteen = home_page_statements()
    page = office.get("/").text
    assert all(plan.title in page for plan in fifteen)
    assert with_five == with_fifteen, (with_five, with_fifteen)
