"""POST a status update through the API: the form's validation, approval rule and version
check, with If-Match (428 without it, 412 on a stale version with the current update)."""

from sqlmodel import func, select

from app.core.models import StatusUpdate
from tests.api.conftest import bearer

SLUG = "reduced-offending-2018-21"
OWN = f"/api/v1/plans/{SLUG}/actions/OM1"  # led through omrr.lead's delivery group
OTHERS = f"/api/v1/plans/{SLUG}/actions/P3"
APPROVAL = "managing-offenders-2018-21"  # a plan whose updates need the office's approval

UPDATE = {
    "stage": "in_progress",
    "rag": "amber",
    "commentary": "The pilot started in two districts.",
    "effective_on": "2019-03-01",
}


def count(session) -> int:
    return session.exec(select(func.count()).select_from(StatusUpdate)).one()


def etag_of(client, path, headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"].startswith(response.json()["etag"][:-1])
    return response.json()["etag"]


def test_an_editor_posts_an_update_with_the_actions_etag(app_client, make_token, session):
    headers = bearer(make_token(scope="write", person="omrr.lead@plantrack.example"))
    etag = etag_of(app_client, OWN, headers)
    before = count(session)
    created = app_client.post(f"{OWN}/updates", json=UPDATE, headers=headers | {"If-Match": etag})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["update"]["commentary"] == UPDATE["commentary"]
    assert body["update"]["review_state"] == "approved"
    assert body["etag"] != etag and created.headers["etag"] == body["etag"]
    assert count(session) == before + 1
    listed = app_client.get(f"{OWN}/updates", headers=headers).json()["items"]
    assert listed[0]["id"] == body["update"]["id"]
    # The same ETag again is stale now: 412, with what was recorded in between.
    stale = app_client.post(f"{OWN}/updates", json=UPDATE, headers=headers | {"If-Match": etag})
    assert stale.status_code == 412
    problem = stale.json()
    assert stale.headers["content-type"] == "application/problem+json"
    assert problem["current"]["id"] == body["update"]["id"]
    assert problem["current_etag"] == body["etag"] == stale.headers["etag"]
    assert count(session) == before + 1


def test_if_match_is_required_and_must_name_a_version(app_client, make_token, session):
    headers = bearer(make_token(scope="write", person="omrr.lead@plantrack.example"))
    before = count(session)
    missing = app_client.post(f"{OWN}/updates", json=UPDATE, headers=headers)
    assert missing.status_code == 428 and "If-Match" in missing.json()["detail"]
    for tag in ('"nonsense"', "*", '"v99999999999"'):
        wrong = app_client.post(f"{OWN}/updates", json=UPDATE, headers=headers | {"If-Match": tag})
        assert wrong.status_code == 412, tag
    assert count(session) == before


def test_the_forms_validation_answers_422_with_a_message_per_field(app_client, make_token, session):
    headers = bearer(make_token(scope="write", person="omrr.lead@plantrack.example"))
    etag = etag_of(app_client, OWN, headers)
    before = count(session)
    bad = {"stage": "in_progress", "rag": "red", "commentary": " ", "effective_on": "2090-01-01"}
    response = app_client.post(f"{OWN}/updates", json=bad, headers=headers | {"If-Match": etag})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {
        "commentary": "Enter a commentary: what has happened since the last update.",
        "corrective_action": "Enter the corrective action: a Red rating needs one.",
        "effective_on": "The effective date cannot be in the future.",
    }
    shape = app_client.post(
        f"{OWN}/updates", json={"stage": 3}, headers=headers | {"If-Match": etag}
    )
    assert shape.status_code == 422 and "stage" in shape.json()["errors"]
    assert count(session) == before


def test_who_may_update_is_the_pages_rule(app_client, make_token):
    editor = bearer(make_token(scope="write", person="omrr.lead@plantrack.example"))
    etag = etag_of(app_client, OTHERS, editor)
    refused = app_client.post(f"{OTHERS}/updates", json=UPDATE, headers=editor | {"If-Match": etag})
    assert refused.status_code == 403
    reader = bearer(make_token(name="reader", person="omrr.lead@plantrack.example"))
    assert (
        app_client.post(
            f"{OWN}/updates", json=UPDATE, headers=reader | {"If-Match": etag}
        ).status_code
        == 403
    )


def test_a_plan_that_needs_approval_holds_an_editors_and_a_services_update(
    app_client, make_token, session
):
    service = bearer(make_token(name="council-system", scope="write", plans=[APPROVAL]))
    actions = app_client.get(f"/api/v1/plans/{APPROVAL}/actions", headers=service).json()["items"]
    path = f"/api/v1/plans/{APPROVAL}/actions/{actions[0]['ref']}"
    created = app_client.post(
        f"{path}/updates",
        json=UPDATE | {"effective_on": "2019-06-30"},
        headers=service | {"If-Match": actions[0]["etag"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["update"]["review_state"] == "submitted"
    stored = session.get(StatusUpdate, created.json()["update"]["id"])
    assert stored.recorded_by_id is None
    office = bearer(make_token(name="office", scope="write", person="admin@plantrack.example"))
    etag = etag_of(app_client, path, office)
    approved = app_client.post(
        f"{path}/updates",
        json=UPDATE | {"effective_on": "2019-06-30"},
        headers=office | {"If-Match": etag},
    )
    assert approved.json()["update"]["review_state"] == "approved"
