"""The office's pages for a plan's life, through HTTP as a browser uses them: a new plan, its
settings (details, outcomes, themes, public view, approval), closing and reopening; an ended
plan shown as such everywhere; /login. Viewers and editors are refused every one of them."""

import html
import json
import re

import pytest
from sqlmodel import func, select

from app.core.models import AuditEvent, Commitment, DeliveryGroup, Outcome, Plan, Theme
from app.domain.progress import get_plan
from tests.conftest import csrf_from, sign_in
from tests.factories import build_plan

ENDED = "reduced-offending-2018-21"  # ended 31 March 2021, still active in the demo
CLOSED = "reducing-offending-2015-18"


@pytest.fixture
def editor(app_client):
    app_client.csrf = sign_in(app_client, "omrr.lead@plantrack.example")
    return app_client


@pytest.fixture
def viewer_with_token(app_client):
    app_client.csrf = sign_in(app_client, "viewer")
    return app_client


def theme_id(session, slug: str, position_index: int = 0) -> int:
    plan = get_plan(session=session, slug=slug)
    return session.exec(
        select(Theme.id).where(Theme.plan_id == plan.id).order_by(Theme.position)
    ).all()[position_index]


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def error_beside(page: str, field: str) -> str | None:
    """The message shown beside a field (its govuk-error-message), as text."""
    match = re.search(
        rf'<p id="{re.escape(field)}-error" class="govuk-error-message">(.*?)</p>', page, re.S
    )
    if match is None:
        return None
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).replace("Error:", "", 1).strip()


def summary_links(page: str) -> list[str]:
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)"', summary)


def new_plan_form(csrf: str, **overrides) -> dict:
    return {
        "csrf_token": csrf,
        "theme_count": "3",
        "title": "Youth Justice Plan 2024-27",
        "slug": "youth-justice-2024-27",
        "short_title": "Youth Justice 2024-27",
        "description": "The YOS partnership's plan.",
        "period_start-day": "1",
        "period_start-month": "4",
        "period_start-year": "2024",
        "period_end-day": "31",
        "period_end-month": "3",
        "period_end-year": "2027",
        "board": "OMCDB",
        "rag_scheme": "dca5",
        "requires_approval": "yes",
        "outcomes": "Fewer first time entrants\n\nLess re-offending\n",
        "themes.0.title": "Prevention",
        "themes.0.vision": "Children are kept out of the justice system.",
        "themes.0.commitments": "Early help for families\nDiversion at the point of arrest",
        "themes.0.delivery_group": "Prevention Delivery Group",
        "themes.1.title": "",
        "themes.2.title": "Resettlement",
        "themes.2.delivery_group": "Youth Resettlement Group",
        "action": "create",
    } | overrides


# --- Who may -----------------------------------------------------------------------------------

GET_PAGES = [
    "/plans/new",
    f"/plans/{ENDED}/settings",
    f"/plans/{ENDED}/settings/details",
    f"/plans/{ENDED}/settings/outcomes",
    f"/plans/{ENDED}/settings/themes/new",
    f"/plans/{ENDED}/settings/themes/{{theme}}",
    f"/plans/{ENDED}/close",
    f"/plans/{CLOSED}/reopen",
]
POSTS = [
    ("/plans/new", {"title": "X"}),
    (f"/plans/{ENDED}/settings/details", {"title": "X"}),
    (f"/plans/{ENDED}/settings/outcomes", {"outcomes": "X"}),
    (f"/plans/{ENDED}/settings/themes/new", {"title": "X"}),
    (f"/plans/{ENDED}/settings/themes/{{theme}}", {"title": "X"}),
    (f"/plans/{ENDED}/settings/themes/{{theme}}/move", {"direction": "down"}),
    (f"/plans/{ENDED}/close", {}),
    (f"/plans/{CLOSED}/reopen", {"reason": "X"}),
    (f"/plans/{ENDED}/public", {"public": "yes"}),
    (f"/plans/{ENDED}/approval", {"required": "yes"}),
]


