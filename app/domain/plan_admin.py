"""The office sets up and runs a plan: creates it, edits its details, outcomes and themes later,
and closes or reopens it.

One function per change, shared by the pages, the API and the command line. Each checks every
field of its input and raises PlanRejected with a message per field (keyed by the field's name,
so a page shows each beside its field, the API returns them and the command line prints them)
before anything is written; each change writes an audit event with before and after. Writes
that touch several rows run in a savepoint, so a failure part-way leaves the caller's
transaction as it was.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.models import (
    Action,
    Board,
    Commitment,
    DeliveryGroup,
    Outcome,
    Plan,
    PlanStatus,
    Rag,
    RagScheme,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.as_at import awaits_closing, plan_state_text
from app.domain.audit import record_event
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.rag import SCHEME_NAMES, allowed_rags, ratings
from app.domain.refresh import SLUG
from app.domain.timescales import uk_date

MAX_TEXT = 10_000
MAX_COMMITMENT = 2_000
MAX_REASON = 2_000
SLUG_LENGTH = Plan.__table__.c.slug.type.length
TITLE_LENGTH = Plan.__table__.c.title.type.length
SHORT_TITLE_LENGTH = Plan.__table__.c.short_title.type.length
OUTCOME_LENGTH = Outcome.__table__.c.title.type.length
THEME_LENGTH = Theme.__table__.c.title.type.length
GROUP_LENGTH = DeliveryGroup.__table__.c.name.type.length
SRO_LENGTH = Plan.__table__.c.senior_responsible_owner.type.length

# Addresses under /plans/ that are pages, not plans.
RESERVED_SLUGS = frozenset({"new"})
# The page's and API's names of the schemes (as stored) and the command line's short ones.
SCHEME_CHOICES = {
    RagScheme.rag3.value: RagScheme.rag3,
    RagScheme.dca5.value: RagScheme.dca5,
    "rag": RagScheme.rag3,
    "dca": RagScheme.dca5,
}

# A date as the edge read it: a date, the three boxes of a page's date input, or YYYY-MM-DD text
# (the API and the command line). The domain reads all three, so every edge gets its messages.
DateValue = date | DateParts | str | None


# The order of the new-plan form, so an error summary lists its messages as the form reads.
FORM_ORDER = (
    "title",
    "slug",
    "short_title",
    "description",
    "period_start",
    "period_end",
    "board",
    "rag_scheme",
    "senior_responsible_owner",
    "requires_approval",
    "outcomes",
)
THEME_ORDER = ("title", "vision", "commitments", "delivery_group", "senior_responsible_owner")


def _form_position(name: str) -> tuple[int, int, int]:
    if name in FORM_ORDER:
        return (FORM_ORDER.index(name), 0, 0)
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "themes" and parts[1].isdigit():
        within = THEME_ORDER.index(parts[2]) if parts[2] in THEME_ORDER else len(THEME_ORDER)
        return (len(FORM_ORDER), int(parts[1]), within)
    return (len(FORM_ORDER) + 1, 0, 0)


class PlanRejected(ValueError):
    """What is wrong, by field: {"title": "Enter the plan's title"}, in the form's order;
    nothing was written. A theme's fields on the new-plan form are "themes.0.title" and so on."""

    def __init__(self, errors: dict[str, str]) -> None:
        ordered = dict(sorted(errors.items(), key=lambda item: _form_position(item[0])))
        super().__init__("; ".join(ordered.values()))
        self.errors = ordered


@dataclass
class ThemeIn:
    title: str = ""
    vision: str = ""
    commitments: list[str] = field(default_factory=list)  # "we will do this through ..."
    delivery_group: str = ""  # a group's name: an existing one, or a new group to create
    senior_responsible_owner: str = ""  # optional: "Chief Superintendent, Head of Partnerships"

    @property
    def is_blank(self) -> bool:
        return not (
            self.title.strip()
            or self.vision.strip()
            or any(line.strip() for line in self.commitments)
            or self.delivery_group.strip()
            or self.senior_responsible_owner.strip()
        )


