"""Refreshing a plan: its successor, new themes, and the outstanding actions carried forward.

``plan_refresh`` works out everything that would happen and writes nothing; ``apply_refresh``
writes that preview in the caller's transaction. Every problem with the request is found by
``plan_refresh`` and raised as one ``RefreshError`` before anything is written.

An action is outstanding when its latest approved status as at the refresh date is not
complete, withdrawn or carried forward. A carried-forward copy keeps the original's ref, title,
description, lead, partners and start date; the history stays with the original, which gets
a "carried forward" update effective on the refresh date. Re-running a refresh is safe: an
action already carried into the successor is not copied again.

Each copy gets a new due date: a rule fills them (``DueRule``: the end of the new plan's first
year, the end of its period, or the original's date kept), and a date given for one action
overrides the rule. Every new due date falls on or after the refresh date and on or before the
new period's end, so the successor never starts with an overdue action.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    DeliveryGroup,
    Plan,
    PlanStatus,
    ReviewState,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.audit import record_event
from app.domain.rag import RAG_LABELS, STAGE_LABELS
from app.domain.status import statuses_as_at

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NOT_CARRIED = frozenset({Stage.complete, Stage.withdrawn, Stage.carried_forward})


class RefreshError(ValueError):
    """Why a refresh cannot be made; ``field`` names the input it concerns (the refresh form's
    field names: new_slug, title, short_title, period_end, refresh_date, themes, mapping,
    overrides, due_dates)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class DueRule(StrEnum):
    """How the carried-forward copies' new due dates are filled in."""

    first_year = "first-year"
    period_end = "period-end"
    keep = "keep"


DUE_RULE_LABELS = {
    DueRule.first_year: "The end of the new plan's first year",
    DueRule.period_end: "The end of the new plan's period",
    DueRule.keep: "Keep each action's due date (only where it has not passed by the refresh date)",
}


def end_of_first_year(period_start: date, period_end: date) -> date:
    """The day before the period's first anniversary (31 March 2022 for a period starting on
    1 April 2021), or the period's end if that comes sooner."""
    try:
        anniversary = period_start.replace(year=period_start.year + 1)
    except ValueError:  # 29 February: the anniversary is 1 March
        anniversary = date(period_start.year + 1, 3, 1)
    return min(anniversary - timedelta(days=1), period_end)


def due_by_rule(rule: DueRule, *, original: date, period_start: date, period_end: date) -> date:
    if rule == DueRule.first_year:
        return end_of_first_year(period_start, period_end)
    if rule == DueRule.period_end:
        return period_end
    return original


def read_due_rule(value: DueRule | str | None) -> DueRule | None:
    """The rule named by ``value`` (None for none); RefreshError for a name that is not one."""
    if value is None or value == "":
        return None
    try:
        return DueRule(value)
    except ValueError:
        names = ", ".join(rule.value for rule in DueRule)
        raise RefreshError(
            f"'{value}' is not a rule for the new due dates (the rules: {names})",
            field="due_dates",
        ) from None


@dataclass(frozen=True)
class NewTheme:
    title: str
    delivery_group: str | None = None


@dataclass(frozen=True)
class ThemeIn:
    """A theme of the successor as the preview sees it: new, or already in a reused successor."""

    title: str
    delivery_group_id: int | None
    delivery_group: str | None
    existing_id: int | None


@dataclass(frozen=True)
class CarriedAction:
    original_id: int
    ref: str
    title: str
    old_theme: str
    new_theme: str
    stage: Stage
    rag: str | None
    commentary: str
    corrective_action: str
    original_due_date: date
    original_due_label: str
    new_due_date: date
    start_date: date | None = None

    @property
    def due_changed(self) -> bool:
        return self.new_due_date != self.original_due_date

    @property
    def new_due_label(self) -> str:
        """The copy's timescale as stated: the original's while its date is kept, else none
        (its due date speaks for itself)."""
        return "" if self.due_changed else self.original_due_label


@dataclass(frozen=True)
class LeftAction:
    original_id: int
    ref: str
    title: str
    old_theme: str
    stage: Stage
    reason: str


