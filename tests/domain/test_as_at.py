"""The one comparison window: "changes since" and direction of travel default to the previous
meeting of the plan's own board, three months back only when there is none."""

from datetime import UTC, date, datetime

from app.domain.as_at import comparison, default_since
from app.domain.boards import find_meeting, get_board
from app.domain.progress import get_plan
from app.reports.appendix import build_appendix
from app.reports.highlight import build_highlight
from tests.factories import make_plan


def test_the_previous_meeting_before_the_as_at_date():
    meetings = [date(2017, 12, 14), date(2018, 3, 15), date(2018, 6, 14)]
    assert default_since(date(2018, 3, 31), meetings) == date(2018, 3, 15)
    # A meeting on the as-at date itself is the one the report is for, not the previous one.
    assert default_since(date(2018, 3, 15), meetings) == date(2017, 12, 14)


def test_three_months_back_only_when_there_is_no_earlier_meeting():
    assert default_since(date(2018, 3, 31)) == date(2017, 12, 31)
    assert default_since(date(2018, 5, 31), [date(2018, 6, 14)]) == date(2018, 2, 28)


def test_the_plans_own_board_gives_the_date_and_says_why(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    compared = comparison(session, plan, date(2018, 3, 31))
    assert compared.since == date(2018, 3, 15)
    assert compared.sentence == (
        "Changes and direction of travel are measured since 15 March 2018, the date of the "
        "previous meeting of the Offender Management Commissioning and Development Board."
    )
    # Asked for that same date (a download link carries it): the same reason.
    assert comparison(session, plan, date(2018, 3, 31), date(2018, 3, 15)) == compared
    chosen = comparison(session, plan, date(2018, 3, 31), date(2018, 1, 1))
    assert (chosen.since, chosen.basis) == (date(2018, 1, 1), "the date chosen for this report")
    # Before the board's first meeting (19 November 2015).
    early = comparison(session, plan, date(2015, 11, 1))
    assert early.since == date(2015, 8, 1)
    assert early.basis == (
        "three months before the as-at date (the Offender Management Commissioning and "
        "Development Board had no earlier meeting)"
    )


def test_a_cancelled_meeting_is_not_the_previous_one(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    board = get_board(session=session, short_name="OMCDB")
    meeting = find_meeting(session=session, board=board, held_on=date(2018, 3, 15))
    meeting.cancelled_at = datetime(2018, 3, 1, tzinfo=UTC)
    session.add(meeting)
    session.flush()
    assert comparison(session, plan, date(2018, 3, 31)).since == date(2017, 12, 14)


def test_a_plan_without_a_board_looks_back_three_months(session):
    plan = make_plan(session)
    assert plan.board_id is None
    compared = comparison(session, plan, date(2021, 3, 31))
    assert compared.since == date(2020, 12, 31)
    assert compared.basis == "three months before the as-at date (the plan has no board)"


def test_the_appendix_and_the_highlight_agree_on_the_window(session):
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    as_at = date(2019, 5, 23)
    appendix = build_appendix(session, plan, as_at)
    highlight = build_highlight(session, plan, as_at=as_at)
    assert appendix.since == highlight.since == date(2019, 2, 28)
    assert appendix.comparison_sentence == highlight.comparison_sentence
