"""The flat "actions as at a date" table, loaded as Power BI would: the CSV over HTTP from the
server itself with a plain httpx client and a token, its figures checked against the appendix."""

import csv
import io
from collections import Counter
from datetime import date

import httpx
import pytest
from sqlmodel import Session

from app.domain.progress import get_plan
from app.domain.tokens import create_token
from app.reports.appendix import build_appendix
from benchmarks._concurrency import running_server

SLUG = "reduced-offending-2018-21"
AS_AT = "2019-09-30"


@pytest.fixture(scope="module")
def served(own_database):
    url, engine = own_database
    with Session(engine) as session:
        secret = create_token(
            session,
            name="power-bi",
            scope="read",
            expires_in_days=30,
            service="Power BI refresh",
            plan_slugs=[SLUG],
            created_by=None,
        ).secret
        session.commit()
    with running_server(url) as base:
        yield base, secret, engine


def test_the_csv_feed_matches_the_appendix(served):
    base, secret, engine = served
    response = httpx.get(
        f"{base}/api/v1/plans/{SLUG}/actions-as-at.csv",
        params={"as_at": AS_AT},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "private, max-age=0, must-revalidate"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "plan",
        "as_at",
        "theme",
        "ref",
        "title",
        "lead_organisation",
        "owner_role",
        "due_date",
        "due_label",
        "stage",
        "rating",
        "last_update_date",
        "last_update_text",
        "overdue",
    ]
    with Session(engine) as session:
        plan = get_plan(session=session, slug=SLUG)
        report = build_appendix(session, plan, date.fromisoformat(AS_AT))
    totals = report.totals
    assert len(rows) == totals.total
    assert {row["plan"] for row in rows} == {SLUG} and {row["as_at"] for row in rows} == {AS_AT}
    scheduled = [row for row in rows if row["due_date"] <= AS_AT and row["stage"] != "withdrawn"]
    assert len(scheduled) == totals.scheduled
    by_stage = Counter(row["stage"] for row in scheduled)
    for stage in ("complete", "in_progress", "not_started", "carried_forward"):
        assert by_stage[stage] == getattr(totals, stage), stage
    assert sum(row["overdue"] == "true" for row in rows) == totals.overdue
    # The appendix's rating columns count the actions in progress that are due; all_rag counts
    # every action in progress, as the feed's rows do.
    rated = Counter(row["rating"] for row in scheduled if row["stage"] == "in_progress")
    assert {key: rated[key] for key in totals.rag} == totals.rag
    rated_all = Counter(row["rating"] for row in rows if row["stage"] == "in_progress")
    assert {key: rated_all[key] for key in totals.all_rag} == totals.all_rag
    appendix_refs = [action.ref for section in report.themes for action in section.actions]
    assert [row["ref"] for row in rows] == appendix_refs
    # The JSON table is the same rows.
    table = httpx.get(
        f"{base}/api/v1/plans/{SLUG}/actions-as-at",
        params={"as_at": AS_AT},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=60,
    ).json()
    assert [row["ref"] for row in table["rows"]] == appendix_refs


def test_the_feed_needs_the_token(served):
    base, _secret, _engine = served
    response = httpx.get(f"{base}/api/v1/plans/{SLUG}/actions-as-at.csv", timeout=30)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
