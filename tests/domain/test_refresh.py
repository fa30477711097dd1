"""Refreshing a plan: the demo's 2018-21 Framework rebuilt from its 2015-18 predecessor.

The demo already holds the result of the real 2018 refresh: every action of
reducing-offending-2015-18 that was carried forward has a "carried forward" update effective
1 April 2018, so as at that date none of them is outstanding any more. To reproduce the refresh
the test therefore builds a fresh copy of the 2015-18 plan with tests/factories.py, holding
everything the demo plan holds except those carried-forward updates (the state of the plan on
31 March 2018), refreshes the copy on the real date, 1 April 2018, and compares the result with
the demo's reduced-offending-2018-21. This exercises ``plan_refresh`` exactly as the office would
use it, rather than giving it a special "outstanding as at the day before" rule.
"""

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    AuditEvent,
    Plan,
    Stage,
    StatusUpdate,
    Theme,
)
from app.domain.progress import progress_as_at
from app.domain.refresh import (
    DueRule,
    NewTheme,
    RefreshError,
    apply_refresh,
    end_of_first_year,
    plan_refresh,
)
from app.domain.snapshot import plan_snapshot
from app.domain.status import latest_updates_as_at
from tests.factories import make_action, make_plan, make_theme, make_update

REFRESH_DATE = date(2018, 4, 1)
PREVENTION_EI = "Prevention/Early Intervention"
OMRR = "Offender Management, Rehabilitation and Resettlement"
NEW_THEMES = [
    NewTheme(PREVENTION_EI, "Prevention/Early Intervention Group"),
    NewTheme(OMRR, "Offender Management, Rehabilitation and Resettlement Delivery Group"),
]
MAPPING = {"Prevention": PREVENTION_EI, "Diversion": PREVENTION_EI, OMRR: OMRR}


def plan_by_slug(session: Session, slug: str) -> Plan:
    return session.exec(select(Plan).where(Plan.slug == slug)).one()


def copy_of_2015_18_before_refresh(session: Session) -> Plan:
    """The demo 2015-18 plan as it stood on 31 March 2018, rebuilt with the factories."""
    demo = plan_by_slug(session, "reducing-offending-2015-18")
    copy = make_plan(
        session,
        slug="reducing-offending-2015-18-copy",
        title=demo.title + " (copy)",
        short_title=demo.short_title,
        period_start=demo.period_start,
        period_end=demo.period_end,
        board_id=demo.board_id,
        rag_scheme=demo.rag_scheme,
        status="active",
    )
    themes = {}
    for theme in session.exec(select(Theme).where(Theme.plan_id == demo.id)):
        themes[theme.id] = make_theme(
            session,
            copy,
            title=theme.title,
            position=theme.position,
            vision=theme.vision,
            delivery_group_id=theme.delivery_group_id,
        )
    for action in session.exec(select(Action).where(Action.plan_id == demo.id)):
        updates = session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.action_id == action.id, StatusUpdate.effective_on < REFRESH_DATE)
            .order_by(StatusUpdate.id)
        ).all()
        twin = make_action(
            session,
            copy,
            themes[action.theme_id],
            ref=action.ref,
            position=action.position,
            title=action.title,
            description=action.description,
            lead_organisation_id=action.lead_organisation_id,
            lead_person_id=action.lead_person_id,
            start_date=action.start_date,
            due_date=action.due_date,
            due_label=action.due_label,
            provenance=action.provenance,
            version=1 + len(updates),
        )
        for organisation_id in session.exec(
            select(ActionPartner.organisation_id).where(ActionPartner.action_id == action.id)
        ):
            session.add(ActionPartner(action_id=twin.id, organisation_id=organisation_id))
        for update in updates:
            make_update(
                session,
                twin,
                effective_on=update.effective_on,
                recorded_at=update.recorded_at,
                stage=update.stage,
                rag=update.rag,
                commentary=update.commentary,
                corrective_action=update.corrective_action,
            )
    session.flush()
    return copy


def refresh(session: Session, source: Plan, **overrides):
    arguments = (
        dict(
            source=source,
            new_slug="reduced-offending-2018-21-rebuilt",
            title="Staffordshire Strategic Framework for Reduced Offending 2018-21",
            short_title="Reduced Offending 2018-21",
            period_start=date(2018, 4, 1),
            period_end=date(2021, 3, 31),
            themes=NEW_THEMES,
            theme_mapping=MAPPING,
            refresh_date=REFRESH_DATE,
            due_rule=DueRule.first_year,
        )
        | overrides
    )
    return plan_refresh(session, **arguments)


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Plan, Theme, Action, ActionPartner, StatusUpdate, AuditEvent)
    }