@pytest.mark.parametrize("role", ["viewer_with_token", "editor"])
def test_viewers_and_editors_get_403_on_every_page_and_post(request, role, session):
    client = request.getfixturevalue(role)
    theme = theme_id(session, ENDED)
    plans, events = count(session, Plan), count(session, AuditEvent)
    for path in GET_PAGES:
        response = client.get(path.format(theme=theme), follow_redirects=False)
        assert response.status_code == 403, f"GET {path} as {role}"
    for path, data in POSTS:
        response = client.post(
            path.format(theme=theme),
            data=data | {"csrf_token": client.csrf},
            follow_redirects=False,
        )
        assert response.status_code == 403, f"POST {path} as {role}"
    assert (count(session, Plan), count(session, AuditEvent)) == (plans, events)
    assert get_plan(session=session, slug=ENDED).status == "active"


def test_a_visitor_who_has_not_signed_in_is_sent_to_sign_in(app_client, session):
    for path in GET_PAGES:
        response = app_client.get(
            path.format(theme=theme_id(session, ENDED)), follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")


def test_only_the_office_is_offered_a_new_plan(admin, viewer_client):
    assert 'href="/plans/new"' in admin.get("/").text
    assert 'href="/plans/new"' in admin.get("/data").text
    assert 'href="/plans/new"' not in viewer_client.get("/").text


# --- New plan ----------------------------------------------------------------------------------


def test_the_new_plan_page_has_every_field(admin):
    page = admin.get("/plans/new").text
    for name in (
        "title",
        "slug",
        "short_title",
        "description",
        "period_start-day",
        "period_start-month",
        "period_start-year",
        "period_end-year",
        "outcomes",
        "themes.0.title",
        "themes.0.vision",
        "themes.0.commitments",
        "themes.0.delivery_group",
        "themes.2.title",
    ):
        assert f'name="{name}"' in page, name
    assert '<select class="govuk-select" id="board" name="board"' in page
    assert "Offender Management Commissioning and Development Board (OMCDB)" in page
    assert 'name="rag_scheme" type="radio" value="rag3" checked' in page
    assert 'value="dca5"' in page and "Amber/Green" in page
    assert 'name="requires_approval" type="radio" value="no" checked' in page
    assert '<option value="Prevention Delivery Group">' in page  # the groups to choose from
    assert '<script defer src="/static/js/plan-slug.js">' in page
    assert admin.get("/static/js/plan-slug.js").status_code == 200
    assert 'name="themes.3.title"' not in page


def test_a_new_plan_goes_on_to_its_spreadsheet_by_default(admin, session):
    page = admin.get("/plans/new").text
    assert 'name="next" type="radio" value="import" checked' in page
    assert 'name="next" type="radio" value="later"' in page
    assert 'value="later" checked' in admin.get("/plans/new?next=later").text

    form = new_plan_form(admin.csrf, next="import")
    for key in [k for k in form if k.startswith("themes.")]:
        form[key] = ""  # its themes will come from the spreadsheet
    response = admin.post("/plans/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/plans/youth-justice-2024-27/import?new=1"
    step = admin.get(response.headers["location"]).text
    assert "New plan, step 2 of 2" in step and "has been created" in step
    assert 'id="empty-plan"' in step  # the spreadsheet fills it; themes come from it
    assert 'href="/plans/youth-justice-2024-27/settings">Skip' in step
    plan = get_plan(session=session, slug="youth-justice-2024-27")
    assert session.exec(select(Theme).where(Theme.plan_id == plan.id)).first() is None

    # A plan that already holds actions is not called empty, nor new.
    demo = admin.get("/plans/police-and-crime-plan-2021-24/import").text
    assert 'id="empty-plan"' not in demo and "step 2 of 2" not in demo


def test_a_plan_that_fails_validation_keeps_the_chosen_next_step(admin):
    form = new_plan_form(admin.csrf, next="later", title="")
    page = admin.post("/plans/new", data=form)
    assert page.status_code == 400
    assert 'name="next" type="radio" value="later" checked' in page.text


def test_the_office_creates_a_plan_that_appears_on_the_home_page_and_works(admin, session):
    form = new_plan_form(admin.csrf, next="later")
    response = admin.post("/plans/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/plans/youth-justice-2024-27/settings?done=created"
    settings = admin.get(response.headers["location"]).text
    assert "The plan has been created" in settings
    assert 'href="/plans/youth-justice-2024-27/import"' in settings

    plan = get_plan(session=session, slug="youth-justice-2024-27")
    assert (plan.rag_scheme, plan.requires_approval, plan.status) == ("dca5", True, "active")
    assert plan.short_title == "Youth Justice 2024-27"
    themes = session.exec(select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position))
    assert [t.title for t in themes] == ["Prevention", "Resettlement"]
    assert count(session, DeliveryGroup) >= 5
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "create_plan")).one()
    assert json.loads(event.after_json)["outcomes"] == [
        "Fewer first time entrants",
        "Less re-offending",
    ]

    home = admin.get("/").text
    assert 'href="/plans/youth-justice-2024-27">Youth Justice Plan 2024-27</a>' in home
    dashboard = admin.get("/plans/youth-justice-2024-27")
    assert dashboard.status_code == 200
    assert "Prevention" in dashboard.text and "Resettlement" in dashboard.text
    assert "Fewer first time entrants" in dashboard.text
    assert admin.get("/plans/youth-justice-2024-27/reports/appendix").status_code == 200
    assert admin.get("/api/v1/plans/youth-justice-2024-27/progress").json()["total"] == 0