@dataclass
class PlanDetailsIn:
    """What may be changed about a plan once it exists (its short name stays: addresses and
    links use it)."""

    title: str = ""
    short_title: str = ""
    description: str = ""
    period_start: DateValue = None
    period_end: DateValue = None
    board: str = ""  # the board's short name
    rag_scheme: str = RagScheme.rag3.value
    senior_responsible_owner: str = ""  # optional, free text


@dataclass
class PlanIn(PlanDetailsIn):
    slug: str = ""
    requires_approval: bool = False
    outcomes: list[str] = field(default_factory=list)
    themes: list[ThemeIn] = field(default_factory=list)


def lines_of(text: str) -> list[str]:
    """A box of one item per line (outcomes, commitments) as its non-blank lines."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def suggest_slug(title: str) -> str:
    """A short name from a title, as the new-plan page's script suggests it: "Reducing
    Offending 2024-27" -> "reducing-offending-2024-27"."""
    unaccented = "".join(
        c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c)
    )
    slug = re.sub(r"[^a-z0-9]+", "-", unaccented.lower()).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _text(text: str) -> str:
    return "\n".join(line.rstrip() for line in str(text).strip().splitlines())


def _sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


def _read_date(value: DateValue, *, label: str) -> date:
    """The date, or DateInputError with the message to show."""
    if isinstance(value, date):
        return value
    if isinstance(value, DateParts):
        return parse_date_parts(value, label=label)
    text = (value or "").strip()
    if not text:
        raise DateInputError(f"Enter {label}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DateInputError(
            f"{_sentence(label)} must be a real date, in the form YYYY-MM-DD"
        ) from None


def _length(errors: dict, key: str, text: str, limit: int, label: str) -> None:
    if len(text) > limit:
        errors[key] = f"{_sentence(label)} must be {limit:,} characters or fewer"


# --- Checking what was typed -------------------------------------------------------------------


@dataclass
class _Details:
    title: str
    short_title: str
    description: str
    period_start: date | None
    period_end: date | None
    board: Board | None
    rag_scheme: str
    senior_responsible_owner: str


def _check_sro(errors: dict, key: str, text: str) -> str:
    """An optional senior responsible owner, as typed on one line."""
    sro = _clean(text or "")
    _length(errors, key, sro, SRO_LENGTH, "the senior responsible owner")
    return sro


def _check_details(session: Session, details_in: PlanDetailsIn, errors: dict) -> _Details:
    title = _clean(details_in.title)
    if not title:
        errors["title"] = "Enter the plan's title"
    else:
        _length(errors, "title", title, TITLE_LENGTH, "the title")
    short_title = _clean(details_in.short_title)
    if short_title:
        _length(errors, "short_title", short_title, SHORT_TITLE_LENGTH, "the short title")
    elif len(title) > SHORT_TITLE_LENGTH:
        errors["short_title"] = (
            f"Enter a short title of {SHORT_TITLE_LENGTH} characters or fewer: the title is too "
            "long to use instead"
        )
    description = _text(details_in.description)
    _length(errors, "description", description, MAX_TEXT, "the description")

    dates: dict[str, date | None] = {}
    for key, label in (("period_start", "the start date"), ("period_end", "the end date")):
        try:
            dates[key] = _read_date(getattr(details_in, key), label=label)
        except DateInputError as error:
            errors[key] = error.message
            dates[key] = None
    start, end = dates["period_start"], dates["period_end"]
    if start and end and end <= start:
        errors["period_end"] = "The end date must be after the start date"

    board = None
    board_name = details_in.board.strip()
    boards = {b.short_name: b for b in session.exec(select(Board))}
    if not boards:
        errors["board"] = "There are no boards yet: create the board that owns the plan first"
    elif not board_name:
        errors["board"] = "Choose the board that owns the plan"
    elif board_name not in boards:
        errors["board"] = (
            f"There is no board called '{board_name}': choose one of {', '.join(sorted(boards))}"
        )
    else:
        board = boards[board_name]

    scheme = SCHEME_CHOICES.get(str(details_in.rag_scheme).strip().lower())
    if scheme is None:
        errors["rag_scheme"] = (
            "Choose how actions are rated: Green/Amber/Red (rag) or the five-point Delivery "
            "Confidence Assessment (dca)"
        )
    sro = _check_sro(errors, "senior_responsible_owner", details_in.senior_responsible_owner)
    return _Details(
        title=title,
        short_title=short_title or title,
        description=description,
        period_start=start,
        period_end=end,
        board=board,
        rag_scheme=(scheme or RagScheme.rag3).value,
        senior_responsible_owner=sro,
    )


