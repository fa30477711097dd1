"""The one-page highlight report a board reads each quarter, drafted from the data.

Its text sections (activity since the last report, planned activity) are drafted from the
recorded updates and may be edited by the office before publishing; its figures (headline, RAG
summary, change since the last report, indicators) are computed and cannot be edited.
"""

import calendar
import re
from datetime import UTC, date, datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from app.core.models import Action, Board, Meeting, Milestone, Outcome, Plan, Stage, StatusUpdate
from app.domain.as_at import Comparison, comparison
from app.domain.cycle import board_meetings
from app.domain.progress import headline
from app.domain.rag import RAG_LABELS, SCHEME_NAMES, STAGE_LABELS, ratings
from app.domain.snapshot import Counts, PlanSnapshot, comparison_at, plan_snapshot
from app.domain.timescales import uk_date
from app.domain.trajectory import Trajectory, read_trajectory
from app.reports.appendix import RatingRule
from app.reports.indicators import IndicatorSection, build_indicator_sections


class TextSection(BaseModel):
    key: str
    heading: str
    items: list[str]


class MilestoneRow(BaseModel):
    when: str
    due_date: date
    title: str
    achieved_on: date | None
    overdue: bool


class StatusRow(BaseModel):
    """Enough of each action to compare one report with another."""

    ref: str
    title: str
    stage: str
    rag: str | None
    overdue: bool


class HighlightReport(BaseModel):
    kind: str = "highlight"
    title: str
    plan_slug: str
    plan_title: str
    board: str
    meeting_title: str
    meeting_date: date | None
    as_at: date
    since: date
    since_basis: str = ""  # why that date: see app/domain/as_at.py
    next_report: date
    produced_at: datetime
    strategic_outcomes: list[str]
    headline: str
    rag_scheme_name: str
    rag_rules: list[RatingRule]
    totals: Counts
    previous_totals: Counts
    changes: list[str]
    sections: list[TextSection]
    milestones_ahead: list[MilestoneRow]
    milestones_more: int = 0  # milestones ahead beyond those listed (see the appendix)
    indicators: list[IndicatorSection]
    actions: list[StatusRow]
    # Actions due and completed by each meeting of the plan's board (None in reports published
    # before it was drawn).
    trajectory: Trajectory | None = None

    @property
    def as_at_text(self) -> str:
        return uk_date(self.as_at)

    @property
    def comparison_sentence(self) -> str:
        if not self.since_basis:
            return f"Changes and direction of travel are measured since {uk_date(self.since)}."
        return Comparison(self.since, self.since_basis).sentence

    def section(self, key: str) -> TextSection:
        return next(section for section in self.sections if section.key == key)


def month_label(day: date) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"


def _window(
    session: Session, plan: Plan, meeting: Meeting | None, as_at: date
) -> tuple[date, str, date]:
    """(previous report, why that date, next report) around a meeting or an as-at date: the
    previous report by the one rule of app/domain/as_at.py (the board's meeting before), the next
    the board's meeting after (three months on when there is none)."""
    board_id = meeting.board_id if meeting else plan.board_id
    held_on = meeting.held_on if meeting else as_at
    compared = comparison(session, plan, held_on, board_id=board_id)
    meetings = board_meetings(session, board_id=board_id) if board_id else []
    later = [m.held_on for m in meetings if m.held_on > held_on]
    return compared.since, compared.basis, later[0] if later else _add_months(as_at, 3)


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def describe_changes(previous: list[StatusRow], current: list[StatusRow], scheme: str) -> list[str]:
    """Plain sentences: "3 more actions complete"; "2 moved from Amber to Red"."""
    before = {row.ref: row for row in previous}
    completed = [
        r
        for r in current
        if r.stage == Stage.complete and before.get(r.ref) and before[r.ref].stage != Stage.complete
    ]
    moves: dict[tuple[str, str], int] = {}
    for row in current:
        old = before.get(row.ref)
        if old and old.rag and row.rag and old.rag != row.rag:
            moves[(old.rag, row.rag)] = moves.get((old.rag, row.rag), 0) + 1
    newly_overdue = [
        r for r in current if r.overdue and not (before.get(r.ref) and before[r.ref].overdue)
    ]
    started = [
        r
        for r in current
        if r.stage == Stage.in_progress
        and before.get(r.ref)
        and before[r.ref].stage == Stage.not_started
    ]
    order = {rule.key: i for i, rule in enumerate(ratings(scheme))}
    sentences = []
    if completed:
        sentences.append(
            f"{len(completed)} more action{'s' if len(completed) != 1 else ''} complete"
        )
    if started:
        sentences.append(f"{len(started)} action{'s' if len(started) != 1 else ''} started")
    for (old, new), n in sorted(
        moves.items(), key=lambda item: (order.get(item[0][0], 9), order.get(item[0][1], 9))
    ):
        sentences.append(f"{n} moved from {RAG_LABELS[old]} to {RAG_LABELS[new]}")
    if newly_overdue:
        sentences.append(f"{len(newly_overdue)} newly overdue")
    return sentences or ["No change in stage or rating since the last report"]


