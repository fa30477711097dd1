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
    ratings_label: str  # "Ratings of the 11 actions in progress that are due"
    later_ratings_label: str
    by_theme: list[ThemeProgress]


def _actions(n: int) -> str:
    return f"{n} action" if n == 1 else f"{n} actions"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _red(n: int) -> str:
    return f" ({n} Red)" if n else ""


def headline(counts: Counts | dict, as_at: date) -> str:
    """The sentence every report opens with, computed, never typed: the Panel's sentence for the
    actions due by the date, then what is due later in the plan. Red is named wherever an action
    in progress is rated Red, due or not."""
    c = counts if isinstance(counts, dict) else counts.model_dump()
    by = uk_date(as_at)
    scheduled = c["scheduled"]
    if scheduled == 0:
        sentence = f"No actions are scheduled for delivery by {by}."
    else:
        verb = "has" if c["complete"] == 1 else "have"
        sentence = (
            f"Of the {_actions(scheduled)} scheduled for delivery by {by}, "
            f"{c['complete']} ({c['percent_complete']}%) {verb} been completed"
        )
        red = (c.get("rag") or {}).get("red", 0)
        rest = [
            f"{c[key]} {label}" + (_red(red) if key == "in_progress" else "")
            for key, label in (
                ("in_progress", "in progress"),
                ("carried_forward", "carried forward"),
                ("not_started", "not started"),
            )
            if c[key]
        ]
        if rest:
            sentence += f", with a further {_join(rest)}"
        sentence += "."
    if c["overdue"]:
        were = "is" if c["overdue"] == 1 else "are"
        sentence += f" {_actions(c['overdue'])} {were} overdue."
    later = _due_later(c, further=scheduled > 0)
    return f"{sentence} {later}" if later else sentence


def _due_later(c: dict, *, further: bool) -> str:
    """ "A further 13 actions are due later in the plan, all 13 in progress (1 Red)." or, mixed,
    "...: 2 already completed, 10 in progress (1 Red) and 1 not started."; "" when none are."""
    n = c.get("not_yet_due", 0)
    if not n:
        return ""
    red = (c.get("later_rag") or {}).get("red", 0)
    stages = [
        (c.get(f"later_{key}", 0), label)
        for key, label in (
            ("complete", "already completed"),
            ("in_progress", "in progress" + _red(red)),
            ("carried_forward", "carried forward"),
            ("not_started", "not started"),
        )
    ]
    stages = [(count, label) for count, label in stages if count]
    are = "is" if n == 1 else "are"
    subject = f"A further {_actions(n)}" if further else _actions(n).capitalize()
    opening = f"{subject} {are} due later in the plan"
    if len(stages) == 1:
        label = stages[0][1]
        return f"{opening}, {label}." if n == 1 else f"{opening}, all {n} {label}."
    return f"{opening}: {_join([f'{count} {label}' for count, label in stages])}."


def ratings_label(counts: Counts, *, later: bool = False) -> str:
    """What a rating summary counts, with the number it adds up to: "Ratings of the 11 actions
    in progress that are due" (beside the stage counts), or of those due later."""
    n = counts.later_in_progress if later else counts.in_progress
    are = "is" if n == 1 else "are"
    return f"Ratings of the {_actions(n)} in progress that {are} due" + (" later" if later else "")


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
        ratings_label=ratings_label(snapshot.counts),
        later_ratings_label=ratings_label(snapshot.counts, later=True),
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