@pytest.mark.parametrize(
    "overrides, field, anchor, message",
    [
        ({"title": ""}, "title", "title", "Enter the plan's title"),
        (
            {"slug": "Youth Justice"},
            "slug",
            "slug",
            "The short name must use only lower-case letters, digits and single hyphens "
            "between them, such as youth-justice-plan-2024-27",
        ),
        (
            {"slug": CLOSED},
            "slug",
            "slug",
            f"There is already a plan with the short name {CLOSED}: choose another",
        ),
        (
            {"period_start-month": ""},
            "period_start",
            "period_start-day",
            "The start date must include a month",
        ),
        (
            {"period_end-day": "31", "period_end-month": "2", "period_end-year": "2027"},
            "period_end",
            "period_end-day",
            "The end date must be a real date",
        ),
        (
            {"period_end-year": "2024", "period_end-month": "1"},
            "period_end",
            "period_end-day",
            "The end date must be after the start date",
        ),
        ({"board": ""}, "board", "board", "Choose the board that owns the plan"),
        (
            {"rag_scheme": ""},
            "rag_scheme",
            "rag_scheme",
            "Choose how actions are rated: "
            "Green/Amber/Red (rag) or the five-point Delivery Confidence Assessment (dca)",
        ),
        ({"themes.0.title": ""}, "themes.0.title", "themes.0.title", "Enter the theme's title"),
        (
            {"themes.2.title": "prevention"},
            "themes.2.title",
            "themes.2.title",
            "Theme 'prevention' is already listed above: give each theme its own title",
        ),
    ],
)
def test_bad_input_shows_each_message_beside_its_field_and_writes_nothing(
    admin, session, overrides, field, anchor, message
):
    plans, events, groups = (
        count(session, Plan),
        count(session, AuditEvent),
        count(session, DeliveryGroup),
    )
    response = admin.post("/plans/new", data=new_plan_form(admin.csrf, **overrides))
    assert response.status_code == 400
    page = response.text
    assert error_beside(page, field) == message
    assert anchor in summary_links(page)
    assert page.count('class="govuk-error-message"') == 1
    assert "<title>Error: New plan" in page
    assert (count(session, Plan), count(session, AuditEvent), count(session, DeliveryGroup)) == (
        plans,
        events,
        groups,
    )
    # What was typed is shown again.
    assert 'value="Early help for families' not in page  # a textarea, not an input
    assert "Early help for families\nDiversion at the point of arrest</textarea>" in page


def test_every_message_at_once_in_the_forms_order(admin):
    empty = {
        key: "" for key in new_plan_form("") if key not in ("csrf_token", "theme_count", "action")
    }
    page = admin.post(
        "/plans/new", data=new_plan_form(admin.csrf, **empty) | {"themes.1.vision": "v"}
    ).text
    assert summary_links(page) == [
        "title",
        "slug",
        "period_start-day",
        "period_end-day",
        "board",
        "rag_scheme",
        "themes.1.title",
    ]
    assert error_beside(page, "period_start") == "Enter the start date"
    # Every box of an empty date is marked; only the missing box of a part-typed one.
    assert page.count("govuk-date-input__input govuk-input--width-2 govuk-input--error") == 4


