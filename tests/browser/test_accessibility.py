"""axe-core on every page in its main states: no WCAG 2.2 A/AA violation of impact serious or
critical.

Each state is a small function that brings a page to that state (signing in as the right
account, submitting a form with a mistake, and so on) and returns it; one test per state runs
axe on it. States that write (the conflict) use actions no other test writes to.
"""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ADMIN,
    APPROVAL_PLAN,
    EDITOR,
    ERROR_PAGES,
    PLAN,
    PUBLIC_PAGES,
    VIEWER,
    action_path,
    assert_accessible,
    fill_update,
    page_routes,
    record_pending_update,
    record_returned_updates,
    unique,
    update_form,
)

pytestmark = pytest.mark.browser

# A non-admin account records an update on the plan that needs approval (see
# record_pending_update for why it is written directly rather than through the form).
PENDING_BY = "diversion.lead@plantrack.example"
PENDING_REF = "CO1"
# An action of PLAN no other browser test reads, given a long history of returned updates.
LONG_REF = "RR10"


@pytest.fixture(scope="session")
def pending_update(server) -> str:
    commentary = unique("Two-tier out-of-court disposal framework live in all districts.")
    record_pending_update(
        server.database_url,
        plan_slug=APPROVAL_PLAN,
        ref=PENDING_REF,
        email=PENDING_BY,
        commentary=commentary,
    )
    return commentary


@dataclass
class Env:
    new_context: object
    request: object

    def page(self, email: str | None = None):
        return self.new_context(email).new_page()

    def pending(self) -> str:
        return self.request.getfixturevalue("pending_update")


@pytest.fixture
def env(new_context, request) -> Env:
    return Env(new_context=new_context, request=request)


STATES = {}


def state(name: str):
    def register(function):
        STATES[name] = function
        return function

    return register


@state("sign-in")
def _sign_in(env: Env):
    page = env.page()
    page.goto("/sign-in")
    return page


@state("sign-in with an error")
def _sign_in_error(env: Env):
    page = env.page()
    page.goto("/sign-in")
    page.get_by_label("E-mail address", exact=True).fill("nobody@plantrack.example")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter a correct e-mail address and password."
    )
    return page


def sign_in_with_provider(env: Env, email: str):
    """Through the real provider in Chromium: plantrack's "Sign in with Test ID", the
    provider's form, and back. The provider's page asks a CDN for its stylesheet: refused, so
    nothing is fetched from outside."""
    import httpx

    server = env.request.getfixturevalue("server")
    claims = {"email": email, "email_verified": True, "name": "Browser Test"}
    sub = f"browser-{email}"
    assert httpx.put(f"{server.identity_provider}/users/{sub}", json=claims).status_code == 204
    context = env.new_context()
    context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort())
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/"))
    return page


@state("sign-in with single sign-on refused")
def _sign_in_sso_refused(env: Env):
    page = sign_in_with_provider(env, "not.yet.known@plantrack.example")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "There is no plantrack account for not.yet.known@plantrack.example"
    )
    return page


