"""A plan's owners through HTTP: the office adds, invites and links owners; the invited owner
sets a password from the e-mailed link and signs in; viewers and editors are refused."""

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, Person, User
from tests.conftest import csrf_from, sign_in

SLUG = "reduced-offending-2018-21"
OWNERS = f"/plans/{SLUG}/owners"
PASSWORD = "a long enough pass phrase for tests"


def count(session, model, *conditions) -> int:
    return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def add(admin, **fields):
    data = {"role": "Head of Community Safety", "organisation": "SoTCC", "email": ""} | fields
    return admin.post(OWNERS, data=data | {"csrf_token": admin.csrf}, follow_redirects=False)


def person_id(response) -> int:
    return int(re.search(r"person=(\d+)", response.headers["location"]).group(1))


def test_the_owners_page_lists_owners_without_an_account_first(admin):
    page = admin.get(OWNERS).text
    assert "Owners of this plan&#39;s actions and delivery groups" in page
    assert "cannot sign in to update their actions" in page
    first_row = page.index('id="owner-')
    assert "No account" in page[first_row : first_row + 1500]
    assert "omrr.lead@plantrack.example" in page


def test_the_office_adds_an_owner(admin, session):
    response = add(admin, email="cs@stoke.example")
    assert response.status_code == 303
    person = session.get(Person, person_id(response))
    assert person.role == "Head of Community Safety" and person.email == "cs@stoke.example"
    page = admin.get(response.headers["location"]).text
    assert "Head of Community Safety, SoTCC is added to the directory" in page
    assert count(session, AuditEvent, AuditEvent.verb == "add_owner") == 1


def test_a_bad_owner_is_shown_with_its_errors_and_nothing_is_written(admin, session):
    before = (count(session, Person), count(session, AuditEvent))
    response = add(admin, role="", organisation="", email="nope")
    assert response.status_code == 400
    for message in ("Enter the owner&#39;s role", "Enter the owner&#39;s organisation"):
        assert message in response.text
    assert "in the right form" in response.text and 'href="#email"' in response.text
    assert 'value="nope"' in response.text
    assert (count(session, Person), count(session, AuditEvent)) == before


def test_an_invited_owner_sets_a_password_and_signs_in(admin, session, smtp_server, app_client):
    added = add(admin, email="cs@stoke.example")
    owner = person_id(added)
    invited = admin.post(
        f"{OWNERS}/{owner}/invite",
        data={"email": "cs@stoke.example", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert invited.status_code == 303
    page = admin.get(invited.headers["location"]).text
    assert "is invited" in page and "Invited" in page and "Send the invitation again" in page
    (message,) = smtp_server
    link = re.search(r"http://[^/]+(/invitation/\S+)", message.get_payload(decode=True).decode())
    path = link.group(1)

    admin.post("/sign-out", data={"csrf_token": admin.csrf})
    form = app_client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert "cs@stoke.example" in form.text
    mismatch = app_client.post(
        path,
        data={
            "new_password": PASSWORD,
            "confirm_password": "different",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    done = app_client.post(
        path,
        data={
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
            "csrf_token": csrf_from(mismatch.text),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert app_client.get(path).status_code == 404  # used once
    sign_in_page = app_client.get("/sign-in").text
    signed_in = app_client.post(
        "/sign-in",
        data={
            "email": "cs@stoke.example",
            "password": PASSWORD,
            "next": "/my-actions",
            "csrf_token": csrf_from(sign_in_page),
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/my-actions"
    account = session.exec(select(User).where(User.email == "cs@stoke.example")).one()
    assert account.role == "editor" and account.person_id == owner


def test_a_forged_invitation_link_is_refused(app_client):
    assert app_client.get("/invitation/1.2099-01-01." + "0" * 64).status_code == 404
    assert app_client.get("/invitation/nonsense").status_code == 404


def test_an_invitation_to_a_taken_address_is_refused_and_nothing_is_written(
    admin, session, smtp_server
):
    owner = person_id(add(admin))
    users = count(session, User)
    response = admin.post(
        f"{OWNERS}/{owner}/invite",
        data={"email": "omrr.lead@plantrack.example", "csrf_token": admin.csrf},
    )
    assert response.status_code == 400
    assert "already the account of another owner" in response.text
    assert f'href="#invite-{owner}"' in response.text
    assert count(session, User) == users and smtp_server == []


def test_the_office_links_an_owner_to_an_existing_account(admin, session):
    account = User(
        email="analyst@opcc.example",
        display_name="Analyst, OPCC",
        role="editor",
        created_at=datetime.now(UTC),
    )
    session.add(account)
    session.flush()
    owner = person_id(add(admin))
    page = admin.get(OWNERS).text
    assert '<option value="analyst@opcc.example">' in page
    response = admin.post(
        f"{OWNERS}/{owner}/link",
        data={"email": "analyst@opcc.example", "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "is linked to the account" in admin.get(response.headers["location"]).text
    session.refresh(account)
    assert account.person_id == owner
    refused = admin.post(
        f"{OWNERS}/{owner}/link",
        data={"email": "nobody@x.example", "csrf_token": admin.csrf},
    )
    assert refused.status_code == 400 and "no account for nobody@x.example" in refused.text


@pytest.mark.parametrize("who", ["viewer", "omrr.lead@plantrack.example"])
def test_viewers_and_editors_cannot_see_or_change_owners(app_client, session, smtp_server, who):
    csrf = sign_in(app_client, who)
    assert app_client.get(OWNERS).status_code == 403
    person = session.exec(select(Person)).first()
    before = (count(session, Person), count(session, User), count(session, AuditEvent))
    for path, data in [
        (OWNERS, {"role": "Lead", "organisation": "OPCC"}),
        (f"{OWNERS}/{person.id}/invite", {"email": "x@y.example"}),
        (f"{OWNERS}/{person.id}/link", {"email": "admin@plantrack.example"}),
    ]:
        assert app_client.post(path, data=data | {"csrf_token": csrf}).status_code == 403, path
    assert (count(session, Person), count(session, User), count(session, AuditEvent)) == before
    assert smtp_server == []


def test_an_unknown_owner_or_plan_is_not_found(admin):
    response = admin.post(
        f"{OWNERS}/999999/invite", data={"email": "a@b.example", "csrf_token": admin.csrf}
    )
    assert response.status_code == 404
    assert admin.get("/plans/no-such-plan/owners").status_code == 404
