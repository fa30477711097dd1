"""POST /api/v1/plans: the office creates a plan as JSON, checked field by field as the page
checks it; 422 with a message per field, and nothing written, when any is wrong."""

import json

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, Plan, Theme
from app.domain.progress import get_plan
from tests.conftest import sign_in


def body(**overrides) -> dict:
    return {
        "slug": "youth-justice-2024-27",
        "title": "Youth Justice Plan 2024-27",
        "period_start": "2024-04-01",
        "period_end": "2027-03-31",
        "board": "OMCDB",
        "rag_scheme": "dca5",
        "requires_approval": True,
        "outcomes": ["Fewer first time entrants"],
        "themes": [
            {
                "title": "Prevention",
                "vision": "Children are kept out of the justice system.",
                "commitments": ["Early help for families"],
                "delivery_group": "Prevention Delivery Group",
            },
            {"title": "Resettlement"},
        ],
    } | overrides


def post(client, payload):
    return client.post("/api/v1/plans", json=payload, headers={"X-CSRF-Token": client.csrf})


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_office_creates_a_plan(admin, session):
    response = post(admin, body())
    assert response.status_code == 201, response.text
    assert response.json() == {
        "slug": "youth-justice-2024-27",
        "title": "Youth Justice Plan 2024-27",
        "status": "active",
        "state": "active",
        "period_start": "2024-04-01",
        "period_end": "2027-03-31",
        "rag_scheme": "dca5",
        "requires_approval": True,
        "url": "/plans/youth-justice-2024-27",
    }
    plan = get_plan(session=session, slug="youth-justice-2024-27")
    titles = session.exec(select(Theme.title).where(Theme.plan_id == plan.id)).all()
    assert sorted(titles) == ["Prevention", "Resettlement"]
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "create_plan")).one()
    assert event.actor == "admin@plantrack.example"
    assert json.loads(event.after_json)["themes"][0]["delivery_group"] == (
        "Prevention Delivery Group"
    )
    listed = admin.get("/api/v1/plans").json()["items"]
    assert "youth-justice-2024-27" in [p["slug"] for p in listed]
    progress = admin.get("/api/v1/plans/youth-justice-2024-27/progress").json()
    assert (progress["total"], progress["rag_scheme"]) == (0, "dca5")


@pytest.mark.parametrize(
    "overrides, errors",
    [
        (
            {"slug": "Youth Justice", "period_end": "2024-03-31"},
            {
                "slug": "The short name must use only lower-case letters, digits and single "
                "hyphens between them, such as youth-justice-plan-2024-27",
                "period_end": "The end date must be after the start date",
            },
        ),
        (
            {"period_start": "31/03/2024", "board": "", "rag_scheme": "red"},
            {
                "period_start": "The start date must be a real date, in the form YYYY-MM-DD",
                "board": "Choose the board that owns the plan",
                "rag_scheme": "Choose how actions are rated: Green/Amber/Red (rag) or the "
                "five-point Delivery Confidence Assessment (dca)",
            },
        ),
        (
            {"themes": [{"title": "A"}, {"title": "a", "vision": "x"}]},
            {"themes.1.title": "Theme 'a' is already listed above: give each theme its own title"},
        ),
        (
            {"slug": "reducing-offending-2015-18"},
            {
                "slug": "There is already a plan with the short name reducing-offending-2015-18: "
                "choose another"
            },
        ),
    ],
)
def test_bad_input_is_422_with_every_fields_message_and_writes_nothing(
    admin, session, overrides, errors
):
    plans, events = count(session, Plan), count(session, AuditEvent)
    response = post(admin, body(**overrides))
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (problem["status"], problem["errors"]) == (422, errors)
    assert all(message in problem["detail"] for message in errors.values())
    assert (count(session, Plan), count(session, AuditEvent)) == (plans, events)


def test_a_body_of_the_wrong_shape_is_422(admin):
    response = post(admin, body(themes="Prevention"))
    assert response.status_code == 422
    assert "themes" in response.json()["errors"]


@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_viewers_and_editors_are_refused(app_client, session, who):
    csrf = sign_in(app_client, who)
    plans = count(session, Plan)
    response = app_client.post("/api/v1/plans", json=body(), headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert count(session, Plan) == plans


def test_without_the_csrf_token_or_signed_out_nothing_is_created(admin, app_client, session):
    assert admin.post("/api/v1/plans", json=body()).status_code == 403
    admin.cookies.clear()
    assert admin.post("/api/v1/plans", json=body()).status_code == 401
    assert get_plan(session=session, slug="youth-justice-2024-27") is None