@dataclass
class RefreshPreview:
    source_id: int
    source_slug: str
    source_short_title: str
    new_slug: str
    title: str
    short_title: str
    period_start: date
    period_end: date
    refresh_date: date
    existing_plan_id: int | None
    themes: list[ThemeIn]
    theme_mapping: dict[str, str | None]
    carried: list[CarriedAction] = field(default_factory=list)
    left_behind: list[LeftAction] = field(default_factory=list)
    already_carried: list[str] = field(default_factory=list)  # into this successor
    carried_elsewhere: list[str] = field(default_factory=list)  # stage carried forward already
    user_id: int | None = None
    due_rule: DueRule | None = None

    @property
    def creates_plan(self) -> bool:
        return self.existing_plan_id is None

    @property
    def changes_nothing(self) -> bool:
        return (
            not self.creates_plan
            and not self.carried
            and all(theme.existing_id is not None for theme in self.themes)
        )

    def describe(self) -> list[str]:
        """The preview as lines of text, for the command line."""
        target = "a new plan" if self.creates_plan else "its existing successor"
        lines = [
            f"Refresh {self.source_slug} into {self.new_slug} ({target}), "
            f"effective {self.refresh_date.isoformat()}",
            f"  {self.title} ({self.short_title}), "
            f"{self.period_start.isoformat()} to {self.period_end.isoformat()}",
            "Themes:",
        ]
        for position, theme in enumerate(self.themes, start=1):
            group = f" - {theme.delivery_group}" if theme.delivery_group else ""
            state = "exists" if theme.existing_id else "new"
            lines.append(f"  {position}. {theme.title}{group} ({state})")
        lines.append("Theme mapping:")
        for old, new in self.theme_mapping.items():
            lines.append(f"  {old} -> {new if new else '(retired)'}")
        if self.due_rule is not None:
            lines.append(f"New due dates: {DUE_RULE_LABELS[self.due_rule].lower()}")
        lines.append(f"Carried forward ({len(self.carried)}):")
        for action in self.carried:
            status = STAGE_LABELS[action.stage]
            if action.rag:
                status += f", {RAG_LABELS[action.rag]}"
            lines.append(f"  {action.ref}: {action.title} [{action.new_theme}] ({status})")
            old_due = action.original_due_date.isoformat()
            if action.original_due_label:
                old_due += f" ({action.original_due_label})"
            new_due = action.new_due_date.isoformat() if action.due_changed else "unchanged"
            lines.append(f"      due {old_due} -> {new_due}")
        if self.left_behind:
            lines.append(f"Left behind ({len(self.left_behind)}):")
            for action in self.left_behind:
                lines.append(f"  {action.ref}: {action.title} ({action.reason})")
        if self.already_carried:
            lines.append(
                f"Already carried forward, not copied again ({len(self.already_carried)}): "
                + ", ".join(self.already_carried)
            )
        if self.carried_elsewhere:
            lines.append(
                f"Carried forward before this refresh, not carried again "
                f"({len(self.carried_elsewhere)}): " + ", ".join(self.carried_elsewhere)
            )
        return lines


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def plan_refresh(
    session: Session,
    *,
    source: Plan,
    new_slug: str,
    title: str,
    short_title: str,
    period_start: date,
    period_end: date,
    themes: list[NewTheme | str],
    theme_mapping: dict[str, str | None],
    action_overrides: dict[str, str | None] | None = None,
    refresh_date: date,
    due_rule: DueRule | str | None = None,
    due_dates: dict[str, date] | None = None,
    user: User | None = None,
) -> RefreshPreview:
    """What refreshing ``source`` would do; raises RefreshError and writes nothing.

    ``due_rule`` fills the carried actions' new due dates; ``due_dates`` (ref -> date) gives
    single actions theirs, overriding the rule. Without a rule every carried action needs one."""
    action_overrides = dict(action_overrides or {})
    rule = read_due_rule(due_rule)
    given_due = {ref.strip(): due for ref, due in (due_dates or {}).items()}
    new_slug = new_slug.strip()
    title, short_title = _clean(title), _clean(short_title)
    if not SLUG.match(new_slug) or len(new_slug) > 100:
        raise RefreshError(
            f"'{new_slug}' is not a slug: use lower-case letters, digits and single hyphens",
            field="new_slug",
        )
    if new_slug == source.slug:
        raise RefreshError(
            "the new plan needs a slug of its own, not the source plan's", field="new_slug"
        )
    if not title or len(title) > 300:
        raise RefreshError("the new plan needs a title of at most 300 characters", field="title")
    if not short_title or len(short_title) > 120:
        raise RefreshError(
            "the new plan needs a short title of at most 120 characters", field="short_title"
        )
    if period_end < period_start:
        raise RefreshError(
            f"the period ends ({period_end.isoformat()}) before it starts "
            f"({period_start.isoformat()})",
            field="period_end",
        )
    if refresh_date < source.period_start:
        raise RefreshError(
            f"the refresh date {refresh_date.isoformat()} is before {source.slug} starts "
            f"({source.period_start.isoformat()})",
            field="refresh_date",
        )

    existing = session.exec(select(Plan).where(Plan.slug == new_slug)).first()
    if existing is not None and existing.predecessor_id != source.id:
        raise RefreshError(
            f"a plan with slug '{new_slug}' already exists and is not the successor of "
            f"{source.slug}: choose another slug",
            field="new_slug",
        )

    new_themes = [NewTheme(theme) if isinstance(theme, str) else theme for theme in themes]
    theme_titles = [_clean(theme.title) for theme in new_themes]
    if not theme_titles:
        raise RefreshError("the new plan needs at least one theme", field="themes")
    for theme_title in theme_titles:
        if not theme_title or len(theme_title) > 300:
            raise RefreshError(
                "every theme needs a title of at most 300 characters", field="themes"
            )
    duplicates = sorted({t for t in theme_titles if theme_titles.count(t) > 1})
    if duplicates:
        raise RefreshError(f"theme '{duplicates[0]}' is listed twice", field="themes")

    group_names = {theme.delivery_group for theme in new_themes if theme.delivery_group}
    groups = {
        group.name: group
        for group in session.exec(select(DeliveryGroup).where(DeliveryGroup.name.in_(group_names)))
    }
    for name in sorted(group_names - groups.keys()):
        known = ", ".join(session.exec(select(DeliveryGroup.name).order_by(DeliveryGroup.name)))
        raise RefreshError(
            f"unknown delivery group '{name}' (known: {known or 'none'})", field="themes"
        )

    existing_themes: dict[str, Theme] = {}
    if existing is not None:
        existing_themes = {
            theme.title: theme
            for theme in session.exec(select(Theme).where(Theme.plan_id == existing.id))
        }
    preview_themes = [
        ThemeIn(
            title=theme_title,
            delivery_group_id=groups[theme.delivery_group].id if theme.delivery_group else None,
            delivery_group=theme.delivery_group,
            existing_id=existing_themes[theme_title].id if theme_title in existing_themes else None,
        )
        for theme, theme_title in zip(new_themes, theme_titles, strict=True)
    ]

    old_themes = {
        theme.id: theme for theme in session.exec(select(Theme).where(Theme.plan_id == source.id))
    }
    old_titles = {theme.title for theme in old_themes.values()}
    mapping: dict[str, str | None] = {}
    for old, new in theme_mapping.items():
        old, new = _clean(old), (_clean(new) if new else None)
        if old not in old_titles:
            raise RefreshError(
                f"the mapping names theme '{old}', which {source.slug} does not have "
                f"(its themes: {', '.join(sorted(old_titles))})",
                field="mapping",
            )
        if new is not None and new not in theme_titles:
            raise RefreshError(
                f"theme '{old}' is mapped to '{new}', which is not one of the new themes "
                f"({', '.join(theme_titles)})",
                field="mapping",
            )
        mapping[old] = new

    statuses = statuses_as_at(session=session, plan_id=source.id, as_at=refresh_date)
    by_ref = {status.action.ref: status for status in statuses}
    carried_into: set[int] = set()
    taken_refs: set[str] = set()
    if existing is not None:
        for original_id, ref in session.exec(
            select(Action.carried_forward_from_id, Action.ref).where(Action.plan_id == existing.id)
        ):
            taken_refs.add(ref)
            if original_id is not None:
                carried_into.add(original_id)

    overrides: dict[str, str | None] = {}
    for ref, new in action_overrides.items():
        ref, new = ref.strip(), (_clean(new) if new else None)
        if ref not in by_ref:
            raise RefreshError(f"{source.slug} has no action '{ref}'", field="overrides")
        # On a re-run the override of an action already carried into the successor is moot.
        if by_ref[ref].stage in NOT_CARRIED and by_ref[ref].action.id not in carried_into:
            raise RefreshError(
                f"action {ref} is {STAGE_LABELS[by_ref[ref].stage].lower()} as at "
                f"{refresh_date.isoformat()}, so it is not carried forward",
                field="overrides",
            )
        if new is not None and new not in theme_titles:
            raise RefreshError(
                f"action {ref} is sent to '{new}', which is not one of the new themes "
                f"({', '.join(theme_titles)})",
                field="overrides",
            )
        overrides[ref] = new

    outstanding = [status for status in statuses if status.stage not in NOT_CARRIED]
    unmapped: dict[str, list[str]] = {}
    for status in outstanding:
        old_title = old_themes[status.action.theme_id].title
        if status.action.ref not in overrides and old_title not in mapping:
            unmapped.setdefault(old_title, []).append(status.action.ref)
    if unmapped:
        old_title, refs = next(iter(unmapped.items()))
        raise RefreshError(
            f"theme '{old_title}' has outstanding actions ({', '.join(refs)}): map it to a new "
            "theme or retire it",
            field="mapping",
        )

    later = _updated_after(session, [s.action.id for s in outstanding], refresh_date)
    preview = RefreshPreview(
        source_id=source.id,
        source_slug=source.slug,
        source_short_title=source.short_title,
        new_slug=new_slug,
        title=title,
        short_title=short_title,
        period_start=period_start,
        period_end=period_end,
        refresh_date=refresh_date,
        existing_plan_id=existing.id if existing else None,
        themes=preview_themes,
        theme_mapping=mapping,
        user_id=user.id if user else None,
    )
    preview.already_carried = [s.action.ref for s in statuses if s.action.id in carried_into]
    preview.carried_elsewhere = [
        s.action.ref
        for s in statuses
        if s.stage == Stage.carried_forward and s.action.id not in carried_into
    ]
    for status in outstanding:
        action = status.action
        old_title = old_themes[action.theme_id].title
        if action.id in carried_into:
            continue
        new_title = overrides[action.ref] if action.ref in overrides else mapping[old_title]
        if new_title is None:
            reason = "left out" if action.ref in overrides else f"theme '{old_title}' retired"
            preview.left_behind.append(
                LeftAction(action.id, action.ref, action.title, old_title, status.stage, reason)
            )
            continue
        if action.ref in taken_refs:
            raise RefreshError(
                f"{new_slug} already has an action {action.ref} that was not carried forward "
                f"from {source.slug}",
                field="new_slug",
            )
        if action.id in later:
            raise RefreshError(
                f"action {action.ref} has an update effective {later[action.id].isoformat()}, "
                f"after the refresh date {refresh_date.isoformat()}: choose a later refresh date",
                field="refresh_date",
            )
        update = status.update
        if action.ref in given_due:
            new_due = given_due[action.ref]
        elif rule is not None:
            new_due = due_by_rule(
                rule, original=action.due_date, period_start=period_start, period_end=period_end
            )
        else:
            new_due = None
        preview.carried.append(
            CarriedAction(
                original_id=action.id,
                ref=action.ref,
                title=action.title,
                old_theme=old_title,
                new_theme=new_title,
                stage=status.stage,
                rag=status.rag,
                commentary=update.commentary if update else "",
                corrective_action=update.corrective_action if update and status.rag else "",
                original_due_date=action.due_date,
                original_due_label=action.due_label or "",
                new_due_date=new_due,
                start_date=action.start_date,
            )
        )
    preview.due_rule = rule
    _check_due_dates(preview, given_due, by_ref, source.slug)
    theme_order = {theme_title: position for position, theme_title in enumerate(theme_titles)}
    position_of = {s.action.id: (s.action.position, s.action.id) for s in statuses}
    preview.carried.sort(key=lambda a: (theme_order[a.new_theme], position_of[a.original_id]))
    return preview


