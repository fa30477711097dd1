"""A plan's outcomes, milestones and owners in the API: read a page at a time with ETags like
every list, figures that agree with the plan's actions; the office replaces the outcomes and adds
an owner with the pages' validation, audited; a read token may not."""

import json

from sqlmodel import select

from app.core.models import AuditEvent, Milestone, Plan
from tests.api.conftest import bearer

SLUG = "reduced-offending-2018-21"
API = f"/api/v1/plans/{SLUG}"


def walk(client, path: str, headers: dict, limit: int) -> list[dict]:
    """Every item of a list, a page at a time, following next_cursor."""
    items, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, max-age=0, must-revalidate"
        body = response.json()
        assert len(body["items"]) <= limit and body["plan"] == SLUG
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_outcomes_milestones_and_owners_read_page_by_page(app_client, make_token, session):
    token = bearer(make_token())
    outcomes = app_client.get(f"{API}/outcomes", headers=token)
    assert [(o["position"], o["title"]) for o in outcomes.json()["items"]] == [
        (1, "People are prevented from first time offending"),
        (2, "People are prevented from reoffending"),
    ]
    again = app_client.get(
        f"{API}/outcomes", headers=token | {"If-None-Match": outcomes.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""

    milestones = walk(app_client, f"{API}/milestones", token, limit=4)
    plan_id = session.exec(select(Plan.id).where(Plan.slug == SLUG)).one()
    stored = session.exec(select(Milestone).where(Milestone.plan_id == plan_id)).all()
    assert sorted(m["id"] for m in milestones) == sorted(m.id for m in stored)
    assert len({m["id"] for m in milestones}) == len(stored) == 9  # no page repeats one
    rr2 = next(m for m in milestones if m["action"] == "RR2")
    assert (rr2["due_label"], rr2["achieved_on"]) == ("December 2018", "2019-02-28")
    assert sum(m["action"] is None for m in milestones) == 3  # the plan's own

    owners = walk(app_client, f"{API}/owners", token, limit=5)
    assert len(owners) > 5 and len({o["id"] for o in owners}) == len(owners)
    leader = max(owners, key=lambda o: o["actions_led"])
    led = app_client.get(f"{API}/actions", params={"owner": leader["id"]}, headers=token)
    assert len(led.json()["items"]) == leader["actions_led"] > 0
    assert any(o["delivery_groups"] for o in owners)

    bad = app_client.get(f"{API}/owners", params={"cursor": "not-ours"}, headers=token)
    assert bad.status_code == 422 and "cursor" in bad.json()["errors"]


def test_the_office_replaces_outcomes_and_adds_owners_audited(app_client, make_token, session):
    writer = bearer(make_token(name="sync", scope="write", person="admin@plantrack.example"))
    reader = bearer(make_token(name="reader", scope="read", person="admin@plantrack.example"))
    new = {"outcomes": ["Fewer first-time entrants", "  ", "Fewer people reoffend"]}

    assert app_client.put(f"{API}/outcomes", json=new, headers=reader).status_code == 403
    replaced = app_client.put(f"{API}/outcomes", json=new, headers=writer)
    assert replaced.status_code == 200, replaced.text
    listed = app_client.get(f"{API}/outcomes", headers=reader).json()["items"]
    assert [o["title"] for o in listed] == ["Fewer first-time entrants", "Fewer people reoffend"]
    too_long = app_client.put(f"{API}/outcomes", json={"outcomes": ["x" * 501]}, headers=writer)
    assert too_long.status_code == 422 and "outcomes" in too_long.json()["errors"]

    owner = {"role": "Head of Community Safety", "organisation": "Northtown Council"}
    assert app_client.post(f"{API}/owners", json=owner, headers=reader).status_code == 403
    added = app_client.post(f"{API}/owners", json=owner, headers=writer)
    assert added.status_code == 201, added.text
    assert added.json() | {"id": 0} == {
        "id": 0,
        "role": "Head of Community Safety",
        "organisation": "Northtown Council",
        "organisation_name": "Northtown Council",
        "actions_led": 0,
        "delivery_groups": [],
    }
    twice = app_client.post(f"{API}/owners", json=owner, headers=writer)
    assert twice.status_code == 422 and "already an owner" in twice.json()["errors"]["role"]
    blank = app_client.post(f"{API}/owners", json={"email": "nope"}, headers=writer)
    assert blank.status_code == 422
    assert set(blank.json()["errors"]) == {"role", "organisation", "email"}

    events = session.exec(
        select(AuditEvent).where(AuditEvent.verb.in_(["edit_outcomes", "add_owner"]))
    ).all()
    assert {event.actor for event in events} == {"admin@plantrack.example (token sync)"}
    assert len(events) == 2
    assert json.loads(next(e for e in events if e.verb == "add_owner").after_json)["role"] == (
        "Head of Community Safety"
    )