def carried_summary(session: Session, plan: Plan) -> dict[str, tuple]:
    """ref -> (title, lead organisation, lead person, theme, original's plan slug and ref)."""
    rows = session.exec(
        select(Action, Theme.title)
        .join(Theme, Theme.id == Action.theme_id)
        .where(Action.plan_id == plan.id, Action.carried_forward_from_id.is_not(None))
    ).all()
    summary = {}
    for action, theme_title in rows:
        original = session.get(Action, action.carried_forward_from_id)
        summary[action.ref] = (
            action.title,
            action.lead_organisation_id,
            action.lead_person_id,
            theme_title,
            original.ref,
        )
    return summary


def partners_of(session: Session, action_id: int) -> set[int]:
    return set(
        session.exec(
            select(ActionPartner.organisation_id).where(ActionPartner.action_id == action_id)
        )
    )


def test_refresh_reproduces_the_demo_2018_21_framework(session):
    source = copy_of_2015_18_before_refresh(session)
    demo_successor = plan_by_slug(session, "reduced-offending-2018-21")

    # The office gave each carried action the due date the real 2018-21 Framework gave it.
    demo_due = {
        action.ref: action.due_date
        for action in session.exec(
            select(Action).where(
                Action.plan_id == demo_successor.id, Action.carried_forward_from_id.is_not(None)
            )
        )
    }
    preview = refresh(session, source, due_rule=None, due_dates=demo_due)
    assert len(preview.carried) == 11
    assert preview.left_behind == []
    new_plan = apply_refresh(session, preview)

    expected = carried_summary(session, demo_successor)
    assert len(expected) == 11
    assert carried_summary(session, new_plan) == expected
    # Same order as the demo lists them: by new theme, then as the old plan listed them.
    ordered = session.exec(
        select(Action.ref).where(Action.plan_id == new_plan.id).order_by(Action.position)
    ).all()
    demo_ordered = session.exec(
        select(Action.ref)
        .where(Action.plan_id == demo_successor.id, Action.carried_forward_from_id.is_not(None))
        .order_by(Action.position)
    ).all()
    assert ordered == demo_ordered

    assert new_plan.predecessor_id == source.id
    themes = session.exec(
        select(Theme).where(Theme.plan_id == new_plan.id).order_by(Theme.position)
    ).all()
    demo_themes = session.exec(
        select(Theme).where(Theme.plan_id == demo_successor.id).order_by(Theme.position)
    ).all()
    assert [(t.title, t.delivery_group_id) for t in themes] == [
        (t.title, t.delivery_group_id) for t in demo_themes
    ]

    for copy in session.exec(select(Action).where(Action.plan_id == new_plan.id)):
        original = session.get(Action, copy.carried_forward_from_id)
        assert original.plan_id == source.id
        assert (copy.description, copy.start_date) == (original.description, original.start_date)
        # A new due date, and no timescale label: the original's named the old date.
        assert (copy.due_date, copy.due_label) == (demo_due[copy.ref], "")
        assert original.due_date < REFRESH_DATE <= copy.due_date
        assert partners_of(session, copy.id) == partners_of(session, original.id)
        # The history stays with the original, which now ends "carried forward" on the date.
        history = session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.action_id == original.id)
            .order_by(StatusUpdate.effective_on, StatusUpdate.recorded_at)
        ).all()
        assert history[-1].stage == Stage.carried_forward
        assert history[-1].effective_on == REFRESH_DATE
        before = history[-2]
        (first,) = session.exec(select(StatusUpdate).where(StatusUpdate.action_id == copy.id))
        assert first.effective_on == REFRESH_DATE
        assert (first.stage, first.rag) == (before.stage, before.rag)
        assert first.commentary.startswith(
            f"Carried forward from Reducing Offending 2015-18 ({original.ref})."
        )
        assert before.commentary in first.commentary

    # The copy of 2015-18 now reads as the demo plan does on the refresh date.
    rebuilt = progress_as_at(session=session, plan=source, as_at=REFRESH_DATE)
    demo = progress_as_at(
        session=session,
        plan=plan_by_slug(session, "reducing-offending-2015-18"),
        as_at=REFRESH_DATE,
    )
    assert (rebuilt.complete, rebuilt.carried_forward, rebuilt.in_progress) == (42, 11, 0)
    assert (demo.complete, demo.carried_forward, demo.in_progress) == (42, 11, 0)


