"""Every page reflows at 320 CSS px (WCAG 2.2, 1.4.10 Reflow: 1280 px zoomed to 400%).

The document never scrolls sideways: a wide table scrolls inside its own region
(div.app-table-scroll: role="region", labelled by the table's caption, tabindex="0"), which a
keyboard can reach and scroll. Every page of the app is walked (helpers.page_routes lists the
GET routes that answer with a page), signed in as the office, and the public pages signed out.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ADMIN,
    EDITOR,
    ERROR_PAGES,
    PLAN,
    PUBLIC_PAGES,
    action_path,
    fill_update,
    page_routes,
    screenshot,
    update_form,
)

pytestmark = pytest.mark.browser

WIDTH = 320

# What overflows the viewport (outside a scroll region), and the regions' checks, in one call,
# with every details component open.
MEASURE = """(width) => {
    // Open every details component: what it hides must reflow too.
    document.querySelectorAll('details').forEach(details => { details.open = true; });
    const root = document.documentElement;
    const offenders = [...document.body.querySelectorAll('*')]
        .filter(el => !el.closest('.app-table-scroll, .govuk-visually-hidden, .govuk-skip-link'))
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .slice(0, 8)
        .map(el => `${el.tagName.toLowerCase()}#${el.id}.${String(el.className).split(' ').join('.')}`
                   + ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
    const regions = [...document.querySelectorAll('.app-table-scroll')].map(el => {
        const label = (el.getAttribute('aria-labelledby') || '').split(' ')
            .map(id => document.getElementById(id)).filter(Boolean)
            .map(labeller => labeller.textContent.trim()).join(' ');
        el.focus();
        const style = getComputedStyle(el);
        return {
            role: el.getAttribute('role'), tabindex: el.getAttribute('tabindex'), label,
            focused: document.activeElement === el,
            focusShows: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                        || (style.boxShadow && style.boxShadow !== 'none'),
            overflowX: style.overflowX,
        };
    });
    return {scrollWidth: root.scrollWidth, offenders, regions};
}"""


def assert_reflows(page, what: str) -> None:
    page.wait_for_load_state("load")
    measured = page.evaluate(MEASURE, WIDTH)
    screenshot(page, f"reflow-{what.strip('/').replace('/', '-') or 'home'}")
    assert measured["scrollWidth"] <= WIDTH, (
        f"{what} ({page.url}) scrolls sideways at {WIDTH} px: the document is "
        f"{measured['scrollWidth']} px wide. Wider than the viewport: {measured['offenders']}"
    )
    for number, region in enumerate(measured["regions"], start=1):
        where = f"{what}: scroll region {number} ({region['label']!r})"
        assert region["role"] == "region" and region["tabindex"] == "0", where
        assert region["label"], f"{where} has no label"
        assert region["focused"] and region["focusShows"], (
            f"{where} is not focusable with focus shown"
        )
        assert region["overflowX"] == "auto", where


def _visit(page, path: str, values: dict[str, str]) -> None:
    address = path.format_map(values)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    response = page.goto(address)
    expected = ERROR_PAGES.get(path, 200)
    assert response.status == expected, f"{address} answered {response.status}, not {expected}"


@pytest.mark.parametrize("path", page_routes())
def test_every_page_reflows_at_320_px_for_the_office(path, page_as, page_values):
    page = page_as(ADMIN)
    _visit(page, path, page_values)
    assert_reflows(page, path)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_reflow_at_320_px_signed_out(path, page_as, page_values):
    page = page_as(None)
    _visit(page, path, page_values)
    assert_reflows(page, f"{path} (signed out)")


def test_an_editors_pages_and_a_form_with_errors_reflow(page_as):
    page = page_as(EDITOR)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto("/my-actions")
    assert_reflows(page, "/my-actions (editor)")
    page.goto(action_path("RR8"))
    fill_update(page, stage="In progress", rag=None, commentary="")
    update_form(page).get_by_role("button", name="Record update").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_reflows(page, "action page with errors")


def test_a_wide_table_scrolls_from_the_keyboard_inside_its_region(page_as):
    """Tab reaches the plan's table of themes; the arrow keys scroll it, not the page."""
    page = page_as(ADMIN)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(f"/plans/{PLAN}?as_at=2019-03-31")
    region = page.get_by_role("region", name="As at 31 March 2019")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: no test"
    for _ in range(200):
        page.keyboard.press("Tab")
        if region.evaluate("el => document.activeElement === el"):
            break
    else:
        raise AssertionError("Tab never reached the table's scroll region")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle(), timeout=3_000)
    assert page.evaluate("window.scrollX") == 0
