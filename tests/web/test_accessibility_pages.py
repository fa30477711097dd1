"""The accessibility statement: public, linked from every page's footer, in the sections of the
GOV.UK model statement, and saying what is tested and what is not accessible."""

import re

import pytest

from app.core.config import PROJECT_ROOT, get_settings

SECTIONS = [
    "Using this website",
    "How accessible this website is",
    "Feedback and contact information",
    "Enforcement procedure",
    "Technical information about this website's accessibility",
    "Compliance status",
    "Non-accessible content",
    "What we're doing to improve accessibility",
    "Preparation of this accessibility statement",
]


def test_the_statement_is_public_and_follows_the_model_statement(app_client):
    response = app_client.get("/accessibility", follow_redirects=False)
    assert response.status_code == 200
    page = response.text
    headings = re.findall(r"<h[23] class=\"govuk-heading-[lm]\"[^>]*>(.*?)</h[23]>", page)
    assert headings == SECTIONS
    # What is tested, named; the known exceptions, listed; the enforcers, named.
    tested = page.split('id="what-is-tested"', 1)[1].split("</ul>", 1)[0]
    for words in ("axe-core", "Keyboard", "Reflow", "320 CSS pixels", "Tagged PDF"):
        assert words in tested
    assert "Equality and Human Rights Commission" in page
    assert "Equality Commission for Northern Ireland" in page
    assert "partially compliant" in page
    assert "This statement was prepared on 2 December 2026." in page
    contact = get_settings().accessibility_contact
    assert f'href="mailto:{contact}"' in page


def test_the_contact_address_comes_from_the_settings(app_client, monkeypatch):
    monkeypatch.setenv("PLANTRACK_ACCESSIBILITY_CONTACT", "a11y@council.example")
    get_settings.cache_clear()
    try:
        page = app_client.get("/accessibility").text
    finally:
        monkeypatch.delenv("PLANTRACK_ACCESSIBILITY_CONTACT")
        get_settings.cache_clear()
    assert 'href="mailto:a11y@council.example"' in page


@pytest.mark.parametrize(
    "path", ["/sign-in", "/accessibility", "/", "/plans/reducing-offending-2015-18", "/audit"]
)
def test_every_page_links_to_the_statement_from_its_footer(admin, path):
    page = admin.get(path).text
    footer = page.split('<footer class="govuk-footer"', 1)[1]
    assert (
        '<a class="govuk-footer__link" href="/accessibility">Accessibility statement</a>' in footer
    )


def test_no_template_asks_for_a_date_with_the_browsers_picker():
    """Dates are typed into GOV.UK date inputs (day, month, year): the browser's picker showed
    "03/31/2018", the US order."""
    templates = PROJECT_ROOT / "templates"
    pickers = [
        str(path.relative_to(templates))
        for path in sorted(templates.rglob("*.html"))
        if re.search(r"type=[\"']?date\b", path.read_text())
    ]
    assert pickers == []
