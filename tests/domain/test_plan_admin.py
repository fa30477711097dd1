"""Creating a plan, editing it later, closing and reopening it: one domain function per change,
every field checked at once, nothing written on a refusal, every change audited."""

import json
from datetime import date

import pytest
from sqlmodel import func, select

from app.core.models import (
    Action,
    AuditEvent,
    Commitment,
    DeliveryGroup,
    Outcome,
    Plan,
    PlanStatus,
    Theme,
    User,
)
from app.domain.as_at import awaits_closing, default_as_at, plan_state_notice, plan_state_text
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.plan_admin import (
    PlanDetailsIn,
    PlanIn,
    PlanRejected,
    ThemeIn,
    add_theme,
    close_plan,
    create_plan,
    details_of,
    lines_of,
    move_theme,
    read_plan_settings,
    reopen_plan,
    replace_outcomes,
    suggest_slug,
    theme_in_of,
    update_plan_details,
    update_theme,
)
from app.domain.progress import get_plan
from app.domain.updates import UpdateIn, UpdateNotAllowed, record_update
from tests.factories import make_action, make_plan, make_theme, make_update

EXISTING_GROUP = "Prevention Delivery Group"


def good_plan(**overrides) -> PlanIn:
    return PlanIn(
        **(
            dict(
                slug="youth-justice-2024-27",
                title="Youth Justice Plan 2024-27",
                period_start="2024-04-01",
                period_end="2027-03-31",
                board="OMCDB",
                outcomes=["Fewer first time entrants", "  Less re-offending  ", ""],
                themes=[
                    ThemeIn(
                        title="Prevention",
                        vision="Children are kept out of the justice system.",
                        commitments=["Early help for families", "Diversion at the point of arrest"],
                        delivery_group=EXISTING_GROUP.upper(),
                    ),
                    ThemeIn(),  # an empty block of the page is left out
                    ThemeIn(title="Resettlement", delivery_group="Youth Resettlement Group"),
                ],
            )
            | overrides
        )
    )


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def events(session, verb: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.verb == verb)))


# --- The date input's one parser -----------------------------------------------------------------


@pytest.mark.parametrize(
    "parts, expected",
    [
        (DateParts("31", "3", "2021"), date(2021, 3, 31)),
        (DateParts(" 1 ", "04", "2024"), date(2024, 4, 1)),
        (DateParts("1", "Apr", "2024"), date(2024, 4, 1)),
        (DateParts("30", "september", "2024"), date(2024, 9, 30)),
    ],
)
def test_the_date_input_reads_numbers_and_month_names(parts, expected):
    assert parse_date_parts(parts, label="the start date") == expected


@pytest.mark.parametrize(
    "parts, message",
    [
        (DateParts(), "Enter the start date"),
        (DateParts("", "3", "2021"), "The start date must include a day"),
        (DateParts("31", "", ""), "The start date must include a month and year"),
        (DateParts("", "", "2021"), "The start date must include a day and month"),
        (DateParts("31", "2", "2021"), "The start date must be a real date"),
        (DateParts("9" * 20, "3", "2021"), "The start date must be a real date"),
        (DateParts("31", "13", "2021"), "The start date must be a real date"),
        (DateParts("x", "3", "2021"), "The start date must be a real date"),
        (DateParts("31", "3", "21"), "Year must include 4 numbers"),
    ],
)
def test_the_date_input_refuses_in_the_gov_uk_patterns_words(parts, message):
    with pytest.raises(DateInputError) as refused:
        parse_date_parts(parts, label="the start date")
    assert refused.value.message == message


def test_a_slug_is_suggested_from_the_title():
    assert suggest_slug("Reducing Offending 2024–27: Año & Über") == (
        "reducing-offending-2024-27-ano-uber"
    )
    assert suggest_slug("  ") == ""
    assert lines_of("one\n\n  two  words \r\n") == ["one", "two words"]


# --- Create ------------------------------------------------------------------------------------


