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
from app.domain.refresh import NewTheme, RefreshError, apply_refresh, plan_refresh
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

    preview = refresh(session, source)
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
        assert (copy.description, copy.due_date, copy.due_label, copy.start_date) == (
            original.description,
            original.due_date,
            original.due_label,
            original.start_date,
        )
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
    ],
)
def test_a_failing_refresh_says_why_and_writes_nothing(session, overrides, message):
    source = copy_of_2015_18_before_refresh(session)
    counts = row_counts(session)
    with pytest.raises(RefreshError) as raised:
        refresh(session, source, **overrides)
    assert message in str(raised.value)
    assert row_counts(session) == counts


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
