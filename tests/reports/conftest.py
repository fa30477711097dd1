from datetime import date

import pytest

from app.domain.progress import get_plan
from app.reports.appendix import build_appendix

AS_AT = date(2018, 3, 31)


@pytest.fixture
def demo_plan(session):
    return get_plan(session=session, slug="reducing-offending-2015-18")


@pytest.fixture
def demo_report(session, demo_plan):
    return build_appendix(session, demo_plan, AS_AT)