def _status_rows(snapshot: PlanSnapshot) -> list[StatusRow]:
    return [
        StatusRow(
            ref=s.action.ref,
            title=s.action.title,
            stage=s.stage.value,
            rag=s.rag,
            overdue=s.is_overdue(snapshot.as_at),
        )
        for s in snapshot.statuses
    ]


ACTIVITY_LINES = 10
PLANNED_LINES = 8
MILESTONES_AHEAD = 6
TITLE_CHARS = 90
COMMENTARY_CHARS = 160
CLOSED_STAGES = (Stage.complete, Stage.withdrawn, Stage.carried_forward)


def trimmed(text: str, limit: int) -> str:
    """The first sentence of ``text`` (its first line, at least), cut at a word to ``limit``
    characters with an ellipsis."""
    text = " ".join(text.split())
    sentence = re.match(r"(.+?[.!?])(\s|$)", text)
    text = sentence.group(1) if sentence else text
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def _named(action: Action) -> str:
    return f"{action.ref} {trimmed(action.title, TITLE_CHARS).rstrip('.')}"


def capped(lines: list[str], limit: int, where: str) -> list[str]:
    """At most ``limit`` lines: the first ``limit - 1`` and "and N more" when there are more."""
    if len(lines) <= limit:
        return lines
    shown = lines[: limit - 1]
    return [*shown, f"and {len(lines) - len(shown)} more {where}"]


def activity_lines(
    updates: list[StatusUpdate],
    actions: dict[int, Action],
    *,
    rows: list[StatusRow],
    previous_rows: list[StatusRow],
    achieved: list[Milestone],
) -> list[str]:
    """One line per action updated in the window (its latest update), then each milestone
    achieved in it, most significant first: completed, turned Red, changed rating, milestone
    achieved, then the rest; at most ACTIVITY_LINES, the rest counted ("and N more in the
    appendix")."""
    latest: dict[int, StatusUpdate] = {}
    for update in updates:  # in effective order: the last one seen is the latest
        latest[update.action_id] = update
    now = {row.ref: row for row in rows}
    before = {row.ref: row for row in previous_rows}
    ranked: list[tuple[int, tuple, str]] = []
    for action_id, update in latest.items():
        action = actions[action_id]
        row, old = now.get(action.ref), before.get(action.ref)
        stage = row.stage if row else update.stage
        rag, old_rag = (row.rag if row else update.rag), (old.rag if old else None)
        if stage == Stage.complete and not (old and old.stage == Stage.complete):
            rank, what = 0, "completed"
        elif rag == "red" and old_rag != "red":
            rank = 1
            what = f"now Red (was {RAG_LABELS[old_rag]})" if old_rag else "now Red"
        elif rag and old_rag and rag != old_rag:
            rank, what = 2, f"now {RAG_LABELS[rag]} (was {RAG_LABELS[old_rag]})"
        elif stage == Stage.in_progress and old and old.stage == Stage.not_started:
            rank = 4
            what = f"started ({RAG_LABELS[rag]})" if rag else "started"
        else:
            rank = 4
            what = STAGE_LABELS[Stage(stage)].lower() + (f", {RAG_LABELS[rag]}" if rag else "")
        commentary = trimmed(update.commentary, COMMENTARY_CHARS)
        line = f"{_named(action)}: {what}" + (f". {commentary}" if commentary else "")
        ranked.append((rank, (action.position, action.ref), line))
    for milestone in achieved:
        line = f"Milestone achieved {uk_date(milestone.achieved_on)}: " + trimmed(
            milestone.title, TITLE_CHARS + 40
        )
        ranked.append((3, (milestone.achieved_on, milestone.id), line))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return capped([line for _, _, line in ranked], ACTIVITY_LINES, "in the appendix")


def planned_lines(
    updates: list[StatusUpdate],
    actions: dict[int, Action],
    *,
    rows: list[StatusRow],
    milestones: list[Milestone],
    as_at: date,
    next_report: date,
) -> list[str]:
    """Each open action's latest next steps recorded in the window (one line per action), then
    the open actions and the milestones due before the next report; at most PLANNED_LINES."""
    stage = {row.ref: row.stage for row in rows}
    steps: dict[int, str] = {}
    for update in updates:  # in effective order: a later update's next steps win
        if update.next_steps.strip():
            steps[update.action_id] = update.next_steps
    lines = []
    for action_id, text in sorted(steps.items(), key=lambda kv: actions[kv[0]].position):
        action = actions[action_id]
        if stage.get(action.ref) in CLOSED_STAGES:
            continue
        due = (
            f" (due {action.due_label or uk_date(action.due_date)})"
            if (as_at < action.due_date <= next_report)
            else ""
        )
        lines.append(f"{_named(action)}{due}: {trimmed(text, COMMENTARY_CHARS)}")
    due_next = sorted(
        (
            a
            for a in actions.values()
            if as_at < a.due_date <= next_report
            and a.id not in steps
            and stage.get(a.ref) not in CLOSED_STAGES
        ),
        key=lambda a: (a.due_date, a.position),
    )
    lines += [f"{_named(a)}: due {a.due_label or uk_date(a.due_date)}" for a in due_next]
    lines += [
        f"Milestone: {trimmed(m.title, TITLE_CHARS + 40)} ({m.due_label or uk_date(m.due_date)})"
        for m in milestones
        if as_at < m.due_date <= next_report and not (m.achieved_on and m.achieved_on <= as_at)
    ]
    return capped(lines, PLANNED_LINES, "before the next report")