def _refs(items) -> str:
    return ", ".join(item.ref for item in items)


def _due_dates_of(items, *, new: bool = True) -> str:
    """'the new due date of P3 is' or 'the new due dates of P3, D4 are'."""
    noun = "new due date" if new else "due date"
    if len(items) == 1:
        return f"the {noun} of {items[0].ref} is"
    return f"the {noun}s of {_refs(items)} are"


def _check_due_dates(
    preview: RefreshPreview, given: dict[str, date], by_ref: dict, source_slug: str
) -> None:
    """Every carried action has a new due date between the refresh date and the new period's
    end (and not before its own start); a date given for an action that is not carried is a
    mistake, unless that action was carried into this successor before (a re-run)."""
    carried_refs = {item.ref for item in preview.carried}
    for ref in given:
        if ref in carried_refs or ref in preview.already_carried:
            continue
        if ref not in by_ref:
            raise RefreshError(
                f"a new due date is given for action '{ref}', which {source_slug} does not have",
                field="due_dates",
            )
        raise RefreshError(
            f"a new due date is given for action {ref}, which is not carried forward",
            field="due_dates",
        )
    missing = [item for item in preview.carried if item.new_due_date is None]
    if missing:
        raise RefreshError(
            f"choose a rule for the new due dates, or give one for each carried-forward action "
            f"(no new due date for {_refs(missing)})",
            field="due_dates",
        )
    refresh_date = preview.refresh_date
    passed = [item for item in preview.carried if item.new_due_date < refresh_date]
    if passed:
        kept = [item for item in passed if item.ref not in given]
        if kept and preview.due_rule == DueRule.keep:
            them = "it a new due date" if len(kept) == 1 else "them new due dates"
            raise RefreshError(
                f"{_due_dates_of(kept, new=False)} before the refresh date "
                f"{refresh_date.isoformat()} and a passed date cannot be kept: give {them} or "
                "choose another rule",
                field="due_dates",
            )
        raise RefreshError(
            f"{_due_dates_of(passed)} before the refresh date {refresh_date.isoformat()}: "
            "the successor would start with overdue actions",
            field="due_dates",
        )
    late = [item for item in preview.carried if item.new_due_date > preview.period_end]
    if late:
        raise RefreshError(
            f"{_due_dates_of(late)} after the new period ends ({preview.period_end.isoformat()})",
            field="due_dates",
        )
    early = [
        item
        for item in preview.carried
        if item.start_date is not None and item.new_due_date < item.start_date
    ]
    if early:
        raise RefreshError(
            f"{_due_dates_of(early)} before the action starts",
            field="due_dates",
        )