@state("signed out, offered the provider's sign-out")
def _signed_out_sso(env: Env):
    page = sign_in_with_provider(env, VIEWER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out of plantrack")
    expect(page.get_by_role("link", name="Sign out of Test ID too")).to_be_visible()
    return page


@state("home (list of plans)")
def _home(env: Env):
    page = env.page(VIEWER)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    return page


@state("plan dashboard at phone width, menu open")
def _dashboard_phone(env: Env):
    page = env.page(ADMIN)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/plans/{PLAN}")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    return page


@state("plan dashboard")
def _dashboard(env: Env):
    page = env.page(VIEWER)
    page.goto(f"/plans/{PLAN}")
    return page


@state("plan dashboard, filtered (shared link)")
def _dashboard_filtered_link(env: Env):
    page = env.page(VIEWER)
    page.goto(f"/plans/{PLAN}?rag=amber&overdue=yes")
    expect(page.locator("#results")).to_contain_text("(filtered)")
    return page


@state("plan dashboard, filtered with HTMX")
def _dashboard_filtered_htmx(env: Env):
    page = env.page(VIEWER)
    page.goto(f"/plans/{PLAN}")
    page.get_by_label("Stage", exact=True).select_option(label="In progress")
    expect(page).to_have_url(re.compile(r"[?&]stage=in_progress(&|$)"))
    expect(page.locator("#results")).to_contain_text("(filtered)")
    return page


@state("action page, viewer")
def _action_viewer(env: Env):
    page = env.page(VIEWER)
    page.goto(action_path("RR6"))
    expect(page.locator("form[action$='/updates']")).to_have_count(0)
    return page


@state("action page, older updates shown with HTMX")
def _action_older_updates(env: Env):
    record_returned_updates(
        env.request.getfixturevalue("server").database_url, plan_slug=PLAN, ref=LONG_REF, count=25
    )
    page = env.page(ADMIN)
    page.goto(action_path(LONG_REF))
    items = page.locator(".pt-timeline__item")
    expect(items).to_have_count(20)
    page.get_by_role("link", name="Show older updates").click()
    expect(items.nth(20)).to_be_focused()  # the first older update, appended, takes the focus
    expect(page).to_have_url(re.compile(r"/actions/RR10$"))
    return page


@state("action page, editor with the update form")
def _action_editor(env: Env):
    page = env.page(EDITOR)
    page.goto(action_path("RR8"))
    expect(update_form(page)).to_be_visible()
    return page


@state("action page, update form with errors")
def _action_errors(env: Env):
    page = env.page(EDITOR)
    page.goto(action_path("RR8"))
    # In progress with no rating and no commentary: two mistakes, nothing recorded.
    fill_update(page, stage="In progress", rag=None, commentary="")
    update_form(page).get_by_role("button", name="Record update").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose a RAG rating")
    expect(summary).to_contain_text("Enter a commentary")
    return page


def _conflict(env: Env, ref: str):
    first = env.page(ADMIN)
    second = env.page(EDITOR)
    first.goto(action_path(ref))
    second.goto(action_path(ref))
    fill_update(first, stage="In progress", rag="Green", commentary=unique("First in."))
    update_form(first).get_by_role("button", name="Record update").click()
    expect(first).to_have_url(re.compile(r"\?updated=recorded$"))
    fill_update(second, stage="In progress", rag="Amber", commentary=unique("Second."))
    update_form(second).get_by_role("button", name="Record update").click()
    expect(second.locator("#conflict")).to_be_visible()
    return second


@state("action page, conflict")
def _action_conflict(env: Env):
    return _conflict(env, "RR5")


@state("action page, update recorded (success banner)")
def _action_recorded(env: Env):
    page = _conflict(env, "RR12")
    update_form(page).get_by_role("button", name="Send my update anyway").click()
    expect(page.get_by_role("alert").filter(has_text="Success")).to_be_visible()
    return page


@state("action page, update awaiting approval (office view)")
def _action_awaiting(env: Env):
    commentary = env.pending()
    page = env.page(ADMIN)
    page.goto(action_path(PENDING_REF, plan=APPROVAL_PLAN))
    expect(page.locator(".pt-timeline")).to_contain_text(commentary)
    expect(page.locator(".pt-timeline")).to_contain_text("Awaiting approval")
    return page


@state("My actions")
def _my_actions(env: Env):
    page = env.page(EDITOR)
    page.goto("/my-actions")
    expect(page.get_by_role("heading", level=1)).to_have_text("My actions")
    return page


@state("appendix report")
def _appendix(env: Env):
    page = env.page(VIEWER)
    page.goto(f"/plans/{PLAN}/reports/appendix")
    return page


@state("Updates due (completion)")
def _completion(env: Env):
    page = env.page(ADMIN)
    page.goto("/completion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Updates due")
    return page


@state("Approvals, with an update waiting")
def _approvals(env: Env):
    commentary = env.pending()
    page = env.page(ADMIN)
    page.goto("/approvals")
    expect(page.locator("main")).to_contain_text(commentary)
    return page


@state("Approvals, returned without a reason (error)")
def _approvals_error(env: Env):
    commentary = env.pending()
    page = env.page(ADMIN)
    page.goto("/approvals")
    item = page.locator(".pt-approval").filter(has_text=commentary)
    item.get_by_role("button", name="Return").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    return page


@state("Audit log")
def _audit(env: Env):
    page = env.page(ADMIN)
    page.goto("/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    return page


@state("change password")
def _password(env: Env):
    page = env.page(EDITOR)
    page.goto("/account/password")
    return page


@state("change password with errors")
def _password_errors(env: Env):
    page = env.page(EDITOR)
    page.goto("/account/password")
    page.get_by_label("Current password", exact=True).fill("not my password")
    page.get_by_label("New password (at least 12 characters)", exact=True).fill("short")
    page.get_by_label("New password again", exact=True).fill("different")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    return page


@state("page not found (404)")
def _not_found(env: Env):
    page = env.page(VIEWER)
    response = page.goto("/plans/no-such-plan")
    assert response.status == 404
    return page


@state("not allowed (403)")
def _forbidden(env: Env):
    page = env.page(VIEWER)
    response = page.goto("/audit")
    assert response.status == 403
    return page


def _refresh_form(env: Env):
    """The refresh form of PLAN filled in as the office would, bar the new due dates."""
    page = env.page(ADMIN)
    page.goto(f"/plans/{PLAN}/refresh")
    page.get_by_label("Title", exact=True).fill("Reduced Offending 2021-24")
    page.get_by_label("Address name (slug)").fill("ro-2021-24-browser")  # a preview writes nothing
    ends = page.get_by_role("group", name="Period ends")
    ends.get_by_label("Day").fill("31")
    ends.get_by_label("Month").fill("3")
    ends.get_by_label("Year").fill("2024")
    return page


@state("refresh form, no new due dates")
def _refresh_without_due_dates(env: Env):
    page = _refresh_form(env)
    page.get_by_role("button", name="Preview the refresh").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator("#due_dates-error")).to_contain_text("Choose a rule for the new due dates")
    return page


@state("refresh preview with new due dates")
def _refresh_preview(env: Env):
    page = _refresh_form(env)
    page.get_by_label("The end of the new plan's first year").check()
    page.get_by_role("button", name="Preview the refresh").click()
    expect(page.get_by_role("heading", name="Check the refresh")).to_be_visible()
    expect(page.get_by_role("columnheader", name="New due date")).to_be_visible()
    return page


# Every page of the app (helpers.page_routes: each GET route that answers with a page, so a new
# page is checked as soon as its route exists), in its plain state as the office sees it, and
# the public pages as a visitor who has not signed in sees them.
@pytest.mark.parametrize("path", page_routes())
def test_every_page_has_no_serious_accessibility_violations(path, env, page_values):
    page = env.page(ADMIN)
    address = path.format_map(page_values)
    response = page.goto(address)
    expected = ERROR_PAGES.get(path, 200)
    assert response.status == expected, f"{address} answered {response.status}"
    assert_accessible(page, path)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_accessibility_violations_signed_out(path, env, page_values):
    page = env.page()
    address = path.format_map(page_values)
    response = page.goto(address)
    assert response.status == ERROR_PAGES.get(path, 200), f"{address} answered {response.status}"
    assert_accessible(page, f"{path} (signed out)")


@pytest.mark.parametrize("name", list(STATES))
def test_no_serious_accessibility_violations(name, env):
    page = STATES[name](env)
    assert_accessible(page, name)


def test_axe_reports_a_planted_violation(env):
    """The harness itself: axe runs and a real violation fails the check (so a green run above
    means something)."""
    page = env.page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:,"><input type="text">'
        '<p style="color:#777;background:#888">low contrast</p></main></body></html>'
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a page with planted violations")
    message = str(failure.value)
    for rule in ("image-alt", "label", "color-contrast"):
        assert rule in message, message