def test_a_rerun_refresh_creates_nothing(session):
    source = copy_of_2015_18_before_refresh(session)
    apply_refresh(session, refresh(session, source))
    counts = row_counts(session)

    again = refresh(session, source)
    assert again.existing_plan_id is not None
    assert again.carried == []
    assert sorted(again.already_carried) == sorted(
        session.exec(
            select(Action.ref)
            .where(
                Action.plan_id == source.id,
            )
            .where(Action.id.in_(select(Action.carried_forward_from_id)))
        ).all()
    )
    assert len(again.already_carried) == 11
    assert again.changes_nothing
    apply_refresh(session, again)
    assert row_counts(session) == counts


def test_the_seeded_refresh_is_already_made(session):
    """Refreshing the demo plan into its demo successor finds nothing left to do."""
    preview = refresh(
        session,
        plan_by_slug(session, "reducing-offending-2015-18"),
        new_slug="reduced-offending-2018-21",
    )
    assert preview.changes_nothing
    assert len(preview.already_carried) == 11
    counts = row_counts(session)
    apply_refresh(session, preview)
    assert row_counts(session) == counts


def test_a_split_sends_one_action_elsewhere_and_a_retired_theme_leaves_actions_behind(session):
    source = copy_of_2015_18_before_refresh(session)
    preview = refresh(
        session,
        source,
        theme_mapping={"Prevention": PREVENTION_EI, "Diversion": None, OMRR: OMRR},
        action_overrides={"D4": OMRR},
    )
    by_ref = {action.ref: action for action in preview.carried}
    assert by_ref["D4"].new_theme == OMRR
    assert {a.ref for a in preview.left_behind} == {"D5", "D6"}
    assert "retired" in preview.left_behind[0].reason
    plan = apply_refresh(session, preview)
    assert len(carried_summary(session, plan)) == 9
    again = refresh(
        session,
        source,
        theme_mapping={"Prevention": PREVENTION_EI, "Diversion": None, OMRR: OMRR},
        action_overrides={"D4": OMRR},
    )
    assert again.changes_nothing and len(again.already_carried) == 9
    d5 = session.exec(select(Action).where(Action.plan_id == source.id, Action.ref == "D5")).one()
    latest = latest_updates_as_at(session=session, plan_id=source.id, as_at=REFRESH_DATE)
    assert latest[d5.id].stage == Stage.in_progress  # left behind, not marked carried forward


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"theme_mapping": MAPPING | {"Diversionn": PREVENTION_EI}},
            "the mapping names theme 'Diversionn', which reducing-offending-2015-18-copy does not "
            "have",
        ),
        (
            {"theme_mapping": MAPPING | {"Diversion": "Early Help"}},
            "theme 'Diversion' is mapped to 'Early Help', which is not one of the new themes",
        ),
        (
            {"theme_mapping": {"Prevention": PREVENTION_EI, OMRR: OMRR}},
            "theme 'Diversion' has outstanding actions (D4, D5, D6): map it to a new theme or "
            "retire it",
        ),
        (
            {"new_slug": "managing-offenders-2018-21"},
            "a plan with slug 'managing-offenders-2018-21' already exists and is not the successor",
        ),
        ({"new_slug": "Reduced Offending"}, "'Reduced Offending' is not a slug"),
        ({"period_end": date(2017, 3, 31)}, "the period ends (2017-03-31) before it starts"),
        (
            {"themes": [NewTheme(PREVENTION_EI, "Early Help Board"), NewTheme(OMRR)]},
            "unknown delivery group 'Early Help Board'",
        ),
        (
            {"themes": [PREVENTION_EI, PREVENTION_EI, OMRR]},
            f"theme '{PREVENTION_EI}' is listed twice",
        ),
        ({"action_overrides": {"Z9": OMRR}}, "reducing-offending-2015-18-copy has no action 'Z9'"),
        ({"action_overrides": {"P1": OMRR}}, "action P1 is complete as at 2018-04-01"),
        (
            {"refresh_date": date(2018, 1, 1)},
            "after the refresh date 2018-01-01: choose a later refresh date",
        ),
        (
            {"due_rule": None},
            "choose a rule for the new due dates, or give one for each carried-forward action "
            "(no new due date for P3, P6, D4, D5, D6, OM1, OM2, OM3, OM6, OM7, OM8)",
        ),
        (
            {"due_rule": None, "due_dates": {"P3": date(2018, 6, 30), "OM8": date(2019, 3, 31)}},
            "(no new due date for P6, D4, D5, D6, OM1, OM2, OM3, OM6, OM7)",
        ),
        (
            {"due_rule": "end-of-time"},
            "'end-of-time' is not a rule for the new due dates (the rules: first-year, "
            "period-end, keep)",
        ),
        (
            {"due_rule": DueRule.keep},
            "the due dates of P3, P6, D4, D5, D6, OM1, OM2, OM3, OM6, OM7, OM8 are before the "
            "refresh date 2018-04-01 and a passed date cannot be kept: give them new due dates or "
            "choose another rule",
        ),
        (
            {"due_dates": {"P3": date(2018, 3, 31)}},
            "the new due date of P3 is before the refresh date 2018-04-01: the successor would "
            "start with overdue actions",
        ),
        (
            {"due_dates": {"P3": date(2021, 4, 1), "D4": date(2022, 1, 1)}},
            "the new due dates of P3, D4 are after the new period ends (2021-03-31)",
        ),
        (
            {"due_dates": {"P1": date(2018, 6, 30)}},
            "a new due date is given for action P1, which is not carried forward",
        ),
        (
            {"due_dates": {"Z9": date(2018, 6, 30)}},
            "a new due date is given for action 'Z9', which reducing-offending-2015-18-copy does "
            "not have",
        ),
    ],
    ids=[
        "unknown old theme",
        "unknown new theme",
        "unmapped theme",
        "slug taken",
        "bad slug",
        "period reversed",
        "unknown delivery group",
        "theme twice",
        "unknown ref",
        "complete action",
        "refresh date before updates",
        "no due rule",
        "some due dates",
        "unknown due rule",
        "kept dates passed",
        "due date passed",
        "due after period",
        "due date for a complete action",
        "due date for an unknown ref",
    ],
)
def test_a_failing_refresh_says_why_and_writes_nothing(session, overrides, message):
    source = copy_of_2015_18_before_refresh(session)
    counts = row_counts(session)
    with pytest.raises(RefreshError) as raised:
        refresh(session, source, **overrides)
    assert message in str(raised.value)
    if "due" in message:
        assert raised.value.field == "due_dates"
    assert row_counts(session) == counts


