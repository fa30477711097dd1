"""The update form and the action page, through HTTP: what an owner sees and what is written."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import func, select

from app.core.models import Action, AuditEvent, Plan, StatusUpdate
from tests.conftest import csrf_from, sign_in
from tests.factories import make_action, make_plan, make_theme, make_update

ACTION = "/plans/reduced-offending-2018-21/actions/OM1"


@pytest.fixture
def editor(app_client):
    app_client.csrf = sign_in(app_client, "omrr.lead@plantrack.example")
    return app_client


def form_of(client) -> dict:
    page = client.get(ACTION).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return {
        "stage": "in_progress",
        "rag": "amber",
        "commentary": "Progressing well.",
        "corrective_action": "",
        "effective_on": "2019-06-01",
        "version": version,
        "csrf_token": csrf_from(page),
    }


def updates(session) -> int:
    return session.exec(select(func.count()).select_from(StatusUpdate)).one()


def test_an_editor_records_a_red_update_and_sees_it(editor, session):
    data = form_of(editor) | {"rag": "red", "corrective_action": "Escalated to the OMCDB chair."}
    response = editor.post(f"{ACTION}/updates", data=data, follow_redirects=False)
    assert response.status_code == 303
    page = editor.get(response.headers["location"]).text
    assert "Your update has been recorded." in page
    assert "Escalated to the OMCDB chair." in page
    dashboard = editor.get("/plans/reduced-offending-2018-21", params={"rag": "red"}).text
    assert re.search(r'/actions/OM1">', dashboard)
    others = editor.get("/plans/reduced-offending-2018-21", params={"rag": "green"}).text
    assert not re.search(r'/actions/OM1">', others)


def test_the_update_form_shows_the_previous_update_and_a_viewer_sees_none(editor, viewer_client):
    page = editor.get(ACTION).text
    assert "Record an update" in page and "Previous update" in page
    viewer_page = viewer_client.get(ACTION).text
    assert "Record an update" not in viewer_page
    assert 'name="commentary"' not in viewer_page


BAD_INPUT = [
    ({"commentary": ""}, "Enter a commentary"),
    ({"commentary": "x" * 100_000}, "10,000 characters or fewer"),
    ({"effective_on": "2017-01-01"}, "on or after the start of the plan"),
    ({"effective_on": "2021-04-01"}, "on or before the end of the plan"),
    ({"effective_on": "31/13/2019"}, "is not a date"),
    ({"stage": "complete", "rag": "red"}, "only given to an action in progress"),
    ({"rag": "red"}, "a Red rating needs one"),
    ({"version": "not-a-number"}, "Someone else updated this action"),
    ({"next_steps": "y" * 1_001}, "The next steps must be 1,000 characters or fewer"),
]


@pytest.mark.parametrize("overrides, message", BAD_INPUT)
def test_bad_input_gets_a_clear_message_and_nothing_is_written(editor, session, overrides, message):
    before = updates(session)
    response = editor.post(f"{ACTION}/updates", data=form_of(editor) | overrides)
    assert response.status_code in (400, 409)
    assert message in response.text
    assert 'class="govuk-error-summary' in response.text
    assert updates(session) == before
    if overrides.get("commentary", "").startswith("x" * 10):
        return
    # What the owner typed is kept in the form.
    assert (overrides.get("commentary") or "") in response.text


def test_a_script_in_commentary_is_rendered_inert(editor):
    evil = '<script>alert("x")</script> **bold** [link](javascript:alert(1))'
    editor.post(f"{ACTION}/updates", data=form_of(editor) | {"commentary": evil})
    page = editor.get(ACTION).text
    assert '<script>alert("x")</script>' not in page
    assert "<strong>bold</strong>" in page
    assert 'href="javascript:' not in page


def test_the_second_of_two_simultaneous_posts_sees_the_first(editor, session, admin_client):
    first = form_of(editor)
    second = form_of(admin_client)
    assert first["version"] == second["version"]
    assert (
        editor.post(
            f"{ACTION}/updates",
            data=first | {"commentary": "Editor's news"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    conflict = admin_client.post(f"{ACTION}/updates", data=second | {"commentary": "Office's news"})
    assert conflict.status_code == 409
    assert "Someone else updated this action while you were writing" in conflict.text
    assert "Editor&#39;s news" in conflict.text or "Editor's news" in conflict.text
    assert "Office&#39;s news" in conflict.text or "Office's news" in conflict.text
    retry = re.search(r'name="version" value="(\d+)"', conflict.text).group(1)
    resent = admin_client.post(
        f"{ACTION}/updates",
        data=second | {"commentary": "Office's news", "version": retry},
        follow_redirects=False,
    )
    assert resent.status_code == 303
    from app.core.models import Plan

    action_id = session.exec(
        select(Action.id)
        .join(Plan, Plan.id == Action.plan_id)
        .where(Plan.slug == "reduced-offending-2018-21", Action.ref == "OM1")
    ).one()
    texts = session.exec(
        select(StatusUpdate.commentary).where(StatusUpdate.action_id == action_id)
    ).all()
    assert "Editor's news" in texts and "Office's news" in texts


def test_the_office_edits_an_action_and_the_audit_log_shows_before_and_after(admin_client, session):
    page = admin_client.get(f"{ACTION}/edit").text
    response = admin_client.post(
        f"{ACTION}/edit",
        data={
            "title": "A clearer title",
            "description": "",
            "due": "Q2 2019/20",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "edit_action").order_by(AuditEvent.id.desc())
    ).first()
    assert '"due_date": "2019-09-30"' in event.after_json
    assert '"title": "A clearer title"' in event.after_json
    audit = admin_client.get("/audit", params={"verb": "edit_action"}).text
    assert "A clearer title" in audit
    bad = admin_client.post(
        f"{ACTION}/edit",
        data={"title": "", "description": "", "due": "Q5 2019/20", "csrf_token": csrf_from(page)},
    )
    assert bad.status_code == 400
    assert "Enter the action" in bad.text and "not a timescale" in bad.text


def test_the_audit_log_cannot_be_changed_through_the_app(admin_client):
    for method in ("post", "put", "delete"):
        response = getattr(admin_client, method)("/audit")
        assert response.status_code in (403, 405)


def test_my_actions_lists_what_the_editor_leads(editor):
    page = editor.get("/my-actions").text
    assert "Staffordshire Strategic Framework for Reduced Offending 2018-21" in page
    assert "OM1" in page
    assert "P3:" not in page  # another group's action


def test_the_office_turns_approval_on_for_a_plan(admin_client, editor, session):
    page = admin_client.get("/plans/reduced-offending-2018-21/settings").text
    assert "Require the office&#39;s approval of updates" in page
    response = admin_client.post(
        "/plans/reduced-offending-2018-21/approval",
        data={"required": "yes", "csrf_token": csrf_from(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    recorded = editor.post(f"{ACTION}/updates", data=form_of(editor), follow_redirects=False)
    assert recorded.headers["location"].endswith("updated=submitted")
    approvals = admin_client.get("/approvals").text
    assert "OM1:" in approvals and "Progressing well." in approvals
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "set_approval")).one()
    assert '"requires_approval": true' in event.after_json
    forbidden = editor.post(
        "/plans/reduced-offending-2018-21/approval",
        data={"required": "no", "csrf_token": editor.csrf},
    )
    assert forbidden.status_code == 403


CLOSED_ACTION = "/plans/reducing-offending-2015-18/actions/P3"


def test_an_action_of_a_closed_plan_takes_no_update(admin_client, session):
    """Measured: an update effective 31 March 2018 on the closed plan changed the Panel's
    headline from 42 (79%) to 43 (81%)."""
    page = admin_client.get(CLOSED_ACTION).text
    assert "Record an update" not in page and 'name="commentary"' not in page
    assert "is closed: its updates are frozen" in page
    before = updates(session)
    response = admin_client.post(
        f"{CLOSED_ACTION}/updates",
        data={
            "stage": "complete",
            "commentary": "Done after all.",
            "effective_on": "2018-03-31",
            "version": "1",
            "csrf_token": admin_client.csrf,
        },
    )
    assert response.status_code == 409
    assert "is closed" in response.text
    assert updates(session) == before
    progress = admin_client.get("/api/v1/plans/reducing-offending-2015-18/progress").json()
    assert (progress["complete"], progress["percent_complete"]) == (42, 79)


def test_a_carried_forward_original_points_to_its_successor(admin_client, session):
    original = session.exec(
        select(Action).where(Action.id.in_(select(Action.carried_forward_from_id)))
    ).first()
    successor = session.exec(
        select(Action).where(Action.carried_forward_from_id == original.id)
    ).first()
    from app.core.models import Plan

    plan = session.get(Plan, original.plan_id)
    next_plan = session.get(Plan, successor.plan_id)
    # Reopen the original's plan for the test: the refusal must not rest on the plan's closure.
    plan.status = "active"
    session.add(plan)
    session.flush()
    path = f"/plans/{plan.slug}/actions/{original.ref}"
    page = admin_client.get(path).text
    assert "was carried forward to" in page
    assert f'href="/plans/{next_plan.slug}/actions/{successor.ref}"' in page
    before = updates(session)
    response = admin_client.post(
        f"{path}/updates",
        data={
            "stage": "complete",
            "commentary": "Done here instead.",
            "effective_on": plan.period_end.isoformat(),
            "version": str(original.version),
            "csrf_token": admin_client.csrf,
        },
    )
    assert response.status_code == 409
    assert "record its progress there" in response.text
    assert updates(session) == before


def test_a_due_date_typed_day_first_is_stored_as_a_date_not_a_label(admin_client, session):
    page = admin_client.get(f"{ACTION}/edit").text
    response = admin_client.post(
        f"{ACTION}/edit",
        data={
            "title": "Same",
            "description": "",
            "due": "31/03/2020",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    action = session.exec(
        select(Action)
        .join(Plan, Plan.id == Action.plan_id)
        .where(Plan.slug == "reduced-offending-2018-21", Action.ref == "OM1")
    ).one()
    session.refresh(action)
    assert (action.due_date.isoformat(), action.due_label) == ("2020-03-31", "")


def test_the_effective_date_is_typed_into_a_gov_uk_date_input(editor, session):
    page = editor.get(ACTION).text
    assert 'type="date"' not in page
    for part in ("day", "month", "year"):
        assert f'id="effective_on-{part}" name="effective_on-{part}"' in page
    data = form_of(editor)
    del data["effective_on"]
    boxes = {"effective_on-day": "1", "effective_on-month": "Jun", "effective_on-year": "2019"}
    response = editor.post(f"{ACTION}/updates", data=data | boxes, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    latest = session.exec(select(StatusUpdate).order_by(StatusUpdate.id.desc())).first()
    assert latest.effective_on.isoformat() == "2019-06-01"

    before = updates(session)
    bad = editor.post(
        f"{ACTION}/updates", data=form_of(editor) | boxes | {"effective_on-month": "13"}
    )
    assert bad.status_code == 400
    assert "The effective date must be a real date" in bad.text
    assert '<a href="#effective_on-day">' in bad.text  # the summary links to the first box
    assert re.search(r'name="effective_on-month" [^>]*value="13"', bad.text)  # kept as typed
    assert updates(session) == before


def test_next_steps_are_saved_and_shown_in_the_history(editor, session):
    page = editor.get(ACTION).text
    assert 'name="next_steps"' in page and "Next steps before the next meeting" in page
    data = form_of(editor) | {"next_steps": "  Agree the referral pathway in June.  "}
    response = editor.post(f"{ACTION}/updates", data=data, follow_redirects=False)
    assert response.status_code == 303
    latest = session.exec(select(StatusUpdate).order_by(StatusUpdate.id.desc())).first()
    assert latest.next_steps == "Agree the referral pathway in June."
    history = editor.get(ACTION).text
    assert "Next steps before the next meeting:</strong> Agree the referral pathway in June." in (
        history
    )


def test_next_steps_are_optional(editor, session):
    response = editor.post(f"{ACTION}/updates", data=form_of(editor), follow_redirects=False)
    assert response.status_code == 303
    latest = session.exec(select(StatusUpdate).order_by(StatusUpdate.id.desc())).first()
    assert latest.next_steps == ""


def long_lived_action(session, updates: int) -> str:
    """An action with ``updates`` updates, three to a day (recorded minutes apart, so the
    history's pages split days by the time recorded); returns its page's address."""
    plan = make_plan(session)
    action = make_action(session, plan, make_theme(session, plan))
    for n in range(updates):
        effective = date(2020, 4, 1) + timedelta(days=n // 3)
        recorded = datetime.combine(effective, time(9), tzinfo=UTC) + timedelta(minutes=n)
        make_update(
            session, action, effective_on=effective, recorded_at=recorded, commentary=f"Update {n}."
        )
    return f"/plans/{plan.slug}/actions/{action.ref}"


def shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<p>Update (\d+)\.</p>", page)]


def older_link(page: str) -> str | None:
    found = re.search(r'<a class="govuk-link" href="([^"]+)#history" hx-get="([^"]+)"', page)
    if found is None:
        return None
    assert found.group(1) == found.group(2)
    return found.group(1).replace("&amp;", "&")


def test_an_action_page_shows_the_latest_20_updates_and_then_older_ones_20_at_a_time(
    client, session
):
    address = long_lived_action(session, 60)
    first = client.get(address).text
    assert shown(first) == list(range(59, 39, -1))
    assert "Show older updates" in first
    second = client.get(older_link(first))  # without JavaScript: the whole page, further on
    assert second.status_code == 200
    assert shown(second.text) == list(range(39, 19, -1))
    assert "Back to the latest updates" in second.text
    third = client.get(older_link(second.text), headers={"HX-Request": "true"})
    assert third.status_code == 200 and third.headers["Vary"] == "HX-Request"
    assert shown(third.text) == list(range(19, -1, -1))  # with JavaScript: the updates alone
    assert "<html" not in third.text and "Record an update" not in third.text
    assert "Show older updates" not in third.text and older_link(third.text) is None


def test_an_action_page_is_the_same_size_after_60_updates_as_after_25(client, session):
    sizes = [len(client.get(long_lived_action(session, n)).content) for n in (25, 60)]
    assert abs(sizes[1] - sizes[0]) < sizes[0] * 0.02, sizes


def test_older_updates_of_another_action_or_a_bad_cursor_are_not_found(client, session):
    address = long_lived_action(session, 3)
    other = long_lived_action(session, 3)
    other_update = re.search(r"before=(\d+)", client.get(long_lived_action(session, 25)).text)
    assert client.get(f"{address}?before={other_update.group(1)}").status_code == 404
    assert client.get(f"{other}?before=99999999").status_code == 404
    assert client.get(f"{other}?before=soon").status_code in (400, 422)
