"""Small explicit builders for test data: make_x(session, **overrides)."""

import itertools
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from app.core.models import Action, Organisation, Plan, StatusUpdate, Theme

_sequence = itertools.count(1)


def make_plan(session: Session, **overrides) -> Plan:
    n = next(_sequence)
    values = (
        dict(
            slug=f"test-plan-{n}",
            title=f"Test plan {n}",
            short_title=f"Test {n}",
            period_start=date(2020, 4, 1),
            period_end=date(2023, 3, 31),
            status="active",
        )
        | overrides
    )
    plan = Plan(**values)
    session.add(plan)
    session.flush()
    return plan


def make_theme(session: Session, plan: Plan, **overrides) -> Theme:
    n = next(_sequence)
    theme = Theme(**(dict(plan_id=plan.id, position=n, title=f"Theme {n}") | overrides))
    session.add(theme)
    session.flush()
    return theme


def make_organisation(session: Session, **overrides) -> Organisation:
    n = next(_sequence)
    organisation = Organisation(
        **(dict(short_name=f"ORG{n}", name=f"Organisation {n}") | overrides)
    )
    session.add(organisation)
    session.flush()
    return organisation


def make_action(session: Session, plan: Plan, theme: Theme, **overrides) -> Action:
    n = next(_sequence)
    values = (
        dict(
            plan_id=plan.id,
            theme_id=theme.id,
            ref=f"A{n}",
            position=n,
            title=f"Action {n}",
            due_date=date(2021, 3, 31),
        )
        | overrides
    )
    action = Action(**values)
    session.add(action)
    session.flush()
    return action


def make_update(session: Session, action: Action, **overrides) -> StatusUpdate:
    effective = overrides.pop("effective_on", date(2020, 6, 30))
    values = (
        dict(
            action_id=action.id,
            effective_on=effective,
            recorded_at=datetime.combine(effective, time(12), tzinfo=UTC),
            stage="in_progress",
        )
        | overrides
    )
    update = StatusUpdate(**values)
    session.add(update)
    session.flush()
    return update


def build_plan(session, n_actions: int) -> Plan:
    """A plan of n actions in five themes, each with an update and a third complete: for
    checking that statement counts do not grow with the plan."""
    plan = make_plan(session)
    themes = [make_theme(session, plan) for _ in range(5)]
    for i in range(n_actions):
        action = make_action(session, plan, themes[i % 5], due_date=date(2021, 1, 1))
        make_update(session, action, effective_on=date(2020, 6, 1), rag="green")
        if i % 3 == 0:
            make_update(session, action, effective_on=date(2020, 9, 1), stage="complete")
    return plan


def someone_else_can_write(engine) -> str:
    """Whether another connection can write right now, without waiting: "free to write", or
    the database's complaint. SQLite: take its database-wide write lock. PostgreSQL: insert a
    sign-in attempt with a lock timeout of 200 ms (a writer blocked by table locks would wait)."""
    import sqlite3

    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return "free to write"
        except sqlite3.OperationalError as error:
            return str(error)
        finally:
            other.close()
    with engine.connect() as other:
        try:
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            other.execute(
                text(
                    "INSERT INTO sign_in_attempt (email, client_address, attempted_at, succeeded) "
                    "VALUES ('probe@plantrack.example', 'probe', now(), false)"
                )
            )
            return "free to write"
        except Exception as error:  # noqa: BLE001 - the complaint is the answer
            return str(error)
        finally:
            other.rollback()