def _check_slug(session: Session, slug: str, title: str, errors: dict) -> str:
    slug = slug.strip()
    example = suggest_slug(title) or "reducing-offending-2024-27"
    if not slug:
        errors["slug"] = f"Enter a short name for the plan's web address, such as {example}"
    elif len(slug) > SLUG_LENGTH:
        errors["slug"] = f"The short name must be {SLUG_LENGTH} characters or fewer"
    elif not SLUG.match(slug):
        errors["slug"] = (
            "The short name must use only lower-case letters, digits and single hyphens "
            f"between them, such as {example}"
        )
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"The short name '{slug}' is the address of a page: choose another"
    elif session.exec(select(Plan.id).where(Plan.slug == slug)).first() is not None:
        errors["slug"] = f"There is already a plan with the short name {slug}: choose another"
    return slug


def _check_outcomes(outcomes: list[str], errors: dict, key: str = "outcomes") -> list[str]:
    cleaned = [_clean(outcome) for outcome in outcomes if outcome.strip()]
    for number, outcome in enumerate(cleaned, start=1):
        if len(outcome) > OUTCOME_LENGTH:
            errors[key] = (
                f"Outcome {number} must be {OUTCOME_LENGTH} characters or fewer; it has "
                f"{len(outcome):,}"
            )
            break
    return cleaned


def _check_theme(theme_in: ThemeIn, errors: dict, prefix: str = "") -> ThemeIn:
    """A theme's fields cleaned; errors keyed prefix + field ("themes.0.title" on the new-plan
    form, plain "title" on a theme's own form)."""
    title = _clean(theme_in.title)
    if not title:
        errors[prefix + "title"] = "Enter the theme's title"
    else:
        _length(errors, prefix + "title", title, THEME_LENGTH, "the theme's title")
    vision = _text(theme_in.vision)
    _length(errors, prefix + "vision", vision, MAX_TEXT, "the vision")
    commitments = [_clean(line) for line in theme_in.commitments if line.strip()]
    for number, commitment in enumerate(commitments, start=1):
        if len(commitment) > MAX_COMMITMENT:
            errors[prefix + "commitments"] = (
                f"Commitment {number} must be {MAX_COMMITMENT:,} characters or fewer"
            )
            break
    group = _clean(theme_in.delivery_group)
    _length(errors, prefix + "delivery_group", group, GROUP_LENGTH, "the delivery group's name")
    sro = _check_sro(errors, prefix + "senior_responsible_owner", theme_in.senior_responsible_owner)
    return ThemeIn(
        title=title,
        vision=vision,
        commitments=commitments,
        delivery_group=group,
        senior_responsible_owner=sro,
    )


# --- Records for the audit log -------------------------------------------------------------


def _details_record(plan: Plan, board: Board | None) -> dict:
    return {
        "title": plan.title,
        "short_title": plan.short_title,
        "description": plan.description,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "board": board.short_name if board else None,
        "rag_scheme": plan.rag_scheme,
        "senior_responsible_owner": plan.senior_responsible_owner,
    }


def _theme_record(theme: Theme, group: DeliveryGroup | None, commitments: list[str]) -> dict:
    return {
        "title": theme.title,
        "position": theme.position,
        "vision": theme.vision,
        "commitments": commitments,
        "delivery_group": group.name if group else None,
        "senior_responsible_owner": theme.senior_responsible_owner,
    }


# --- Delivery groups: an existing one by name, or a new one -----------------------------------


def _groups_named(session: Session, names: set[str]) -> dict[str, DeliveryGroup]:
    if not names:
        return {}
    lowered = {name.lower() for name in names}
    return {
        group.name.lower(): group
        for group in session.exec(
            select(DeliveryGroup).where(func.lower(DeliveryGroup.name).in_(lowered))
        )
    }


