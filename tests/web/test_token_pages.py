"""The office's API token pages: create (the secret shown once), list, revoke."""

import re

from sqlmodel import select

from app.core.models import ApiToken
from app.domain.tokens import hash_secret

FORM = {
    "name": "power-bi-refresh",
    "holder": "service",
    "service": "Power BI",
    "scope": "read",
    "expires_in": "90",
}


def create(admin, **overrides):
    return admin.post("/tokens/new", data=FORM | overrides | {"csrf_token": admin.csrf})


def test_the_office_creates_a_token_and_sees_it_once(admin, session):
    page = admin.get("/tokens/new")
    assert page.status_code == 200 and "Create an API token" in page.text
    response = create(admin, plans=["reduced-offending-2018-21"])
    assert response.status_code == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(pt_[A-Za-z0-9_-]{43})"', response.text).group(1)
    stored = session.exec(select(ApiToken).where(ApiToken.name == "power-bi-refresh")).one()
    assert stored.token_hash == hash_secret(secret)
    listing = admin.get("/tokens").text
    assert "power-bi-refresh" in listing and secret not in listing
    assert secret[:7] in listing and "reduced-offending-2018-21" in listing and "Active" in listing
    api = admin.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"})
    assert [plan["slug"] for plan in api.json()["items"]] == ["reduced-offending-2018-21"]


def test_bad_fields_are_shown_beside_their_fields(admin, session):
    response = create(
        admin, name="", holder="person", person_email="nobody@x.example", expires_in="400", scope=""
    )
    assert response.status_code == 400
    for words in (
        "Enter a name",
        "no account for nobody@x.example",
        "within a year",
        "only read, or read and write",
    ):
        assert words in response.text
    assert "govuk-error-summary" in response.text
    not_a_number = create(admin, expires_in="ninety")
    assert "whole number" in not_a_number.text
    assert session.exec(select(ApiToken)).all() == []


def test_revoking_stops_the_token_at_once(admin, session):
    secret = re.search(r'value="(pt_[^"]+)"', create(admin).text).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert admin.get("/api/v1/plans", headers=headers).status_code == 200
    revoked = admin.post(
        "/tokens/revoke",
        data={"name": "power-bi-refresh", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    page = admin.get(revoked.headers["location"]).text
    assert "has been revoked" in page and "Revoked" in page
    assert admin.get("/api/v1/plans", headers=headers).status_code == 401
