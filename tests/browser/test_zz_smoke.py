import pytest
from tests.browser.helpers import EDITOR, run_axe, describe_violations
pytestmark = pytest.mark.browser

def test_smoke(page_as, server):
    page = page_as(EDITOR)
    for path in ["/sign-in", "/", "/plans/reduced-offending-2018-21", "/plans/reduced-offending-2018-21/actions/RR5", "/my-actions", "/plans/reduced-offending-2018-21/reports/appendix", "/nope", "/account/password"]:
        page.goto(path)
        print(path, page.title())
        print(describe_violations(run_axe(page)))