def _group(
    session: Session,
    name: str,
    *,
    known: dict[str, DeliveryGroup],
    plan: Plan,
    user: User | None,
    actor: str | None,
) -> DeliveryGroup | None:
    if not name:
        return None
    group = known.get(name.lower())
    if group is None:
        group = DeliveryGroup(name=name, board_id=plan.board_id)
        session.add(group)
        session.flush()
        known[name.lower()] = group
        record_event(
            session,
            user=user,
            actor=actor,
            verb="create_delivery_group",
            entity_type="delivery_group",
            entity_id=group.id,
            summary=f"Created the delivery group {name} for {plan.short_title}",
            after={"name": name, "board_id": plan.board_id},
        )
    return group


def _insert_theme(session: Session, *, plan: Plan, position: int, theme_in, group) -> Theme:
    """A new theme of the plan at ``position``, with its delivery group and commitments."""
    theme = Theme(
        plan_id=plan.id,
        position=position,
        title=theme_in.title,
        vision=theme_in.vision,
        delivery_group_id=group.id if group else None,
        senior_responsible_owner=theme_in.senior_responsible_owner,
    )
    session.add(theme)
    session.flush()
    _write_commitments(session, theme, theme_in.commitments)
    return theme


def _write_commitments(session: Session, theme: Theme, texts: list[str]) -> None:
    for position, text in enumerate(texts, start=1):
        session.add(Commitment(theme_id=theme.id, position=position, text=text))


# --- Create ------------------------------------------------------------------------------------


def create_plan(
    *, session: Session, plan_in: PlanIn, user: User | None, actor: str | None = None
) -> Plan:
    """A new, active plan with its outcomes and themes; raises PlanRejected (every field's
    problem at once) and writes nothing."""
    errors: dict[str, str] = {}
    details = _check_details(session, plan_in, errors)
    slug = _check_slug(session, plan_in.slug, details.title, errors)
    outcomes = _check_outcomes(plan_in.outcomes, errors)
    themes: list[tuple[int, ThemeIn]] = []
    seen: dict[str, int] = {}
    for index, theme_in in enumerate(plan_in.themes):
        if theme_in.is_blank:
            continue
        theme = _check_theme(theme_in, errors, prefix=f"themes.{index}.")
        if theme.title and theme.title.lower() in seen:
            errors[f"themes.{index}.title"] = (
                f"Theme '{theme.title}' is already listed above: give each theme its own title"
            )
        seen.setdefault(theme.title.lower(), index)
        themes.append((index, theme))
    if errors:
        raise PlanRejected(errors)
    try:
        with session.begin_nested():
            return _insert_plan(
                session,
                slug=slug,
                details=details,
                plan_in=plan_in,
                outcomes=outcomes,
                themes=[theme for _index, theme in themes],
                user=user,
                actor=actor,
            )
    except IntegrityError:
        raise PlanRejected(
            {"slug": f"A plan with the short name {slug} was created meanwhile: choose another"}
        ) from None


def _insert_plan(
    session: Session,
    *,
    slug: str,
    details: _Details,
    plan_in: PlanIn,
    outcomes: list[str],
    themes: list[ThemeIn],
    user: User | None,
    actor: str | None,
) -> Plan:
    plan = Plan(
        slug=slug,
        title=details.title,
        short_title=details.short_title,
        description=details.description,
        period_start=details.period_start,
        period_end=details.period_end,
        board_id=details.board.id,
        status=PlanStatus.active,
        rag_scheme=details.rag_scheme,
        requires_approval=bool(plan_in.requires_approval),
        senior_responsible_owner=details.senior_responsible_owner,
    )
    session.add(plan)
    session.flush()
    for position, outcome in enumerate(outcomes, start=1):
        session.add(Outcome(plan_id=plan.id, position=position, title=outcome))
    known = _groups_named(session, {t.delivery_group for t in themes if t.delivery_group})
    records = []
    for position, theme_in in enumerate(themes, start=1):
        group = _group(
            session, theme_in.delivery_group, known=known, plan=plan, user=user, actor=actor
        )
        theme = _insert_theme(session, plan=plan, position=position, theme_in=theme_in, group=group)
        records.append(_theme_record(theme, group, theme_in.commitments))
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="create_plan",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"Created the plan {plan.title} ({plan.slug})",
        after=_details_record(plan, details.board)
        | {
            "slug": plan.slug,
            "status": plan.status,
            "requires_approval": plan.requires_approval,
            "outcomes": outcomes,
            "themes": records,
        },
    )
    return plan