def test_a_plan_is_created_with_its_outcomes_themes_commitments_and_groups(session):
    groups_before = count(session, DeliveryGroup)
    plan = create_plan(session=session, plan_in=good_plan(), user=None, actor="test")
    assert (plan.slug, plan.status, plan.rag_scheme) == ("youth-justice-2024-27", "active", "rag3")
    assert plan.short_title == plan.title  # blank: the title
    assert (plan.period_start, plan.period_end) == (date(2024, 4, 1), date(2027, 3, 31))
    settings = read_plan_settings(session=session, plan=plan)
    assert settings.board.short_name == "OMCDB"
    assert [o.title for o in settings.outcomes] == [
        "Fewer first time entrants",
        "Less re-offending",
    ]
    assert [(t.theme.position, t.theme.title) for t in settings.themes] == [
        (1, "Prevention"),
        (2, "Resettlement"),
    ]
    prevention, resettlement = settings.themes
    assert prevention.delivery_group.name == EXISTING_GROUP  # found whatever its case
    assert [c.text for c in prevention.commitments] == [
        "Early help for families",
        "Diversion at the point of arrest",
    ]
    assert resettlement.delivery_group.name == "Youth Resettlement Group"  # made
    assert resettlement.delivery_group.board_id == plan.board_id
    assert count(session, DeliveryGroup) == groups_before + 1
    (event,) = events(session, "create_plan")
    assert event.actor == "test" and event.before_json is None
    after = json.loads(event.after_json)
    assert after["slug"] == "youth-justice-2024-27" and after["board"] == "OMCDB"
    assert after["themes"][0]["commitments"][1] == "Diversion at the point of arrest"
    assert len(events(session, "create_delivery_group")) == 1


def test_the_five_point_scheme_and_approval_are_chosen_by_name(session):
    plan = create_plan(
        session=session,
        plan_in=good_plan(rag_scheme="dca", requires_approval=True, themes=[]),
        user=None,
    )
    assert plan.rag_scheme == "dca5" and plan.requires_approval


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": "  "}, "title", "Enter the plan's title"),
        ({"title": "x" * 301}, "title", "The title must be 300 characters or fewer"),
        (
            {"title": "x" * 150},
            "short_title",
            "Enter a short title of 120 characters or fewer: the title is too long to use instead",
        ),
        (
            {"slug": ""},
            "slug",
            "Enter a short name for the plan's web address, such as youth-justice-plan-2024-27",
        ),
        (
            {"slug": "Youth Justice"},
            "slug",
            "The short name must use only lower-case letters, "
            "digits and single hyphens between them, such as youth-justice-plan-2024-27",
        ),
        (
            {"slug": "youth--justice"},
            "slug",
            "The short name must use only lower-case letters, "
            "digits and single hyphens between them, such as youth-justice-plan-2024-27",
        ),
        ({"slug": "new"}, "slug", "The short name 'new' is the address of a page: choose another"),
        (
            {"slug": "reducing-offending-2015-18"},
            "slug",
            "There is already a plan with the short name reducing-offending-2015-18: choose another",
        ),
        ({"period_start": ""}, "period_start", "Enter the start date"),
        (
            {"period_start": "1/4/2024"},
            "period_start",
            "The start date must be a real date, in the form YYYY-MM-DD",
        ),
        (
            {"period_start": DateParts("1", "", "2024")},
            "period_start",
            "The start date must include a month",
        ),
        ({"period_end": "2024-04-01"}, "period_end", "The end date must be after the start date"),
        ({"period_end": "2023-03-31"}, "period_end", "The end date must be after the start date"),
        ({"board": ""}, "board", "Choose the board that owns the plan"),
        (
            {"board": "XYZ"},
            "board",
            "There is no board called 'XYZ': choose one of OMCDB, PCP, PFCP, PoliceCOG, RRB",
        ),
        (
            {"rag_scheme": "traffic lights"},
            "rag_scheme",
            "Choose how actions are rated: Green/Amber/Red (rag) or the five-point Delivery "
            "Confidence Assessment (dca)",
        ),
        (
            {"description": "x" * 10_001},
            "description",
            "The description must be 10,000 characters or fewer",
        ),
        (
            {"outcomes": ["fine", "y" * 501]},
            "outcomes",
            "Outcome 2 must be 500 characters or fewer; it has 501",
        ),
        (
            {"themes": [ThemeIn(vision="A vision without a title")]},
            "themes.0.title",
            "Enter the theme's title",
        ),
        (
            {"themes": [ThemeIn(title="Prevention"), ThemeIn(), ThemeIn(title="prevention")]},
            "themes.2.title",
            "Theme 'prevention' is already listed above: give each theme its own title",
        ),
        (
            {"themes": [ThemeIn(title="A", commitments=["c" * 2001])]},
            "themes.0.commitments",
            "Commitment 1 must be 2,000 characters or fewer",
        ),
        (
            {"themes": [ThemeIn(title="A", delivery_group="g" * 201)]},
            "themes.0.delivery_group",
            "The delivery group's name must be 200 characters or fewer",
        ),
    ],
)
def test_each_bad_field_is_refused_with_its_message_and_nothing_is_written(
    session, overrides, field, message
):
    plans, groups, audit = (
        count(session, Plan),
        count(session, DeliveryGroup),
        count(session, AuditEvent),
    )
    with pytest.raises(PlanRejected) as rejected:
        create_plan(session=session, plan_in=good_plan(**overrides), user=None)
    assert rejected.value.errors[field] == message
    assert (count(session, Plan), count(session, DeliveryGroup), count(session, AuditEvent)) == (
        plans,
        groups,
        audit,
    )