def build_highlight(
    session: Session,
    plan: Plan,
    meeting: Meeting | None = None,
    *,
    as_at: date | None = None,
    since: date | None = None,
    next_report: date | None = None,
    produced_at: datetime | None = None,
) -> HighlightReport:
    """The highlight report of a plan for a meeting (or between two dates)."""
    as_at = as_at or (meeting.held_on if meeting else date.today())
    window_since, since_basis, window_next = _window(session, plan, meeting, as_at)
    if since is not None and since != window_since:
        since_basis = "the date chosen for this report"
    since = since or window_since
    next_report = next_report or window_next
    board = (
        session.get(Board, meeting.board_id if meeting else plan.board_id)
        if (meeting or plan.board_id)
        else None
    )

    snapshot = plan_snapshot(session=session, plan=plan, as_at=as_at)
    previous = comparison_at(session=session, snapshot=snapshot, as_at=since)
    rows, previous_rows = _status_rows(snapshot), _status_rows(previous)
    totals, previous_totals = snapshot.counts, previous.counts
    actions = {action.id: action for action in snapshot.actions}

    recent = session.exec(
        select(StatusUpdate)
        .join(Action, Action.id == StatusUpdate.action_id)
        .where(
            Action.plan_id == plan.id,
            StatusUpdate.review_state == "approved",
            StatusUpdate.effective_on > since,
            StatusUpdate.effective_on <= as_at,
        )
        .order_by(StatusUpdate.effective_on, StatusUpdate.id)
    ).all()
    milestones = session.exec(
        select(Milestone)
        .where(Milestone.plan_id == plan.id)
        .order_by(Milestone.due_date, Milestone.id)
    ).all()
    achieved = [m for m in milestones if m.achieved_on and since < m.achieved_on <= as_at]
    activity = activity_lines(
        recent, actions, rows=rows, previous_rows=previous_rows, achieved=achieved
    )
    planned = planned_lines(
        recent, actions, rows=rows, milestones=milestones, as_at=as_at, next_report=next_report
    )
    month_start = as_at.replace(day=1)
    ahead = [
        MilestoneRow(
            when=m.due_label or month_label(m.due_date),
            due_date=m.due_date,
            title=m.title,
            achieved_on=m.achieved_on if m.achieved_on and m.achieved_on <= as_at else None,
            overdue=m.due_date < as_at and not (m.achieved_on and m.achieved_on <= as_at),
        )
        for m in milestones
        if m.due_date >= month_start
    ]
    ahead, milestones_more = ahead[:MILESTONES_AHEAD], max(0, len(ahead) - MILESTONES_AHEAD)
    outcomes = session.exec(
        select(Outcome.title).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
    ).all()
    return HighlightReport(
        title=f"Highlight report: {plan.title}",
        plan_slug=plan.slug,
        plan_title=plan.title,
        board=board.name if board else "",
        meeting_title=meeting.title if meeting else "",
        meeting_date=meeting.held_on if meeting else None,
        as_at=as_at,
        since=since,
        since_basis=since_basis,
        next_report=next_report,
        produced_at=produced_at or datetime.now(UTC).replace(microsecond=0),
        strategic_outcomes=list(outcomes),
        headline=headline(totals, as_at),
        rag_scheme_name=SCHEME_NAMES[plan.rag_scheme],
        rag_rules=[
            RatingRule(key=r.key, label=r.label, letter=r.letter, meaning=r.meaning)
            for r in ratings(plan.rag_scheme)
        ],
        totals=totals,
        previous_totals=previous_totals,
        changes=describe_changes(previous_rows, rows, plan.rag_scheme),
        sections=[
            TextSection(
                key="activity",
                heading="Activity since the last report",
                items=activity or ["No updates were recorded in this period."],
            ),
            TextSection(
                key="planned",
                heading="Planned before the next report",
                items=planned or ["Nothing is due before the next report."],
            ),
        ],
        milestones_ahead=ahead,
        milestones_more=milestones_more,
        indicators=build_indicator_sections(session, plan, as_at),
        trajectory=read_trajectory(session=session, plan=plan, as_at=as_at),
        actions=rows,
    )


def with_edited_text(report: HighlightReport, edits: dict[str, str]) -> HighlightReport:
    """The report with the office's wording of its text sections (one item per line).

    Only text sections can be edited; figures are never taken from the form."""
    sections = []
    for section in report.sections:
        if section.key in edits:
            items = [line.strip() for line in edits[section.key].splitlines() if line.strip()]
            sections.append(section.model_copy(update={"items": items}))
        else:
            sections.append(section)
    return report.model_copy(update={"sections": sections})