# --- Edit later --------------------------------------------------------------------------------


def update_plan_details(
    *,
    session: Session,
    plan: Plan,
    details_in: PlanDetailsIn,
    user: User | None,
    actor: str | None = None,
) -> Plan:
    """Change a plan's title, short title, description, period, board or rating scheme.

    The period must still hold every recorded update, and a plan whose updates use the
    five-point scale's in-between ratings keeps that scale."""
    errors: dict[str, str] = {}
    details = _check_details(session, details_in, errors)
    first, last = session.exec(
        select(func.min(StatusUpdate.effective_on), func.max(StatusUpdate.effective_on))
        .join(Action, Action.id == StatusUpdate.action_id)
        .where(Action.plan_id == plan.id)
    ).one()
    if first and details.period_start and details.period_start > first:
        errors.setdefault(
            "period_start",
            f"Updates to this plan take effect from {uk_date(first)}: the start date must be "
            "on or before then",
        )
    if last and details.period_end and details.period_end < last:
        errors.setdefault(
            "period_end",
            f"Updates to this plan take effect up to {uk_date(last)}: the end date must be on "
            "or after then",
        )
    if "rag_scheme" not in errors and details.rag_scheme != plan.rag_scheme:
        dropped = set(allowed_rags(plan.rag_scheme)) - set(allowed_rags(details.rag_scheme))
        used = session.exec(
            select(StatusUpdate.rag)
            .join(Action, Action.id == StatusUpdate.action_id)
            .where(Action.plan_id == plan.id, StatusUpdate.rag.in_(dropped))
            .limit(1)
        ).first()
        if used:
            labels = {r.key: r.label for r in ratings(plan.rag_scheme)}
            errors["rag_scheme"] = (
                f"Updates to this plan are rated {labels[Rag(used)]}, which "
                f"{SCHEME_NAMES[RagScheme(details.rag_scheme)]} does not have: keep "
                f"{SCHEME_NAMES[RagScheme(plan.rag_scheme)]}"
            )
    if errors:
        raise PlanRejected(errors)
    old_board = session.get(Board, plan.board_id) if plan.board_id else None
    before = _details_record(plan, old_board)
    plan.title, plan.short_title = details.title, details.short_title
    plan.description = details.description
    plan.period_start, plan.period_end = details.period_start, details.period_end
    plan.board_id, plan.rag_scheme = details.board.id, details.rag_scheme
    plan.senior_responsible_owner = details.senior_responsible_owner
    after = _details_record(plan, details.board)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return plan
    session.add(plan)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="edit_plan",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"{plan.short_title}: changed {', '.join(k.replace('_', ' ') for k in changed)}",
        before=before,
        after=after,
    )
    return plan


def replace_outcomes(
    *,
    session: Session,
    plan: Plan,
    outcomes: list[str],
    user: User | None,
    actor: str | None = None,
) -> list[Outcome]:
    """The plan's outcomes become these, in this order (nothing refers to an outcome, so the
    old rows give way to new ones)."""
    errors: dict[str, str] = {}
    cleaned = _check_outcomes(outcomes, errors)
    if errors:
        raise PlanRejected(errors)
    existing = list(
        session.exec(select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position))
    )
    before = [outcome.title for outcome in existing]
    if before == cleaned:
        return existing
    with session.begin_nested():
        for outcome in existing:
            session.delete(outcome)
        session.flush()
        created = [
            Outcome(plan_id=plan.id, position=position, title=title)
            for position, title in enumerate(cleaned, start=1)
        ]
        session.add_all(created)
        session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="edit_outcomes",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"{plan.short_title}: outcomes changed ({len(before)} before, {len(cleaned)} now)",
        before={"outcomes": before},
        after={"outcomes": cleaned},
    )
    return created