def test_every_problem_is_found_at_once_in_the_forms_order(session):
    with pytest.raises(PlanRejected) as rejected:
        create_plan(
            session=session,
            plan_in=PlanIn(themes=[ThemeIn(vision="v")], rag_scheme="x"),
            user=None,
        )
    assert list(rejected.value.errors) == [
        "title",
        "slug",
        "period_start",
        "period_end",
        "board",
        "rag_scheme",
        "themes.0.title",
    ]


# --- Edit later --------------------------------------------------------------------------------


def test_details_are_changed_with_before_and_after_in_the_audit_log(session):
    plan = create_plan(session=session, plan_in=good_plan(), user=None)
    details = details_of(session=session, plan=plan)
    details.title, details.board = "Youth Justice Strategy 2024-28", "RRB"
    details.period_end = "2028-03-31"
    update_plan_details(session=session, plan=plan, details_in=details, user=None)
    assert plan.title == "Youth Justice Strategy 2024-28" and plan.period_end == date(2028, 3, 31)
    (event,) = events(session, "edit_plan")
    before, after = json.loads(event.before_json), json.loads(event.after_json)
    assert (before["board"], after["board"]) == ("OMCDB", "RRB")
    assert (before["period_end"], after["period_end"]) == ("2027-03-31", "2028-03-31")
    assert before["short_title"] == after["short_title"] == "Youth Justice Plan 2024-27"
    assert "changed title, period end, board" in event.summary
    update_plan_details(session=session, plan=plan, details_in=details, user=None)
    assert len(events(session, "edit_plan")) == 1  # nothing changed: nothing recorded


