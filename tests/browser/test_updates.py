"""The update cycle in a real browser: record, validate, refuse, and settle a conflict.

Each test that writes updates a different action of reduced-offending-2018-21 (an OMRR theme
action the editor omrr.lead may update through their delivery group), so the tests share the
server's database without depending on each other's order.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ADMIN,
    EDITOR,
    PLAN,
    VIEWER,
    action_path,
    fill_update,
    history,
    password_of,
    screenshot,
    unique,
    update_form,
)

pytestmark = pytest.mark.browser


def test_editor_records_red_update_seen_on_dashboard_and_appendix(new_context):
    page = new_context().new_page()  # not signed in yet
    page.goto(action_path("RR11"))
    # Asked to sign in first, and brought back to the action afterwards.
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("E-mail address", exact=True).fill(EDITOR)
    page.get_by_label("Password", exact=True).fill(password_of(EDITOR))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/plans/reduced-offending-2018-21/actions/RR11$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("RR11")

    commentary = unique("Housing referrals stalled after the provider withdrew.")
    corrective = unique("Interim provider commissioned; weekly checkpoint with NPS.")
    fill_update(
        page, stage="In progress", rag="Red", commentary=commentary, corrective_action=corrective
    )
    update_form(page).get_by_role("button", name="Record update").click()

    expect(page).to_have_url(re.compile(r"/actions/RR11\?updated=recorded$"))
    banner = page.get_by_role("alert").filter(has_text="Success")
    expect(banner).to_contain_text("Your update has been recorded.")
    newest = history(page).first
    expect(newest).to_contain_text(commentary)
    expect(newest).to_contain_text("In progress")
    expect(newest).to_contain_text("Red")
    expect(newest).to_contain_text(f"Corrective action: {corrective}")
    # The summary at the top now reads Red too, in words (never colour alone).
    expect(page.locator(".govuk-summary-list__row", has_text="RAG")).to_contain_text("Red")
    screenshot(page, "action")

    # The appendix (the Progress Tracking report) carries the corrective action.
    page.goto(f"/plans/{PLAN}/reports/appendix")
    expect(page.locator("main")).to_contain_text(corrective)

    # The dashboard as a shared link filtered to Red (a full page, no JavaScript needed).
    page.goto(f"/plans/{PLAN}?rag=red")
    expect(page.get_by_label("RAG", exact=True)).to_have_value("red")
    row = page.locator("#results").get_by_role("row").filter(has_text="RR11")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Red")

    # The dashboard filtered with the RAG select: HTMX swaps the results in place and updates
    # the URL, without a full reload (a marker set on window survives).
    page.goto(f"/plans/{PLAN}")
    screenshot(page, "dashboard")
    page.evaluate("window.__noReloadMarker = 'still here'")
    results = page.locator("#results")
    expect(results).not_to_contain_text("(filtered)")
    with page.expect_response(
        lambda r: "rag=red" in r.url and r.request.headers.get("hx-request") == "true"
    ) as answer:
        page.get_by_label("RAG", exact=True).select_option(label="Red")
    assert answer.value.status == 200, (
        f"the dashboard's HTMX partial answered {answer.value.status}: {answer.value.text()[:500]}"
    )
    expect(page).to_have_url(re.compile(r"[?&]rag=red(&|$)"))
    expect(results).to_contain_text("(filtered)")
    assert page.evaluate("window.__noReloadMarker") == "still here", "the filter reloaded the page"
    row = results.get_by_role("row").filter(has_text="RR11")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Red")
    # Every action shown is Red: the filter applied, not just the URL.
    rag_cells = results.locator("tbody tr td:last-child")
    assert rag_cells.count() >= 1
    for text in rag_cells.all_inner_texts():
        assert "Red" in text, f"a non-Red action is shown under RAG = Red: {text!r}"


def test_red_without_corrective_action_is_refused_and_nothing_recorded(page_as):
    page = page_as(EDITOR)
    page.goto(action_path("RR13"))
    before = history(page).count()
    newest_before = history(page).first.inner_text()

    commentary = unique("Slipping: the pilot site is not yet agreed.")
    fill_update(page, stage="In progress", rag="Red", commentary=commentary)
    update_form(page).get_by_role("button", name="Record update").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name="Enter the corrective action: a Red rating needs one.")
    expect(link).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    # The field carries its own message, and the summary's link takes you to it.
    expect(page.locator("#corrective_action-error")).to_contain_text("a Red rating needs one")
    link.click()
    expect(page.get_by_label("Corrective action", exact=True)).to_be_focused()
    # What was typed is kept.
    expect(page.get_by_label("Commentary", exact=True)).to_have_value(commentary)
    expect(page.get_by_label("Red", exact=True)).to_be_checked()

    page.goto(action_path("RR13"))
    expect(history(page)).to_have_count(before)
    assert history(page).first.inner_text() == newest_before
    expect(page.locator("main")).not_to_contain_text(commentary)


FORGE = """async ([url, headers]) => {
    const response = await fetch(url, {
        method: 'POST', credentials: 'same-origin', redirect: 'manual',
        headers: Object.assign({'Content-Type': 'application/x-www-form-urlencoded'}, headers),
        body: new URLSearchParams({stage: 'in_progress', rag: 'red', commentary: 'Forged update',
                                   corrective_action: 'Forged', effective_on: '',
                                   version: '1'}).toString(),
    });
    return {status: response.status, text: await response.text()};
}"""


def test_viewer_sees_no_form_and_forged_posts_are_refused(page_as):
    page = page_as(VIEWER)
    page.goto(action_path("RR6"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("RR6")
    expect(page.get_by_role("heading", name="History of updates")).to_be_visible()
    expect(page.get_by_role("heading", name="Record an update")).to_have_count(0)
    expect(page.locator("form[action$='/updates']")).to_have_count(0)
    expect(page.locator("textarea, input[type=radio]")).to_have_count(0)
    before = history(page).count()

    url = f"/plans/{PLAN}/actions/RR6/updates"
    no_token = page.evaluate(FORGE, [url, {}])
    assert no_token["status"] == 403, no_token
    forged = page.evaluate(FORGE, [url, {"X-CSRF-Token": "forged-token"}])
    assert forged["status"] == 403, forged
    assert "did not come from plantrack" in forged["text"]
    # Even with the session's own CSRF token a viewer may not update anything.
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    with_token = page.evaluate(FORGE, [url, {"X-CSRF-Token": token}])
    assert with_token["status"] == 403, with_token
    assert "did not come from plantrack" not in with_token["text"]

    page.reload()
    expect(history(page)).to_have_count(before)
    expect(page.locator("main")).not_to_contain_text("Forged update")


def test_forged_csrf_token_refused_for_an_editor(page_as):
    """The editor may update RR14, so only the CSRF check stands between a forged post and it."""
    page = page_as(EDITOR)
    page.goto(action_path("RR14"))
    before = history(page).count()
    version = page.locator("input[name=version]").input_value()
    url = f"/plans/{PLAN}/actions/RR14/updates"
    body = FORGE.replace("version: '1'", f"version: '{version}'")
    for headers in ({}, {"X-CSRF-Token": "forged-token"}):
        answer = page.evaluate(body, [url, headers])
        assert answer["status"] == 403, answer
        assert "did not come from plantrack" in answer["text"]
    page.reload()
    expect(history(page)).to_have_count(before)
    expect(page.locator("main")).not_to_contain_text("Forged update")


def test_conflict_keeps_both_updates(new_context):
    first = new_context(ADMIN).new_page()
    second = new_context(EDITOR).new_page()
    first.goto(action_path("RR9"))
    second.goto(action_path("RR9"))
    before = history(second).count()

    first_text = unique("Office: dashboard data-sharing agreement signed.")
    fill_update(first, stage="In progress", rag="Green", commentary=first_text)
    update_form(first).get_by_role("button", name="Record update").click()
    expect(first).to_have_url(re.compile(r"\?updated=recorded$"))

    second_text = unique("Lead: dashboard waiting on Probation's extract.")
    fill_update(second, stage="In progress", rag="Amber", commentary=second_text)
    update_form(second).get_by_role("button", name="Record update").click()

    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Someone else updated this action while you were writing")
    expect(conflict).to_contain_text(first_text)
    expect(conflict).to_contain_text("Programme Manager, OPCC")
    # Their own words are still in the form, ready to send again.
    expect(second.get_by_label("Commentary", exact=True)).to_have_value(second_text)
    expect(second.get_by_label("Amber", exact=True)).to_be_checked()
    # Nothing of theirs was recorded yet; the other update was.
    expect(history(second).first).to_contain_text(first_text)
    expect(second.locator(".pt-timeline")).not_to_contain_text(second_text)

    update_form(second).get_by_role("button", name="Send my update anyway").click()
    expect(second).to_have_url(re.compile(r"\?updated=recorded$"))
    expect(history(second)).to_have_count(before + 2)
    expect(history(second).nth(0)).to_contain_text(second_text)
    expect(history(second).nth(1)).to_contain_text(first_text)
