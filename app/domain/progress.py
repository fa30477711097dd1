"""A plan's progress as at a date, overall and per theme, and the headline sentence.

The figures are a plan snapshot's (app/domain/snapshot.py, where "scheduled" and "overdue" are
defined); this module gives them the shape pages, the API and the command line show.
"""

from datetime import date

from sqlmodel import Session, select

from app.core.models import Plan
from app.domain.snapshot import Counts, PlanSnapshot, plan_snapshot
from app.domain.timescales import uk_date


class ThemeProgress(Counts):
    theme_id: int
    position: int
    title: str


class PlanProgress(Counts):
    plan: str
    title: str
    as_at: date
    rag_scheme: str
    headline: str
    by_theme: list[ThemeProgress]


def _actions(n: int) -> str:
    return f"{n} action" if n == 1 else f"{n} actions"


def headline(counts: Counts | dict, as_at: date) -> str:
    """The sentence a Panel report opens with, computed, never typed."""
    c = counts if isinstance(counts, dict) else counts.model_dump()
    by = uk_date(as_at)
    scheduled = c["scheduled"]
    if scheduled == 0:
        return f"No actions are scheduled for delivery by {by}."
    verb = "has" if c["complete"] == 1 else "have"
    sentence = (
        f"Of the {_actions(scheduled)} scheduled for delivery by {by}, "
        f"{c['complete']} ({c['percent_complete']}%) {verb} been completed"
    )
    rest = [
        f"{c[key]} {label}"
        for key, label in (
            ("in_progress", "in progress"),
            ("carried_forward", "carried forward"),
            ("not_started", "not started"),
        )
        if c[key]
    ]
    if rest:
        joined = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1]
        sentence += f", with a further {joined}"
    sentence += "."
    if c["overdue"]:
        were = "is" if c["overdue"] == 1 else "are"
        sentence += f" {_actions(c['overdue'])} {were} overdue."
    return sentence


def progress_as_at(*, session: Session, plan: Plan, as_at: date) -> PlanProgress:
    """Three queries whatever the number of actions: themes, actions, latest updates."""
    return progress_from_snapshot(plan_snapshot(session=session, plan=plan, as_at=as_at))


def progress_from_snapshot(snapshot: PlanSnapshot) -> PlanProgress:
    """The progress of a plan snapshot already taken: no queries."""
    plan, as_at = snapshot.plan, snapshot.as_at
    return PlanProgress(
        plan=plan.slug,
        title=plan.title,
        as_at=as_at,
        rag_scheme=plan.rag_scheme,
        headline=headline(snapshot.counts, as_at),
        by_theme=[
            ThemeProgress(
                theme_id=theme.id,
                position=theme.position,
                title=theme.title,
                **snapshot.counts_by_theme[theme.id].model_dump(),
            )
            for theme in snapshot.themes
        ],
        **snapshot.counts.model_dump(),
    )


def get_plan(*, session: Session, slug: str) -> Plan | None:
    return session.exec(select(Plan).where(Plan.slug == slug)).first()