def test_the_period_must_still_hold_every_recorded_update(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    details = details_of(session=session, plan=plan)
    details.period_start, details.period_end = "2016-06-01", "2017-03-31"
    with pytest.raises(PlanRejected) as rejected:
        update_plan_details(session=session, plan=plan, details_in=details, user=None)
    assert rejected.value.errors["period_start"].startswith("Updates to this plan take effect from")
    assert "the end date must be on or after then" in rejected.value.errors["period_end"]
    session.refresh(plan)
    assert plan.period_start == date(2015, 10, 1)


def test_a_plan_rated_amber_green_keeps_the_five_point_scale(session):
    plan = get_plan(session=session, slug="managing-offenders-2018-21")
    details = details_of(session=session, plan=plan)
    details.rag_scheme = "rag3"
    with pytest.raises(PlanRejected) as rejected:
        update_plan_details(session=session, plan=plan, details_in=details, user=None)
    assert rejected.value.errors["rag_scheme"].startswith("Updates to this plan are rated Amber/")
    assert rejected.value.errors["rag_scheme"].endswith(
        "keep Delivery Confidence Assessment (five point)"
    )


def test_outcomes_are_replaced_and_audited(session):
    plan = create_plan(session=session, plan_in=good_plan(), user=None)
    replace_outcomes(
        session=session, plan=plan, outcomes=["Less re-offending", "Safer streets"], user=None
    )
    titles = session.exec(
        select(Outcome.title).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
    ).all()
    assert titles == ["Less re-offending", "Safer streets"]
    (event,) = events(session, "edit_outcomes")
    assert json.loads(event.before_json)["outcomes"] == [
        "Fewer first time entrants",
        "Less re-offending",
    ]
    assert json.loads(event.after_json)["outcomes"] == titles


def test_themes_are_added_renamed_and_reordered(session):
    plan = create_plan(session=session, plan_in=good_plan(), user=None)
    added = add_theme(
        session=session,
        plan=plan,
        theme_in=ThemeIn(title="Victims", delivery_group=EXISTING_GROUP),
        user=None,
    )
    assert added.position == 3
    with pytest.raises(PlanRejected) as rejected:
        add_theme(session=session, plan=plan, theme_in=ThemeIn(title="VICTIMS"), user=None)
    assert rejected.value.errors == {"title": "This plan already has a theme called 'VICTIMS'"}
    move_theme(session=session, plan=plan, theme=added, direction="up", user=None)
    move_theme(session=session, plan=plan, theme=added, direction="up", user=None)
    move_theme(session=session, plan=plan, theme=added, direction="up", user=None)  # at the top
    order = session.exec(
        select(Theme.title).where(Theme.plan_id == plan.id).order_by(Theme.position)
    ).all()
    assert order == ["Victims", "Prevention", "Resettlement"]
    events_ = events(session, "reorder_themes")
    assert len(events_) == 2
    assert json.loads(events_[-1].after_json)["themes"] == order
    theme_in = theme_in_of(session=session, theme=added)
    theme_in.title, theme_in.vision, theme_in.delivery_group = "Victims and witnesses", "Heard", ""
    update_theme(session=session, plan=plan, theme=added, theme_in=theme_in, user=None)
    (event,) = events(session, "edit_theme")
    before, after = json.loads(event.before_json), json.loads(event.after_json)
    assert (before["title"], after["title"]) == ("Victims", "Victims and witnesses")
    assert (before["delivery_group"], after["delivery_group"]) == (EXISTING_GROUP, None)


def test_a_plan_and_a_theme_name_their_senior_responsible_owner_audited(session):
    plan = create_plan(
        session=session,
        plan_in=good_plan(senior_responsible_owner="  Assistant Chief   Constable "),
        user=None,
    )
    assert plan.senior_responsible_owner == "Assistant Chief Constable"
    details = details_of(session=session, plan=plan)
    assert details.senior_responsible_owner == "Assistant Chief Constable"
    details.senior_responsible_owner = "Chief Superintendent, Head of Partnerships"
    update_plan_details(session=session, plan=plan, details_in=details, user=None)
    (event,) = events(session, "edit_plan")
    assert json.loads(event.before_json)["senior_responsible_owner"] == "Assistant Chief Constable"
    assert json.loads(event.after_json)["senior_responsible_owner"] == (
        "Chief Superintendent, Head of Partnerships"
    )
    assert "changed senior responsible owner" in event.summary

    theme = session.exec(select(Theme).where(Theme.plan_id == plan.id)).first()
    theme_in = theme_in_of(session=session, theme=theme)
    assert theme_in.senior_responsible_owner == ""
    theme_in.senior_responsible_owner = "Head of Youth Offending Service"
    update_theme(session=session, plan=plan, theme=theme, theme_in=theme_in, user=None)
    session.refresh(theme)
    assert theme.senior_responsible_owner == "Head of Youth Offending Service"
    (event,) = events(session, "edit_theme")
    assert json.loads(event.before_json)["senior_responsible_owner"] == ""
    assert "changed senior responsible owner" in event.summary

    theme_in.senior_responsible_owner = "s" * 301
    with pytest.raises(PlanRejected) as rejected:
        update_theme(session=session, plan=plan, theme=theme, theme_in=theme_in, user=None)
    assert rejected.value.errors == {
        "senior_responsible_owner": "The senior responsible owner must be 300 characters or fewer"
    }
    session.refresh(theme)
    assert theme.senior_responsible_owner == "Head of Youth Offending Service"


def test_a_commitment_keeps_its_actions_when_its_line_is_kept_or_reworded(session):
    plan = get_plan(session=session, slug="managing-offenders-2018-21")
    theme = session.exec(
        select(Theme).where(Theme.plan_id == plan.id, Theme.title == "Constructive outcomes")
    ).one()
    old = list(
        session.exec(
            select(Commitment).where(Commitment.theme_id == theme.id).order_by(Commitment.position)
        )
    )
    co1 = session.exec(select(Action).where(Action.plan_id == plan.id, Action.ref == "CO1")).one()
    assert co1.commitment_id == old[1].id
    theme_in = theme_in_of(session=session, theme=theme)
    hanging = set(
        session.exec(
            select(Action.commitment_id).where(Action.commitment_id.in_([c.id for c in old]))
        )
    )
    assert old[4].id not in hanging  # nothing hangs from the fifth
    lines = theme_in.commitments
    # A new first line, the second reworded in its place, the fifth removed.
    theme_in.commitments = [
        "Listening to victims first.",
        lines[0],
        lines[1] + " (reworded)",
        lines[2],
        lines[3],
        lines[5],
    ]
    update_theme(session=session, plan=plan, theme=theme, theme_in=theme_in, user=None)
    session.refresh(co1)
    now = list(
        session.exec(
            select(Commitment).where(Commitment.theme_id == theme.id).order_by(Commitment.position)
        )
    )
    assert [c.text for c in now] == theme_in.commitments
    assert [c.id for c in now[1:]] == [old[0].id, old[1].id, old[2].id, old[3].id, old[5].id]
    assert co1.commitment_id == now[2].id and now[2].text.endswith("(reworded)")
    (event,) = events(session, "edit_theme")
    assert len(json.loads(event.before_json)["commitments"]) == 6
    assert json.loads(event.after_json)["commitments"][0] == "Listening to victims first."

    theme_in.commitments = [line for line in theme_in.commitments if "(reworded)" not in line]
    with pytest.raises(PlanRejected) as rejected:
        update_theme(session=session, plan=plan, theme=theme, theme_in=theme_in, user=None)
    assert rejected.value.errors["commitments"].startswith("Actions CO1")


# --- End of a plan -------------------------------------------------------------------------------


def test_an_ended_plan_not_yet_closed_is_worded_so_and_read_as_at_its_end(session):
    plan = make_plan(session, period_end=date(2021, 3, 31), status="active")
    today = date(2026, 12, 2)
    assert awaits_closing(plan, today)
    assert plan_state_text(plan, today) == "Ended on 31 March 2021, not yet closed"
    assert plan_state_notice(plan, today).startswith("Ended on 31 March 2021, not yet closed:")
    assert default_as_at(plan, today) == date(2021, 3, 31)
    assert plan_state_text(plan, date(2021, 3, 31)) == "Active"
    assert plan_state_notice(plan, date(2021, 3, 31)) is None
    plan.status = PlanStatus.closed
    assert plan_state_text(plan, today) == "Closed" and not awaits_closing(plan, today)


def test_closing_freezes_updates_and_reopening_needs_a_reason(session):
    plan = make_plan(session, period_end=date(2021, 3, 31))
    action = make_action(session, plan, make_theme(session, plan))
    make_update(session, action)
    close_plan(session=session, plan=plan, user=None, actor="test")
    with pytest.raises(PlanRejected) as again:
        close_plan(session=session, plan=plan, user=None)
    assert again.value.errors == {"status": f"{plan.short_title} is already closed"}
    update_in = UpdateIn("complete", None, "Done.", "", date(2021, 3, 1), action.version)
    office = session.exec(select(User).where(User.role == "admin")).first()
    with pytest.raises(UpdateNotAllowed):
        record_update(session, action=action, plan=plan, user=office, update_in=update_in)
    (closed,) = events(session, "close_plan")
    assert (json.loads(closed.before_json), json.loads(closed.after_json)) == (
        {"status": "active"},
        {"status": "closed"},
    )

    with pytest.raises(PlanRejected) as rejected:
        reopen_plan(session=session, plan=plan, reason="  ", user=None)
    assert rejected.value.errors == {"reason": "Enter why the plan is being reopened"}
    reopen_plan(session=session, plan=plan, reason="Final updates were missed.", user=None)
    assert plan.status == "active"
    (reopened,) = events(session, "reopen_plan")
    assert json.loads(reopened.after_json) == {
        "status": "active",
        "reason": "Final updates were missed.",
    }
    assert reopened.summary.endswith("Final updates were missed.")
    record_update(session, action=action, plan=plan, user=office, update_in=update_in)
    with pytest.raises(PlanRejected) as not_closed:
        reopen_plan(session=session, plan=plan, reason="Again", user=None)
    assert not_closed.value.errors == {"status": f"{plan.short_title} is not closed"}


def test_details_of_a_plan_start_its_edit_form(session):
    plan = get_plan(session=session, slug="reducing-offending-2015-18")
    details = details_of(session=session, plan=plan)
    assert isinstance(details, PlanDetailsIn)
    assert (details.board, details.rag_scheme) == ("OMCDB", "rag3")
    assert details.period_start == date(2015, 10, 1)