def get_theme(*, session: Session, plan: Plan, theme_id: int) -> Theme | None:
    return session.exec(select(Theme).where(Theme.id == theme_id, Theme.plan_id == plan.id)).first()


def _taken_title(session: Session, plan: Plan, title: str, *, other_than: int | None) -> bool:
    query = select(Theme.id).where(
        Theme.plan_id == plan.id, func.lower(Theme.title) == title.lower()
    )
    if other_than is not None:
        query = query.where(Theme.id != other_than)
    return session.exec(query).first() is not None


def add_theme(
    *,
    session: Session,
    plan: Plan,
    theme_in: ThemeIn,
    user: User | None,
    actor: str | None = None,
) -> Theme:
    """A new theme at the end of the plan's list."""
    errors: dict[str, str] = {}
    cleaned = _check_theme(theme_in, errors)
    if cleaned.title and _taken_title(session, plan, cleaned.title, other_than=None):
        errors["title"] = f"This plan already has a theme called '{cleaned.title}'"
    if errors:
        raise PlanRejected(errors)
    with session.begin_nested():
        position = (
            session.exec(select(func.max(Theme.position)).where(Theme.plan_id == plan.id)).one()
            or 0
        ) + 1
        known = _groups_named(session, {cleaned.delivery_group} - {""})
        group = _group(
            session, cleaned.delivery_group, known=known, plan=plan, user=user, actor=actor
        )
        theme = _insert_theme(session, plan=plan, position=position, theme_in=cleaned, group=group)
        session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="add_theme",
        entity_type="theme",
        entity_id=theme.id,
        summary=f"{plan.short_title}: added the theme {theme.title}",
        after=_theme_record(theme, group, cleaned.commitments),
    )
    return theme


def _match_commitments(
    existing: list[Commitment], lines: list[str]
) -> tuple[dict[int, Commitment], list[Commitment]]:
    """Which commitment each new line is (line index -> commitment), and those left without a
    line. Lines are aligned with the old ones as a diff aligns them: a line kept word for word
    is its commitment; where old lines were replaced by new ones in the same place, they are
    reworded in order; lines inserted are new commitments."""
    kept: dict[int, Commitment] = {}
    removed: list[Commitment] = []
    matcher = SequenceMatcher(None, [c.text for c in existing], lines, autojunk=False)
    for _tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        olds, news = existing[old_from:old_to], range(new_from, new_to)
        for commitment, index in zip(olds, news, strict=False):
            kept[index] = commitment
        removed.extend(olds[len(news) :])
    return kept, removed