def _updated_after(session: Session, action_ids: list[int], when: date) -> dict[int, date]:
    if not action_ids:
        return {}
    rows = session.exec(
        select(StatusUpdate.action_id, func.max(StatusUpdate.effective_on))
        .where(StatusUpdate.action_id.in_(action_ids), StatusUpdate.effective_on > when)
        .group_by(StatusUpdate.action_id)
    )
    return dict(rows.all())


def apply_refresh(session: Session, preview: RefreshPreview) -> Plan:
    """Write the preview in the caller's transaction (flushed, not committed); all or nothing:
    a savepoint, so a failure leaves the caller's transaction as it was."""
    try:
        with session.begin_nested():
            return _apply(session, preview)
    except IntegrityError:
        raise RefreshError(
            "someone else changed these plans at the same moment", field="new_slug"
        ) from None


def _apply(session: Session, preview: RefreshPreview) -> Plan:
    source = session.get(Plan, preview.source_id)
    if source is None:
        raise RefreshError(f"plan {preview.source_slug} no longer exists", field="new_slug")
    now = datetime.now(UTC)
    if preview.existing_plan_id is None:
        if session.exec(select(Plan.id).where(Plan.slug == preview.new_slug)).first():
            raise RefreshError(
                f"a plan with slug '{preview.new_slug}' was created meanwhile", field="new_slug"
            )
        plan = Plan(
            slug=preview.new_slug,
            title=preview.title,
            short_title=preview.short_title,
            period_start=preview.period_start,
            period_end=preview.period_end,
            board_id=source.board_id,
            status=PlanStatus.active,
            rag_scheme=source.rag_scheme,
            requires_approval=source.requires_approval,
            launched_on=preview.refresh_date,
            predecessor_id=source.id,
        )
        session.add(plan)
        session.flush()
    else:
        plan = session.get(Plan, preview.existing_plan_id)

    themes: dict[str, Theme] = {
        theme.title: theme for theme in session.exec(select(Theme).where(Theme.plan_id == plan.id))
    }
    next_position = max((theme.position for theme in themes.values()), default=0) + 1
    for theme_in in preview.themes:
        if theme_in.title in themes:
            continue
        theme = Theme(
            plan_id=plan.id,
            position=next_position,
            title=theme_in.title,
            delivery_group_id=theme_in.delivery_group_id,
        )
        next_position += 1
        session.add(theme)
        themes[theme_in.title] = theme
    session.flush()

    already = set(
        session.exec(
            select(Action.carried_forward_from_id).where(
                Action.plan_id == plan.id, Action.carried_forward_from_id.is_not(None)
            )
        )
    )
    carried = [item for item in preview.carried if item.original_id not in already]
    originals = {
        action.id: action
        for action in session.exec(
            select(Action).where(Action.id.in_([item.original_id for item in carried]))
        )
    }
    partners: dict[int, list[int]] = {}
    for action_id, organisation_id in session.exec(
        select(ActionPartner.action_id, ActionPartner.organisation_id).where(
            ActionPartner.action_id.in_(originals.keys())
        )
    ):
        partners.setdefault(action_id, []).append(organisation_id)
    position = (
        session.exec(select(func.max(Action.position)).where(Action.plan_id == plan.id)).one() or 0
    )
    copies: list[tuple[CarriedAction, Action, Action]] = []
    for item in carried:
        original = originals[item.original_id]
        position += 1
        copy = Action(
            plan_id=plan.id,
            theme_id=themes[item.new_theme].id,
            ref=original.ref,
            position=position,
            title=original.title,
            description=original.description,
            lead_organisation_id=original.lead_organisation_id,
            lead_person_id=original.lead_person_id,
            start_date=original.start_date,
            due_date=item.new_due_date,
            due_label=item.new_due_label,
            carried_forward_from_id=original.id,
            provenance=original.provenance,
            version=2,  # one update, below
        )
        session.add(copy)
        copies.append((item, original, copy))
    session.flush()

    for item, original, copy in copies:
        for organisation_id in partners.get(original.id, []):
            session.add(ActionPartner(action_id=copy.id, organisation_id=organisation_id))
        carried_from = f"Carried forward from {preview.source_short_title} ({original.ref})."
        session.add(
            StatusUpdate(
                action_id=copy.id,
                recorded_by_id=preview.user_id,
                recorded_at=now,
                effective_on=preview.refresh_date,
                stage=item.stage,
                rag=item.rag,
                commentary=f"{carried_from} {item.commentary}".strip(),
                corrective_action=item.corrective_action,
                review_state=ReviewState.approved,
            )
        )
        session.add(
            StatusUpdate(
                action_id=original.id,
                recorded_by_id=preview.user_id,
                recorded_at=now,
                effective_on=preview.refresh_date,
                stage=Stage.carried_forward,
                commentary=f"Carried forward to {plan.short_title} ({copy.ref}).",
                review_state=ReviewState.approved,
            )
        )
        original.version += 1
        session.add(original)

    if copies or preview.creates_plan:
        record_event(
            session,
            user=session.get(User, preview.user_id) if preview.user_id else None,
            verb="refresh",
            entity_type="plan",
            entity_id=plan.id,
            summary=(
                f"Refreshed {preview.source_slug} into {plan.slug}: "
                f"{len(copies)} actions carried forward"
            ),
            after={"carried_forward": [copy.ref for _item, _original, copy in copies]},
        )
    session.flush()
    return plan


def source_themes(*, session: Session, plan: Plan) -> list[tuple[Theme, str | None]]:
    """A plan's themes in order, each with its delivery group's name: what a refresh starts from."""
    return list(
        session.exec(
            select(Theme, DeliveryGroup.name)
            .outerjoin(DeliveryGroup, DeliveryGroup.id == Theme.delivery_group_id)
            .where(Theme.plan_id == plan.id)
            .order_by(Theme.position)
        )
    )