# --- New due dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (date(2021, 4, 1), date(2024, 3, 31), date(2022, 3, 31)),
        (date(2021, 4, 1), date(2021, 12, 31), date(2021, 12, 31)),  # a period under a year
        (date(2024, 2, 29), date(2027, 2, 28), date(2025, 2, 28)),
        (date(2021, 1, 1), date(2023, 12, 31), date(2021, 12, 31)),
    ],
)
def test_the_first_year_ends_the_day_before_the_anniversary(start, end, expected):
    assert end_of_first_year(start, end) == expected


@pytest.mark.parametrize(
    "rule, expected",
    [(DueRule.first_year, date(2019, 3, 31)), (DueRule.period_end, date(2021, 3, 31))],
)
def test_a_rule_gives_every_carried_action_its_new_due_date(session, rule, expected):
    source = copy_of_2015_18_before_refresh(session)
    originals = {
        action.ref: action
        for action in session.exec(select(Action).where(Action.plan_id == source.id))
    }
    preview = refresh(session, source, due_rule=rule)
    assert len(preview.carried) == 11
    for item in preview.carried:
        original = originals[item.ref]
        assert (item.original_due_date, item.original_due_label) == (
            original.due_date,
            original.due_label,
        )
        assert item.new_due_date == expected and item.due_changed
    p3 = originals["P3"]
    lines = preview.describe()
    assert (
        f"      due {p3.due_date.isoformat()} ({p3.due_label}) -> {expected.isoformat()}" in lines
    )

    plan = apply_refresh(session, preview)
    copies = session.exec(select(Action).where(Action.plan_id == plan.id)).all()
    assert {(copy.due_date, copy.due_label) for copy in copies} == {(expected, "")}


def test_a_date_given_for_one_action_overrides_the_rule(session):
    source = copy_of_2015_18_before_refresh(session)
    preview = refresh(
        session,
        source,
        due_dates={"P3": date(2018, 9, 30), " OM8 ": REFRESH_DATE},
    )
    due = {item.ref: item.new_due_date for item in preview.carried}
    assert due.pop("P3") == date(2018, 9, 30)
    assert due.pop("OM8") == REFRESH_DATE  # due on the first day is not overdue on it
    assert set(due.values()) == {date(2019, 3, 31)}