def update_theme(
    *,
    session: Session,
    plan: Plan,
    theme: Theme,
    theme_in: ThemeIn,
    user: User | None,
    actor: str | None = None,
) -> Theme:
    """Rename a theme, change its vision, commitments or delivery group.

    A commitment keeps its identity, and the actions hanging from it, when its line is kept or
    reworded in its place (see _match_commitments). A commitment left without a line is
    removed, unless actions hang from it."""
    errors: dict[str, str] = {}
    cleaned = _check_theme(theme_in, errors)
    if cleaned.title and _taken_title(session, plan, cleaned.title, other_than=theme.id):
        errors["title"] = f"This plan already has another theme called '{cleaned.title}'"
    existing = list(
        session.exec(
            select(Commitment).where(Commitment.theme_id == theme.id).order_by(Commitment.position)
        )
    )
    kept, removed = _match_commitments(existing, cleaned.commitments)
    if removed:
        hanging = session.exec(
            select(Action.commitment_id, Action.ref)
            .where(Action.commitment_id.in_([c.id for c in removed]))
            .order_by(Action.position)
        ).all()
        if hanging:
            commitment = next(c for c in removed if c.id == hanging[0][0])
            refs = [ref for commitment_id, ref in hanging if commitment_id == commitment.id]
            errors.setdefault(
                "commitments",
                f"Actions {', '.join(refs)} hang from the commitment '{commitment.text}': keep "
                "its line",
            )
    if errors:
        raise PlanRejected(errors)
    old_group = (
        session.get(DeliveryGroup, theme.delivery_group_id) if theme.delivery_group_id else None
    )
    before = _theme_record(theme, old_group, [c.text for c in existing])
    with session.begin_nested():
        known = _groups_named(session, {cleaned.delivery_group} - {""})
        group = _group(
            session, cleaned.delivery_group, known=known, plan=plan, user=user, actor=actor
        )
        theme.title, theme.vision = cleaned.title, cleaned.vision
        theme.delivery_group_id = group.id if group else None
        theme.senior_responsible_owner = cleaned.senior_responsible_owner
        session.add(theme)
        for commitment in removed:
            session.delete(commitment)
        # Positions are unique per theme: park the kept ones out of the way, then number them.
        for commitment in kept.values():
            commitment.position = -commitment.id
            session.add(commitment)
        session.flush()
        for index, text in enumerate(cleaned.commitments):
            commitment = kept.get(index) or Commitment(theme_id=theme.id, position=0, text=text)
            commitment.position, commitment.text = index + 1, text
            session.add(commitment)
        session.flush()
    after = _theme_record(theme, group, cleaned.commitments)
    if after != before:
        changed = [key for key in after if after[key] != before[key]]
        record_event(
            session,
            user=user,
            actor=actor,
            verb="edit_theme",
            entity_type="theme",
            entity_id=theme.id,
            summary=f"{plan.short_title}, theme {theme.title}: changed "
            + ", ".join(key.replace("_", " ") for key in changed),
            before=before,
            after=after,
        )
    return theme


def move_theme(
    *,
    session: Session,
    plan: Plan,
    theme: Theme,
    direction: str,
    user: User | None,
    actor: str | None = None,
) -> None:
    """Swap a theme with the one before ("up") or after ("down") it; at either end, nothing."""
    if direction not in ("up", "down"):
        raise PlanRejected({"direction": "Choose whether to move the theme up or down"})
    themes = list(
        session.exec(select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position))
    )
    index = next(i for i, t in enumerate(themes) if t.id == theme.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(themes):
        return
    other = themes[other_index]
    before = [t.title for t in themes]
    with session.begin_nested():
        mine, theirs = theme.position, other.position
        theme.position = -theme.id  # positions are unique per plan
        session.add(theme)
        session.flush()
        other.position = mine
        session.add(other)
        session.flush()
        theme.position = theirs
        session.add(theme)
        session.flush()
    themes[index], themes[other_index] = themes[other_index], themes[index]
    record_event(
        session,
        user=user,
        actor=actor,
        verb="reorder_themes",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"{plan.short_title}: moved the theme {theme.title} {direction}",
        before={"themes": before},
        after={"themes": [t.title for t in themes]},
    )


# --- Close and reopen --------------------------------------------------------------------------


def close_plan(
    *, session: Session, plan: Plan, user: User | None, actor: str | None = None
) -> Plan:
    """Close the plan: its updates are frozen (app.domain.updates refuses them), so its reports
    stay as they are, read as at its end date."""
    if plan.status == PlanStatus.closed:
        raise PlanRejected({"status": f"{plan.short_title} is already closed"})
    before = {"status": plan.status}
    plan.status = PlanStatus.closed
    session.add(plan)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="close_plan",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"Closed {plan.short_title}: its updates are frozen",
        before=before,
        after={"status": plan.status},
    )
    return plan


def reopen_plan(
    *,
    session: Session,
    plan: Plan,
    reason: str,
    user: User | None,
    actor: str | None = None,
) -> Plan:
    """Reopen a closed plan, for a reason the audit log keeps."""
    errors: dict[str, str] = {}
    reason = _text(reason)
    if plan.status != PlanStatus.closed:
        errors["status"] = f"{plan.short_title} is not closed"
    if not reason:
        errors["reason"] = "Enter why the plan is being reopened"
    else:
        _length(errors, "reason", reason, MAX_REASON, "the reason")
    if errors:
        raise PlanRejected(errors)
    plan.status = PlanStatus.active
    session.add(plan)
    session.flush()
    record_event(
        session,
        user=user,
        actor=actor,
        verb="reopen_plan",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"Reopened {plan.short_title}: {reason}",
        before={"status": PlanStatus.closed.value},
        after={"status": plan.status, "reason": reason},
    )
    return plan