def test_the_date_input_marks_only_the_missing_box(admin):
    page = admin.post(
        "/plans/new", data=new_plan_form(admin.csrf, **{"period_start-month": ""})
    ).text
    assert re.search(r'govuk-input--error" id="period_start-month"', page)
    assert not re.search(r'govuk-input--error" id="period_start-day"', page)


def test_add_another_theme_keeps_what_was_typed_and_writes_nothing(admin, session):
    plans = count(session, Plan)
    page = admin.post("/plans/new", data=new_plan_form(admin.csrf, action="add_theme"))
    assert page.status_code == 200
    assert 'name="themes.3.title"' in page.text and 'name="theme_count" value="4"' in page.text
    assert 'value="Youth Justice Plan 2024-27"' in page.text
    assert "govuk-error-summary" not in page.text
    assert count(session, Plan) == plans


# --- Settings ----------------------------------------------------------------------------------


def test_the_switches_moved_from_the_plan_page_to_its_settings(admin, session):
    plan_page = admin.get(f"/plans/{ENDED}").text
    assert 'action="/plans/reduced-offending-2018-21/public"' not in plan_page
    assert 'href="/plans/reduced-offending-2018-21/settings"' in plan_page
    settings = admin.get(f"/plans/{ENDED}/settings").text
    assert 'action="/plans/reduced-offending-2018-21/public"' in settings
    assert 'action="/plans/reduced-offending-2018-21/approval"' in settings
    response = admin.post(
        f"/plans/{ENDED}/approval",
        data={"required": "yes", "csrf_token": csrf_from(settings)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/plans/{ENDED}/settings"
    assert get_plan(session=session, slug=ENDED).requires_approval
    assert "Stop requiring approval" in admin.get(f"/plans/{ENDED}/settings").text


def test_the_details_are_changed_through_the_form_with_before_and_after(admin, session):
    form_page = admin.get(f"/plans/{ENDED}/settings/details").text
    assert (
        'id="period_start-day" name="period_start-day" type="text" inputmode="numeric" spellcheck="false" value="1"'
        in form_page
    )
    assert 'value="2018"' in form_page
    data = {
        "csrf_token": admin.csrf,
        "title": "Strategic Framework for Reduced Offending 2018-22",
        "short_title": "Reduced Offending 2018-22",
        "description": "Extended by a year.",
        "period_start-day": "1",
        "period_start-month": "April",
        "period_start-year": "2018",
        "period_end-day": "31",
        "period_end-month": "3",
        "period_end-year": "2022",
        "board": "OMCDB",
        "rag_scheme": "rag3",
    }
    response = admin.post(f"/plans/{ENDED}/settings/details", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    plan = get_plan(session=session, slug=ENDED)
    assert plan.short_title == "Reduced Offending 2018-22"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "edit_plan")).one()
    assert json.loads(event.before_json)["period_end"] == "2021-03-31"
    assert json.loads(event.after_json)["period_end"] == "2022-03-31"
    audit = admin.get("/audit").text
    assert "Reduced Offending 2018-22: changed title, short title, description, period end" in audit

    bad = admin.post(f"/plans/{ENDED}/settings/details", data=data | {"period_start-year": "2019"})
    assert bad.status_code == 400
    assert error_beside(bad.text, "period_start").startswith(
        "Updates to this plan take effect from"
    )
    assert get_plan(session=session, slug=ENDED).period_start.year == 2018


def test_outcomes_and_themes_are_edited_on_the_settings_pages(admin, session):
    plan = get_plan(session=session, slug=ENDED)
    response = admin.post(
        f"/plans/{ENDED}/settings/outcomes",
        data={"csrf_token": admin.csrf, "outcomes": "Less re-offending\nSafer communities"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert session.exec(
        select(Outcome.title).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
    ).all() == ["Less re-offending", "Safer communities"]

    added = admin.post(
        f"/plans/{ENDED}/settings/themes/new",
        data={
            "csrf_token": admin.csrf,
            "title": "Victims",
            "vision": "Victims are heard.",
            "commitments": "Listening first\nKeeping victims informed",
            "delivery_group": "",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    victims = session.exec(
        select(Theme).where(Theme.plan_id == plan.id, Theme.title == "Victims")
    ).one()
    duplicate = admin.post(
        f"/plans/{ENDED}/settings/themes/new", data={"csrf_token": admin.csrf, "title": "victims"}
    )
    assert duplicate.status_code == 400
    assert error_beside(duplicate.text, "title") == "This plan already has a theme called 'victims'"

    edit_page = admin.get(f"/plans/{ENDED}/settings/themes/{victims.id}").text
    assert "Listening first\nKeeping victims informed</textarea>" in edit_page
    edited = admin.post(
        f"/plans/{ENDED}/settings/themes/{victims.id}",
        data={
            "csrf_token": admin.csrf,
            "title": "Victims and witnesses",
            "vision": "Victims and witnesses are heard.",
            "commitments": "Listening first",
            "delivery_group": "Victims Delivery Group",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    session.refresh(victims)
    assert victims.title == "Victims and witnesses"
    assert session.exec(select(Commitment.text).where(Commitment.theme_id == victims.id)).all() == [
        "Listening first"
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "edit_theme")).one()
    assert json.loads(event.before_json)["title"] == "Victims"
    assert json.loads(event.after_json)["delivery_group"] == "Victims Delivery Group"

    moved = admin.post(
        f"/plans/{ENDED}/settings/themes/{victims.id}/move",
        data={"csrf_token": admin.csrf, "direction": "up"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    titles = session.exec(
        select(Theme.title).where(Theme.plan_id == plan.id).order_by(Theme.position)
    ).all()
    assert titles[-2] == "Victims and witnesses"
    settings = admin.get(f"/plans/{ENDED}/settings?done=moved").text
    assert "The themes&#39; order has been saved" in settings
    assert f"{len(titles) - 1}. Victims and witnesses</h3>" in settings
    assert admin.get(f"/plans/{ENDED}").status_code == 200


@pytest.mark.parametrize("page", ["/plans/{slug}/settings", "/"])
def test_the_settings_and_home_pages_take_as_many_statements_at_500_actions_as_at_50(
    admin, session, count_statements, page
):
    small, large = build_plan(session, 50), build_plan(session, 500)
    counts = []
    for plan in (small, large):
        admin.get(page.format(slug=plan.slug))
        session.expire_all()
        with count_statements() as counter:
            assert admin.get(page.format(slug=plan.slug)).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_a_theme_of_another_plan_is_not_found(admin, session):
    other = theme_id(session, CLOSED)
    assert admin.get(f"/plans/{ENDED}/settings/themes/{other}").status_code == 404


# --- End of a plan -------------------------------------------------------------------------------


def test_an_ended_plan_is_shown_as_not_yet_closed_everywhere(admin, viewer_client):
    words = "Ended on 31 March 2021, not yet closed"
    home = admin.get("/").text
    assert words in home
    assert f'href="/plans/{ENDED}/close"' in home
    plan_page = admin.get(f"/plans/{ENDED}").text
    assert words in plan_page and f'href="/plans/{ENDED}/close"' in plan_page
    assert "As at 31 March 2021" in plan_page
    appendix = admin.get(f"/plans/{ENDED}/reports/appendix").text
    assert words in appendix and "as at its end date" in appendix
    highlight = admin.get(f"/plans/{ENDED}/reports/highlight").text
    assert words in highlight
    viewer_page = viewer_client.get(f"/plans/{ENDED}").text
    assert words in viewer_page and f'href="/plans/{ENDED}/close"' not in viewer_page
    assert f'href="/plans/{ENDED}/close"' not in viewer_client.get("/").text
    closed_page = admin.get(f"/plans/{CLOSED}").text
    assert "not yet closed" not in closed_page and 'id="plan-state">Closed</strong>' in closed_page


def test_closing_is_confirmed_audited_and_freezes_updates_and_reopening_needs_a_reason(
    admin, session
):
    confirm = admin.get(f"/plans/{ENDED}/close").text
    assert "Close this plan?" in confirm and "Closing freezes its updates" in confirm
    response = admin.post(
        f"/plans/{ENDED}/close", data={"csrf_token": csrf_from(confirm)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/plans/{ENDED}/settings?done=closed"
    assert get_plan(session=session, slug=ENDED).status == "closed"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "close_plan")).one()
    assert json.loads(event.before_json) == {"status": "active"}
    assert "Ended on" not in admin.get("/").text.split(ENDED, 1)[1].split("pt-plan-summary")[0]
    action_page = admin.get(f"/plans/{ENDED}/actions/OM1").text
    assert "is closed: its updates are frozen" in action_page
    again = admin.post(f"/plans/{ENDED}/close", data={"csrf_token": admin.csrf})
    assert again.status_code == 409

    blank = admin.post(f"/plans/{ENDED}/reopen", data={"csrf_token": admin.csrf, "reason": " "})
    assert blank.status_code == 400
    assert error_beside(blank.text, "reason") == "Enter why the plan is being reopened"
    assert summary_links(blank.text) == ["reason"]
    assert get_plan(session=session, slug=ENDED).status == "closed"
    reopened = admin.post(
        f"/plans/{ENDED}/reopen",
        data={"csrf_token": admin.csrf, "reason": "The OMRR group's last updates were missed."},
        follow_redirects=False,
    )
    assert reopened.status_code == 303
    assert get_plan(session=session, slug=ENDED).status == "active"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "reopen_plan")).one()
    assert json.loads(event.after_json)["reason"] == "The OMRR group's last updates were missed."


# --- /login --------------------------------------------------------------------------------------


def test_login_redirects_to_sign_in_keeping_next(app_client):
    response = app_client.get("/login?next=%2Fplans%2Fnew", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/sign-in?next=%2Fplans%2Fnew"
    plain = app_client.get("/login", follow_redirects=False)
    assert (plain.status_code, plain.headers["location"]) == (308, "/sign-in")


def test_a_senior_responsible_owner_is_named_for_the_plan_and_a_theme_and_shown(admin, session):
    """Edited on the details and theme pages (audited), shown on the settings and plan pages."""
    form = admin.get(f"/plans/{ENDED}/settings/details").text
    assert 'id="senior_responsible_owner" name="senior_responsible_owner"' in form
    data = {
        "csrf_token": admin.csrf,
        "title": "Strategic Framework for Reduced Offending 2018-21",
        "short_title": "Reduced Offending 2018-21",
        "period_start-day": "1",
        "period_start-month": "4",
        "period_start-year": "2018",
        "period_end-day": "31",
        "period_end-month": "3",
        "period_end-year": "2021",
        "board": "OMCDB",
        "rag_scheme": "rag3",
        "senior_responsible_owner": "Chief Superintendent, Head of Partnerships",
    }
    response = admin.post(f"/plans/{ENDED}/settings/details", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    plan = get_plan(session=session, slug=ENDED)
    assert plan.senior_responsible_owner == "Chief Superintendent, Head of Partnerships"
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "edit_plan")).one()
    assert json.loads(event.before_json)["senior_responsible_owner"] == ""

    too_long = admin.post(
        f"/plans/{ENDED}/settings/details", data=data | {"senior_responsible_owner": "x" * 301}
    )
    assert too_long.status_code == 400
    assert error_beside(too_long.text, "senior_responsible_owner") == (
        "The senior responsible owner must be 300 characters or fewer"
    )

    first = theme_id(session, ENDED)
    theme_form = admin.get(f"/plans/{ENDED}/settings/themes/{first}").text
    fields = dict(re.findall(r'name="([^"]+)" type="text" value="([^"]*)"', theme_form))
    edited = admin.post(
        f"/plans/{ENDED}/settings/themes/{first}",
        data={
            "csrf_token": admin.csrf,
            "title": html.unescape(fields["title"]),
            "delivery_group": html.unescape(fields["delivery_group"]),
            "senior_responsible_owner": "Head of Community Safety",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "edit_theme")).one()
    assert json.loads(event.after_json)["senior_responsible_owner"] == "Head of Community Safety"

    settings = admin.get(f"/plans/{ENDED}/settings").text
    assert "Chief Superintendent, Head of Partnerships" in settings
    assert "Head of Community Safety" in settings
    plan_page = admin.get(f"/plans/{ENDED}").text
    sro = re.search(r'<p class="govuk-body" id="plan-sro">(.*?)</p>', plan_page, re.S)
    assert "Chief Superintendent, Head of Partnerships" in sro.group(1)
    assert 'id="theme-1-sro">Senior responsible owner: Head of Community Safety' in plan_page