def test_the_successor_has_no_overdue_action_on_its_first_day(session):
    source = copy_of_2015_18_before_refresh(session)
    # Without new due dates the copies would all be overdue on the first day: the originals are.
    assert plan_snapshot(session=session, plan=source, as_at=REFRESH_DATE).counts.overdue == 11
    plan = apply_refresh(
        session,
        refresh(
            session,
            source,
            due_rule=None,
            due_dates=dict.fromkeys(
                ["P3", "P6", "D4", "D5", "D6", "OM1", "OM2", "OM3", "OM6", "OM7", "OM8"],
                REFRESH_DATE,
            ),
        ),
    )
    first_day = plan_snapshot(session=session, plan=plan, as_at=REFRESH_DATE).counts
    assert (first_day.total, first_day.overdue) == (11, 0)
    # The next day they are: the date given was the refresh date itself.
    assert plan_snapshot(session=session, plan=plan, as_at=date(2018, 4, 2)).counts.overdue == 11


def test_keep_keeps_a_date_still_ahead_with_its_label(session):
    plan = make_plan(session, period_start=date(2020, 4, 1), period_end=date(2023, 3, 31))
    theme = make_theme(session, plan, title="Early help")
    ahead = make_action(
        session, plan, theme, ref="E1", due_date=date(2021, 9, 30), due_label="Q2 2021/22"
    )
    passed = make_action(session, plan, theme, ref="E2", due_date=date(2021, 3, 31))
    for action in (ahead, passed):
        make_update(session, action, effective_on=date(2020, 6, 30), rag="amber")
    arguments = dict(
        source=plan,
        new_slug="early-help-2021-24",
        title="Early help 2021-24",
        short_title="Early help 2021-24",
        period_start=date(2021, 4, 1),
        period_end=date(2024, 3, 31),
        themes=["Early help"],
        theme_mapping={"Early help": "Early help"},
        refresh_date=date(2021, 4, 1),
        due_rule="keep",
    )
    with pytest.raises(RefreshError) as raised:
        plan_refresh(session, **arguments)
    assert "the due date of E2 is before the refresh date 2021-04-01" in str(raised.value)

    preview = plan_refresh(session, **arguments, due_dates={"E2": date(2021, 6, 30)})
    assert "      due 2021-09-30 (Q2 2021/22) -> unchanged" in preview.describe()
    successor = apply_refresh(session, preview)
    copies = {
        action.ref: (action.due_date, action.due_label)
        for action in session.exec(select(Action).where(Action.plan_id == successor.id))
    }
    assert copies == {"E1": (date(2021, 9, 30), "Q2 2021/22"), "E2": (date(2021, 6, 30), "")}


def test_a_rerun_needs_no_due_dates_and_takes_the_first_run_s_again(session):
    source = copy_of_2015_18_before_refresh(session)
    apply_refresh(session, refresh(session, source, due_dates={"P3": date(2018, 9, 30)}))
    # Nothing is left to carry: no rule needed, and the same confirm form again is no error.
    assert refresh(session, source, due_rule=None).changes_nothing
    assert refresh(
        session, source, due_rule=None, due_dates={"P3": date(2018, 9, 30)}
    ).changes_nothing


# --- The command ------------------------------------------------------------------------------


REFRESH_ARGUMENTS = [
    "plan",
    "refresh",
    "--from",
    "reducing-offending-2015-18",
    "--to",
    "ro-2018-21-dry-run",
    "--title",
    "Reduced Offending 2018-21",
    "--start",
    "2018-04-01",
    "--end",
    "2021-03-31",
    "--theme",
    PREVENTION_EI,
    "--theme",
    OMRR,
    "--delivery-group",
    f"{PREVENTION_EI}=Prevention/Early Intervention Group",
    "--map",
    f"Prevention={PREVENTION_EI}",
    "--map",
    f"Diversion={PREVENTION_EI}",
    "--map",
    f"{OMRR}={OMRR}",
]


def test_the_command_previews_a_refresh(plantrack):
    result = plantrack(*REFRESH_ARGUMENTS, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Refresh reducing-offending-2015-18 into ro-2018-21-dry-run (a new plan)" in (
        result.stdout
    )
    assert "Carried forward before this refresh, not carried again (11)" in result.stdout
    assert result.stdout.rstrip().endswith("Dry run: nothing was written.")


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            ["--map", "Diversionn=Prevention/Early Intervention"],
            "Error: the mapping names theme 'Diversionn'",
        ),
        (["--start", "01/04/2018"], "Error: --start: '01/04/2018' is not a date in the form"),
        (["--map", "Prevention"], "Error: --map 'Prevention' should be of the form LEFT=RIGHT"),
    ],
    ids=["unknown theme", "bad date", "bad mapping"],
)
def test_the_command_refuses_bad_input_in_one_line(plantrack, extra, message):
    result = plantrack(*REFRESH_ARGUMENTS, *extra)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(message), result.stderr
