"""Keyboard only: an editor records an update without touching the mouse.

Input is only page.keyboard (Tab, Shift+Tab, arrow keys, typing, Enter). The test reads the
page's state (what has focus, which radio is checked) to decide which key to press next, as a
person looking at the screen would, and checks that focus is visible at every step.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import EDITOR, action_path, history, unique

pytestmark = pytest.mark.browser

# What has focus, and whether it shows: an outline that is not transparent, a box-shadow, or
# (for GOV.UK radios and checkboxes, whose inputs are transparent) a ring drawn on the label's
# ::before.
FOCUS_STATE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {tag: 'body'};
    const visible = (style) => {
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
            && !/rgba\\(.*,\\s*0\\)$|transparent/.test(style.outlineColor);
        const shadow = style.boxShadow && style.boxShadow !== 'none';
        return outline || shadow;
    };
    let shown = visible(getComputedStyle(el));
    if (!shown && el.matches('input[type=radio], input[type=checkbox]')) {
        const label = el.labels && el.labels[0];
        shown = !!label && visible(getComputedStyle(label, '::before'));
    }
    return {
        tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
        type: el.getAttribute('type'), checked: !!el.checked, value: el.value,
        text: (el.innerText || '').trim().slice(0, 60), visible: shown,
    };
}"""


def focus(page) -> dict:
    return page.evaluate(FOCUS_STATE)


def assert_focus_visible(state: dict) -> None:
    assert state["visible"], f"focus is not visible on {state}"


def tab_until(page, matches, *, limit: int = 60, key: str = "Tab") -> dict:
    """Press Tab until the focused element matches, checking focus is visible on the way."""
    for _ in range(limit):
        page.keyboard.press(key)
        state = focus(page)
        if state["tag"] != "body":
            assert_focus_visible(state)
        if matches(state):
            return state
    raise AssertionError(f"{limit} presses of {key} never reached the element wanted")


def arrow_until_checked(page, name: str, value: str, *, limit: int = 10) -> None:
    """Move through a radio group with the arrow keys until the wanted value is checked."""
    for _ in range(limit):
        state = focus(page)
        assert state["name"] == name, f"focus left the {name} radios: {state}"
        assert_focus_visible(state)
        if state["checked"] and state["value"] == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never checked {name}={value}")


def test_update_form_can_be_completed_with_the_keyboard(page_as):
    page = page_as(EDITOR)
    page.goto(action_path("RR7"))
    before = history(page).count()

    # From the top of the page: the first Tab reaches the skip link, which shows itself.
    page.keyboard.press("Tab")
    skip = focus(page)
    assert skip["tag"] == "a" and skip["text"] == "Skip to main content", skip
    assert_focus_visible(skip)
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # On through the page to the form's first field: the stage radios.
    tab_until(page, lambda s: s["name"] == "stage")
    arrow_until_checked(page, "stage", "in_progress")
    # Tab and Shift+Tab move between groups, not within them.
    page.keyboard.press("Tab")
    assert focus(page)["name"] == "rag"
    page.keyboard.press("Shift+Tab")
    assert focus(page)["name"] == "stage"
    page.keyboard.press("Tab")
    arrow_until_checked(page, "rag", "amber")

    tab_until(page, lambda s: s["id"] == "commentary", limit=3)
    commentary = unique("Recorded from the keyboard: partnership agreement in draft.")
    page.keyboard.type(commentary)
    tab_until(page, lambda s: s["id"] == "corrective_action", limit=3)
    # The effective date's day, month and year boxes keep their default (today); on to the
    # button.
    submit = tab_until(page, lambda s: s["tag"] == "button" and s["type"] == "submit", limit=8)
    assert submit["text"] == "Record update", submit
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/actions/RR7\?updated=recorded$"))
    expect(page.get_by_role("alert").filter(has_text="Success")).to_contain_text(
        "Your update has been recorded."
    )
    expect(history(page)).to_have_count(before + 1)
    newest = history(page).first
    expect(newest).to_contain_text(commentary)
    expect(newest).to_contain_text("In progress")
    expect(newest).to_contain_text("Amber")


def test_menu_works_from_the_keyboard_on_a_phone(new_context):
    """At phone width the service navigation folds behind a Menu button, which the keyboard
    opens; every link in it then takes focus visibly, Sign out included."""
    context = new_context(EDITOR)
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("link", name="My actions")).to_be_hidden()
    state = tab_until(page, lambda s: s["tag"] == "button" and s["text"] == "Menu", limit=5)
    assert_focus_visible(state)
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="My actions")).to_be_visible()
    tab_until(page, lambda s: s["tag"] == "a" and s["text"] == "My actions", limit=6)
    tab_until(page, lambda s: s["tag"] == "button" and s["text"] == "Sign out", limit=6)