# --- What the pages show -----------------------------------------------------------------------


@dataclass
class PlanFormChoices:
    boards: list[Board]
    delivery_groups: list[str]
    schemes: list[tuple[str, str, str]]  # key, name, its ratings: the radios' options


def plan_form_choices(*, session: Session) -> PlanFormChoices:
    return PlanFormChoices(
        boards=list(session.exec(select(Board).order_by(Board.name))),
        delivery_groups=list(session.exec(select(DeliveryGroup.name).order_by(DeliveryGroup.name))),
        schemes=[
            (
                scheme.value,
                SCHEME_NAMES[scheme],
                ", ".join(rating.label for rating in ratings(scheme)),
            )
            for scheme in RagScheme
        ],
    )


@dataclass
class ThemeSettings:
    theme: Theme
    delivery_group: DeliveryGroup | None
    commitments: list[Commitment]
    action_count: int


@dataclass
class PlanSettings:
    plan: Plan
    board: Board | None
    outcomes: list[Outcome]
    themes: list[ThemeSettings]
    state_text: str
    awaits_closing: bool
    scheme_name: str


def read_plan_settings(*, session: Session, plan: Plan, today: date | None = None) -> PlanSettings:
    themes = list(
        session.exec(select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position))
    )
    theme_ids = [theme.id for theme in themes]
    group_ids = {theme.delivery_group_id for theme in themes} - {None}
    groups = {
        group.id: group
        for group in session.exec(select(DeliveryGroup).where(DeliveryGroup.id.in_(group_ids)))
    }
    commitments: dict[int, list[Commitment]] = {theme_id: [] for theme_id in theme_ids}
    for commitment in session.exec(
        select(Commitment)
        .where(Commitment.theme_id.in_(theme_ids))
        .order_by(Commitment.theme_id, Commitment.position)
    ):
        commitments[commitment.theme_id].append(commitment)
    counts = dict(
        session.exec(
            select(Action.theme_id, func.count())
            .where(Action.plan_id == plan.id)
            .group_by(Action.theme_id)
        ).all()
    )
    return PlanSettings(
        plan=plan,
        board=session.get(Board, plan.board_id) if plan.board_id else None,
        outcomes=list(
            session.exec(
                select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
            )
        ),
        themes=[
            ThemeSettings(
                theme=theme,
                delivery_group=groups.get(theme.delivery_group_id),
                commitments=commitments[theme.id],
                action_count=counts.get(theme.id, 0),
            )
            for theme in themes
        ],
        state_text=plan_state_text(plan, today),
        awaits_closing=awaits_closing(plan, today),
        scheme_name=SCHEME_NAMES[RagScheme(plan.rag_scheme)],
    )


def details_of(*, session: Session, plan: Plan) -> PlanDetailsIn:
    """A plan's details as its edit form starts."""
    board = session.get(Board, plan.board_id) if plan.board_id else None
    return PlanDetailsIn(
        title=plan.title,
        short_title=plan.short_title,
        description=plan.description,
        period_start=plan.period_start,
        period_end=plan.period_end,
        board=board.short_name if board else "",
        rag_scheme=plan.rag_scheme,
        senior_responsible_owner=plan.senior_responsible_owner,
    )


def theme_in_of(*, session: Session, theme: Theme) -> ThemeIn:
    """A theme as its edit form starts."""
    group = session.get(DeliveryGroup, theme.delivery_group_id) if theme.delivery_group_id else None
    return ThemeIn(
        title=theme.title,
        vision=theme.vision,
        commitments=list(
            session.exec(
                select(Commitment.text)
                .where(Commitment.theme_id == theme.id)
                .order_by(Commitment.position)
            )
        ),
        delivery_group=group.name if group else "",
        senior_responsible_owner=theme.senior_responsible_owner,
    )
