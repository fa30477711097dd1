"""A plan's progress as at a date, overall and per theme, and the headline sentence.

"Scheduled for delivery by D" means due on or before D (withdrawn actions are no longer
scheduled). The stages of the scheduled actions add up to the scheduled count; "overdue" is the
subset of them whose due date has passed without completion.
"""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlmodel import Session, select

from app.core.models import Plan, Stage, Theme
from app.domain.rag import allowed_rags
from app.domain.status import ActionStatus, statuses_as_at
from app.domain.timescales import uk_date


def percent(part: int, whole: int) -> int | None:
    """A whole-number percentage rounded half up (never banker's rounding); None of nothing."""
    if whole == 0:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


class Counts(BaseModel):
    total: int = 0
    scheduled: int = 0
    complete: int = 0
    in_progress: int = 0
    not_started: int = 0
    carried_forward: int = 0
    overdue: int = 0
    withdrawn: int = 0
    not_yet_due: int = 0
    percent_complete: int | None = None
    rag: dict[str, int] = {}
    not_rated: int = 0


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


def count(statuses: Iterable[ActionStatus], *, as_at: date, scheme: str) -> dict:
    counts = Counts(rag={key: 0 for key in allowed_rags(scheme)}).model_dump()
    for status in statuses:
        counts["total"] += 1
        stage = status.stage
        if stage == Stage.in_progress:
            if status.rag in counts["rag"]:
                counts["rag"][status.rag] += 1
            else:
                counts["not_rated"] += 1
        if stage == Stage.withdrawn:
            counts["withdrawn"] += 1
            continue
        if status.action.due_date > as_at:
            counts["not_yet_due"] += 1
            continue
        counts["scheduled"] += 1
        counts[stage.value] += 1
        if status.is_overdue(as_at):
            counts["overdue"] += 1
    counts["percent_complete"] = percent(counts["complete"], counts["scheduled"])
    return counts


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
    themes = session.exec(
        select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position)
    ).all()
    statuses = statuses_as_at(session=session, plan_id=plan.id, as_at=as_at)
    by_theme: dict[int, list[ActionStatus]] = {theme.id: [] for theme in themes}
    for status in statuses:
        by_theme[status.action.theme_id].append(status)
    overall = count(statuses, as_at=as_at, scheme=plan.rag_scheme)
    return PlanProgress(
        plan=plan.slug,
        title=plan.title,
        as_at=as_at,
        rag_scheme=plan.rag_scheme,
        headline=headline(overall, as_at),
        by_theme=[
            ThemeProgress(
                theme_id=theme.id,
                position=theme.position,
                title=theme.title,
                **count(by_theme[theme.id], as_at=as_at, scheme=plan.rag_scheme),
            )
            for theme in themes
        ],
        **overall,
    )


def get_plan(*, session: Session, slug: str) -> Plan | None:
    return session.exec(select(Plan).where(Plan.slug == slug)).first()
