"""Importing a plan's actions from a table: validate every row, preview, then write all or nothing.

Rows are matched to the plan's actions by ref. A blank cell changes nothing on an existing
action; unknown themes, organisations and lead roles are created. A status update is appended
only when the row's stage, RAG or commentary differs from the action's latest, so importing the
same file twice changes nothing the second time.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    Organisation,
    Person,
    Plan,
    ReviewState,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.audit import record_event
from app.domain.people import Directory, name_key
from app.domain.rag import RAG_LABELS, STAGE_LABELS, allowed_rags
from app.domain.status import latest_updates_as_at
from app.domain.timescales import TimescaleError, read_timescale
from app.imports.columns import FIELDS, propose_mapping
from app.imports.reading import Row, Table, is_blank
from app.imports.values import BLUE, ValueProblem, parse_rag, parse_status, text_of

REQUIRED_COLUMNS = ("ref",)
_HEADING_PREFIX = re.compile(
    r"^(?:theme|priority|strand|section|workstream)\s*\d*\s*[:.\-–]\s*", re.IGNORECASE
)
# The longest text each field may hold: the width of the column that stores it.
LIMITS = {
    "ref": Action.__table__.c.ref.type.length,
    "title": Action.__table__.c.title.type.length,
    "theme": Theme.__table__.c.title.type.length,
    "lead_organisation": Organisation.__table__.c.name.type.length,
    "lead_role": Person.__table__.c.role.type.length,
    "due_label": Action.__table__.c.due_label.type.length,
}


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [part for part in (f"row {self.row}" if self.row else None, self.column) if part]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(error) for error in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"nothing was imported: {shown}{more}")


@dataclass
class StatusIn:
    stage: Stage
    rag: str | None
    commentary: str
    corrective_action: str


@dataclass
class RowIn:
    """One row as validated: None means the cell was blank (an existing action keeps its value)."""

    number: int
    ref: str
    theme: str | None = None
    title: str | None = None
    description: str | None = None
    lead_organisation: str | None = None
    lead_role: str | None = None
    partners: list[str] | None = None
    start: date | None = None
    due: date | None = None
    due_label: str | None = None
    stage: Stage | None = None
    rag: str | None = None
    commentary: str | None = None
    corrective_action: str | None = None


@dataclass
class ActionChange:
    row: int
    ref: str
    title: str
    theme: str
    is_new: bool
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    status: StatusIn | None = None

    def describe(self) -> str:
        parts = []
        if self.changes:
            parts.append(
                ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in self.changes.items())
            )
        if self.status:
            label = STAGE_LABELS[self.status.stage]
            if self.status.rag:
                label += f", {RAG_LABELS[self.status.rag]}"
            parts.append(f"status: {label}")
        verb = "create" if self.is_new else "update"
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"row {self.row}: {verb} {self.ref} {self.title} [{self.theme}]{detail}"


@dataclass
class ImportPreview:
    plan_id: int
    plan_slug: str
    filename: str
    headers: list[str]
    mapping: dict[str, int]
    effective_on: date
    errors: list[RowError] = field(default_factory=list)
    creates: list[ActionChange] = field(default_factory=list)
    updates: list[ActionChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_themes: list[str] = field(default_factory=list)
    new_organisations: list[str] = field(default_factory=list)
    new_people: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    user_id: int | None = None

    @property
    def changes_nothing(self) -> bool:
        return not (
            self.creates
            or self.updates
            or self.new_themes
            or self.new_organisations
            or self.new_people
        )

    def describe_mapping(self) -> list[str]:
        used = {index: name for name, index in self.mapping.items()}
        lines = []
        for index, header in enumerate(self.headers):
            if not header:
                continue
            target = FIELDS[used[index]] if index in used else "(not imported)"
            lines.append(f"  {header} -> {target}")
        missing = [FIELDS[name] for name in FIELDS if name not in self.mapping]
        if missing:
            lines.append(f"  (no column for: {', '.join(missing)})")
        return lines

    def describe(self) -> list[str]:
        lines = [
            f"Import {self.filename} into {self.plan_slug} "
            f"(status updates effective {self.effective_on.isoformat()})",
            *(f"Note: {note}" for note in (self.table.notes if self.table else [])),
            "Columns:",
            *self.describe_mapping(),
        ]
        if self.errors:
            lines.append(f"Problems ({len(self.errors)}):")
            lines.extend(f"  {error}" for error in self.errors)
            return lines
        if self.new_themes:
            lines.append("New themes: " + ", ".join(self.new_themes))
        if self.new_organisations:
            lines.append("New organisations: " + ", ".join(self.new_organisations))
        if self.new_people:
            lines.append(
                "New lead roles: " + ", ".join(f"{role} ({org})" for org, role in self.new_people)
            )
        lines.append(f"Create ({len(self.creates)}):")
        lines.extend(f"  {change.describe()}" for change in self.creates)
        lines.append(f"Update ({len(self.updates)}):")
        lines.extend(f"  {change.describe()}" for change in self.updates)
        if self.unchanged:
            lines.append(f"Unchanged ({len(self.unchanged)}): {', '.join(self.unchanged)}")
        return lines


def _clean(value) -> str:
    return " ".join(text_of(value).split())


def _split_partners(value) -> list[str]:
    text = text_of(value).replace("\n", ",").replace(";", ",")
    seen: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name and name_key(name) not in seen:
            seen[name_key(name)] = name
    return list(seen.values())


class _Checker:
    """Turns the rows into RowIn values, collecting every problem instead of stopping at one."""

    def __init__(self, session: Session, plan: Plan, table: Table, mapping: dict[str, int]):
        self.session = session
        self.plan = plan
        self.table = table
        self.mapping = mapping
        self.errors: list[RowError] = []
        self.failed: set[tuple[int | None, str | None]] = set()  # (row, field) already reported
        self.rags = allowed_rags(plan.rag_scheme)

    def column(self, name: str) -> str:
        index = self.mapping.get(name)
        if index is not None and index < len(self.table.headers) and self.table.headers[index]:
            return self.table.headers[index]
        return FIELDS[name]

    def error(self, row: int | None, name: str | None, message: str) -> None:
        self.errors.append(RowError(row, self.column(name) if name else None, message))
        self.failed.add((row, name))

    def cell(self, row: Row, name: str):
        index = self.mapping.get(name)
        if index is None or index >= len(row.values):
            return None
        value = row.values[index]
        return None if is_blank(value) else value

    def check_mapping(self) -> bool:
        problems = False
        width = len(self.table.headers)
        seen: dict[int, str] = {}
        for name, index in self.mapping.items():
            if name not in FIELDS:
                self.error(None, None, f"'{name}' is not a field plantrack imports")
                problems = True
            elif not 0 <= index < width:
                self.error(None, None, f"{FIELDS[name]} is mapped to a column the file lacks")
                problems = True
            elif index in seen:
                self.error(
                    None,
                    None,
                    f"column '{self.table.headers[index]}' is mapped to both "
                    f"{FIELDS[seen[index]]} and {FIELDS[name]}",
                )
                problems = True
            else:
                seen[index] = name
        for name in REQUIRED_COLUMNS:
            if name not in self.mapping:
                self.error(
                    None,
                    None,
                    f"no column holds the {FIELDS[name]}, which matches each row to its action "
                    f"(the file's columns: {', '.join(h for h in self.table.headers if h)})",
                )
                problems = True
        return not problems

    def rows(self) -> list[RowIn]:
        self.check_mapping_passed = self.check_mapping()
        if not self.check_mapping_passed:
            return []
        parsed: list[RowIn] = []
        first_row_of: dict[str, int] = {}
        heading: str | None = None
        theme_index = self.mapping.get("theme")
        ref_index = self.mapping.get("ref")
        for row in self.table.rows:
            if row.lone_value is not None:
                index, text = row.lone_value
                # A row holding one text alone, such as "Theme 1: Prevention" (often merged
                # across the sheet), is a section heading: the theme of the rows below it.
                looks_like_ref = len(text) <= LIMITS["ref"] and " " not in text
                if index in (0, theme_index) and not (index == ref_index and looks_like_ref):
                    heading = _HEADING_PREFIX.sub("", text) or text
                    continue
            ref = _clean(self.cell(row, "ref"))
            if not ref:
                self.error(row.number, "ref", "every action needs a ref")
                continue
            if len(ref) > LIMITS["ref"]:
                self.error(
                    row.number, "ref", f"'{ref[:40]}' is longer than {LIMITS['ref']} characters"
                )
                continue
            if ref in first_row_of:
                self.error(row.number, "ref", f"'{ref}' is also on row {first_row_of[ref]}")
                continue
            first_row_of[ref] = row.number
            parsed.append(self.row(row, ref, heading))
        return parsed

    def text(self, row: Row, name: str) -> str | None:
        value = self.cell(row, name)
        if value is None:
            return None
        text = _clean(value) if name != "description" and name != "commentary" else (text_of(value))
        limit = LIMITS.get(name)
        if limit and len(text) > limit:
            self.error(row.number, name, f"'{text[:20]}...' is longer than {limit} characters")
        return text

    def row(self, row: Row, ref: str, heading: str | None) -> RowIn:
        item = RowIn(number=row.number, ref=ref)
        item.theme = self.text(row, "theme")
        if item.theme is None and heading:
            item.theme = heading
            if len(heading) > LIMITS["theme"]:
                self.error(
                    row.number,
                    "theme",
                    f"the heading '{heading[:20]}...' is longer than {LIMITS['theme']} characters",
                )
        item.title = self.text(row, "title")
        item.description = self.text(row, "description")
        item.lead_organisation = self.text(row, "lead_organisation")
        item.lead_role = self.text(row, "lead_role")
        partners = self.cell(row, "partners")
        if partners is not None:
            item.partners = _split_partners(partners)
            for name in item.partners:
                if len(name) > LIMITS["lead_organisation"]:
                    self.error(row.number, "partners", f"'{name[:40]}...' is too long a name")
        for name in ("start", "due"):
            value = self.cell(row, name)
            try:
                when = read_timescale(value)
            except TimescaleError as problem:
                self.error(row.number, name, str(problem))
                continue
            if when is None:
                continue
            if name == "start":
                item.start = when.start
            else:
                item.due, item.due_label = when.end, when.label
                if len(when.label) > LIMITS["due_label"]:
                    self.error(
                        row.number,
                        name,
                        f"'{when.label[:20]}...' is longer than {LIMITS['due_label']} characters",
                    )
        if item.start and item.due and item.start > item.due:
            self.error(
                row.number,
                "start",
                f"{item.start.isoformat()} is after the due date {item.due.isoformat()}",
            )
        self.status(row, item)
        return item

    def status(self, row: Row, item: RowIn) -> None:
        stage_value, rag_value = self.cell(row, "stage"), self.cell(row, "rag")
        try:
            from_status = parse_status(stage_value)
        except ValueProblem as problem:
            self.error(row.number, "stage", str(problem))
            return
        try:
            rag = parse_rag(rag_value)
        except ValueProblem as problem:
            self.error(row.number, "rag", str(problem))
            return
        stage, status_rag = from_status if from_status else (None, None)
        if rag == BLUE:
            if stage not in (None, Stage.complete):
                self.error(
                    row.number,
                    "rag",
                    f"'{text_of(rag_value)}' means complete, but the "
                    f"{self.column('stage')} is '{text_of(stage_value)}'",
                )
                return
            stage, rag = Stage.complete, None
        if rag and status_rag and rag != status_rag:
            self.error(
                row.number,
                "rag",
                f"'{text_of(rag_value)}' disagrees with the {self.column('stage')} "
                f"'{text_of(stage_value)}'",
            )
            return
        rag = rag or status_rag
        if rag and stage is None:
            stage = Stage.in_progress
        if rag and stage != Stage.in_progress:
            self.error(
                row.number,
                "rag",
                f"'{text_of(rag_value)}' is a rating, but only an action in progress is rated "
                f"(the {self.column('stage')} is '{text_of(stage_value)}')",
            )
            return
        if rag and rag not in self.rags:
            column = "rag" if rag_value is not None else "stage"
            shown = text_of(rag_value if rag_value is not None else stage_value)
            self.error(
                row.number,
                column,
                f"'{shown}' is not a rating of this plan's scheme "
                f"({', '.join(RAG_LABELS[r] for r in self.rags)})",
            )
            return
        item.stage, item.rag = stage, rag
        item.commentary = self.text(row, "commentary")
        item.corrective_action = self.text(row, "corrective_action")
        if rag == "red" and not item.corrective_action:
            self.error(row.number, "corrective_action", "a Red rating needs a corrective action")


class _Planner:
    """Works out, against the database, what each valid row would create or change."""

    def __init__(self, session: Session, plan: Plan, checker: _Checker, effective_on: date):
        self.session = session
        self.plan = plan
        self.checker = checker
        self.effective_on = effective_on
        self.actions = {
            action.ref: action
            for action in session.exec(select(Action).where(Action.plan_id == plan.id))
        }
        self.themes = {
            name_key(theme.title): theme
            for theme in session.exec(select(Theme).where(Theme.plan_id == plan.id))
        }
        self.directory = Directory(session)
        action_ids = [a.id for a in self.actions.values()]
        self.partners: dict[int, set[int]] = {}
        if action_ids:
            for action_id, organisation_id in session.exec(
                select(ActionPartner.action_id, ActionPartner.organisation_id).where(
                    ActionPartner.action_id.in_(action_ids)
                )
            ):
                self.partners.setdefault(action_id, set()).add(organisation_id)
        self.latest = latest_updates_as_at(session=session, plan_id=plan.id, as_at=effective_on)
        self.theme_titles = {theme.id: theme.title for theme in self.themes.values()}

    def organisation_name(self, text: str) -> str:
        found = self.directory.find_organisation(text)
        return found.short_name if found else text

    def work_out(self, rows: Iterable[RowIn], preview: ImportPreview) -> None:
        new_themes: dict[str, str] = {}
        new_organisations: dict[str, str] = {}
        new_people: dict[tuple[str, str], tuple[str, str]] = {}
        error = self.checker.error
        for item in rows:
            action = self.actions.get(item.ref)
            if action is None:
                missing = [
                    name
                    for name, value in (
                        ("title", item.title),
                        ("theme", item.theme),
                        ("due", item.due),
                    )
                    if not value and (item.number, name) not in self.checker.failed
                ]
                for name in missing:
                    label = {"title": "a title", "theme": "a theme", "due": "a due date"}[name]
                    error(item.number, name, f"a new action needs {label}")
                if missing:
                    continue
            for name in [item.lead_organisation, *(item.partners or [])]:
                if name and self.directory.find_organisation(name) is None:
                    new_organisations.setdefault(name_key(name), name)
            organisation_name = item.lead_organisation
            if not organisation_name and action is not None and action.lead_organisation_id:
                organisation_name = self.directory.get_organisation(
                    action.lead_organisation_id
                ).short_name
            if item.lead_role and not organisation_name:
                error(item.number, "lead_role", "give the lead organisation too")
                continue
            if item.lead_role:
                organisation = self.directory.find_organisation(organisation_name)
                if (
                    organisation is None
                    or self.directory.find_person(organisation.id, item.lead_role) is None
                ):
                    shown_name = (
                        organisation.short_name
                        if organisation
                        else new_organisations[name_key(organisation_name)]
                    )
                    new_people.setdefault(
                        (name_key(organisation_name), name_key(item.lead_role)),
                        (shown_name, item.lead_role),
                    )
            if item.theme and name_key(item.theme) not in self.themes:
                new_themes.setdefault(name_key(item.theme), item.theme)
            change = self.change(item, action)
            if change is None:
                preview.unchanged.append(item.ref)
            elif change.is_new:
                preview.creates.append(change)
            else:
                preview.updates.append(change)
        preview.new_themes = list(new_themes.values())
        preview.new_organisations = list(new_organisations.values())
        preview.new_people = list(new_people.values())

    def change(self, item: RowIn, action: Action | None) -> ActionChange | None:
        theme_title = item.theme or self.theme_titles.get(action.theme_id, "")
        if action is None:
            return ActionChange(
                row=item.number,
                ref=item.ref,
                title=item.title,
                theme=theme_title,
                is_new=True,
                status=self.status(item, None),
            )
        changes: dict[str, tuple[str, str]] = {}

        def compare(label: str, old, new) -> None:
            if new is not None and old != new:
                changes[label] = (str(old or ""), str(new))

        compare("title", action.title, item.title)
        compare("description", action.description, item.description)
        if item.theme is not None and name_key(item.theme) != name_key(
            self.theme_titles.get(action.theme_id, "")
        ):
            changes["theme"] = (self.theme_titles.get(action.theme_id, ""), item.theme)
        if item.lead_organisation is not None:
            old = self.directory.get_organisation(action.lead_organisation_id)
            if old is None or name_key(item.lead_organisation) not in (
                name_key(old.short_name),
                name_key(old.name),
            ):
                changes["lead organisation"] = (
                    old.short_name if old else "",
                    self.organisation_name(item.lead_organisation),
                )
        if item.lead_role is not None:
            old_person = self.directory.get_person(action.lead_person_id)
            if (
                old_person is None
                or name_key(old_person.role) != name_key(item.lead_role)
                or (changes.get("lead organisation"))
            ):
                changes["lead role"] = (old_person.role if old_person else "", item.lead_role)
        if item.partners is not None:
            old_ids = self.partners.get(action.id, set())
            found = [self.directory.find_organisation(name) for name in item.partners]
            new_ids = {organisation.id for organisation in found if organisation is not None}
            if old_ids != new_ids or None in found:
                changes["partners"] = (
                    ", ".join(
                        sorted(self.directory.get_organisation(i).short_name for i in old_ids)
                    ),
                    ", ".join(self.organisation_name(name) for name in item.partners),
                )
        compare("start", action.start_date, item.start)
        compare("due", action.due_date, item.due)
        if item.due is not None and (item.due_label or item.due != action.due_date):
            compare("due label", action.due_label, item.due_label)
        start = item.start or action.start_date
        due = item.due or action.due_date
        if start and due and start > due and (item.number, "start") not in self.checker.failed:
            self.checker.error(
                item.number,
                "start" if item.start else "due",
                f"the action would start ({start.isoformat()}) after it is due ({due.isoformat()})",
            )
        status = self.status(item, self.latest.get(action.id))
        if not changes and status is None:
            return None
        return ActionChange(
            row=item.number,
            ref=item.ref,
            title=item.title or action.title,
            theme=theme_title,
            is_new=False,
            changes=changes,
            status=status,
        )

    def status(self, item: RowIn, latest: StatusUpdate | None) -> StatusIn | None:
        if item.stage is None and item.commentary is None:
            return None
        old_stage = Stage(latest.stage) if latest else Stage.not_started
        old_rag = latest.rag if latest else None
        old_commentary = latest.commentary if latest else ""
        if item.stage is None:
            stage, rag = old_stage, old_rag
        else:
            stage, rag = item.stage, item.rag
        commentary = item.commentary or ""
        # A blank commentary cell says nothing new: only a changed stage or rating is news then.
        if (
            stage == old_stage
            and rag == old_rag
            and (item.commentary is None or commentary.strip() == old_commentary.strip())
        ):
            return None
        if latest is None and stage == Stage.not_started and not commentary.strip():
            return None
        return StatusIn(
            stage=stage,
            rag=rag,
            commentary=commentary,
            corrective_action=item.corrective_action or "",
        )


def _analyse(
    session: Session,
    plan: Plan,
    table: Table,
    mapping: dict[str, int] | None,
    effective_on: date | None,
) -> ImportPreview:
    mapping = dict(propose_mapping(table.headers) if mapping is None else mapping)
    preview = ImportPreview(
        plan_id=plan.id,
        plan_slug=plan.slug,
        filename=table.filename,
        headers=table.headers,
        mapping=mapping,
        effective_on=effective_on or date.today(),
        table=table,
    )
    checker = _Checker(session, plan, table, mapping)
    rows = checker.rows()
    if checker.check_mapping_passed:
        # Run even after row errors, so that every problem of every row is listed at once.
        _Planner(session, plan, checker, preview.effective_on).work_out(rows, preview)
    if checker.errors:
        preview.creates, preview.updates, preview.unchanged = [], [], []
        preview.new_themes, preview.new_organisations, preview.new_people = [], [], []
    preview.errors = sorted(checker.errors, key=lambda e: e.row or 0)
    return preview


def validate_rows(
    session: Session, plan: Plan, table: Table, mapping: dict[str, int] | None = None
) -> list[RowError]:
    """Every problem with the rows, each naming its spreadsheet row and column; [] if none."""
    return _analyse(session, plan, table, mapping, None).errors


def plan_import(
    session: Session,
    *,
    plan: Plan,
    table: Table,
    mapping: dict[str, int] | None = None,
    effective_on: date | None = None,
    user: User | None = None,
) -> ImportPreview:
    """What importing ``table`` would create and change (a dry run); writes nothing."""
    preview = _analyse(session, plan, table, mapping, effective_on)
    preview.user_id = user.id if user else None
    return preview


@dataclass
class ImportResult:
    created: int
    updated: int
    status_updates: int


def apply_import(session: Session, preview: ImportPreview) -> ImportResult:
    """Write the preview in the caller's transaction: every row or, on any problem, none."""
    if preview.errors:
        raise ImportRefused(preview.errors)
    plan = session.get(Plan, preview.plan_id)
    # Worked out again inside this transaction, so what is written matches the database now.
    fresh = _analyse(session, plan, preview.table, preview.mapping, preview.effective_on)
    if fresh.errors:
        raise ImportRefused(fresh.errors)
    if [c.ref for c in fresh.creates] != [c.ref for c in preview.creates] or [
        c.ref for c in fresh.updates
    ] != [c.ref for c in preview.updates]:
        raise ImportRefused(
            [RowError(None, None, "the plan changed since the preview: preview the file again")]
        )
    with session.begin_nested():
        return _write(session, plan, fresh, preview.user_id)


def _write(
    session: Session, plan: Plan, preview: ImportPreview, user_id: int | None
) -> ImportResult:
    now = datetime.now(UTC)
    checker = _Checker(session, plan, preview.table, preview.mapping)
    rows = {item.ref: item for item in checker.rows()}
    directory = Directory(session)
    themes = {
        name_key(t.title): t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))
    }
    theme_position = max((t.position for t in themes.values()), default=0)

    def theme(title: str) -> Theme:
        nonlocal theme_position
        key = name_key(title)
        if key not in themes:
            theme_position += 1
            found = Theme(plan_id=plan.id, position=theme_position, title=title)
            session.add(found)
            session.flush()
            themes[key] = found
        return themes[key]

    actions = {a.ref: a for a in session.exec(select(Action).where(Action.plan_id == plan.id))}
    action_position = max((a.position for a in actions.values()), default=0)
    status_updates = 0
    for change in [*preview.creates, *preview.updates]:
        item = rows[change.ref]
        action = actions.get(change.ref)
        if action is None:
            action_position += 1
            action = Action(
                plan_id=plan.id,
                theme_id=theme(item.theme).id,
                ref=item.ref,
                position=action_position,
                title=item.title,
                description=item.description or "",
                start_date=item.start,
                due_date=item.due,
                due_label=item.due_label or "",
                provenance="import",
            )
        else:
            action.version += 1
            if item.theme is not None:
                action.theme_id = theme(item.theme).id
            if item.due is not None and (item.due_label or item.due != action.due_date):
                action.due_label = item.due_label or ""
            for name, value in (
                ("title", item.title),
                ("description", item.description),
                ("start_date", item.start),
                ("due_date", item.due),
            ):
                if value is not None:
                    setattr(action, name, value)
        lead_organisation = (
            directory.organisation(item.lead_organisation) if item.lead_organisation else None
        )
        if lead_organisation is not None:
            action.lead_organisation_id = lead_organisation.id
        if item.lead_role:
            action.lead_person_id = directory.person(action.lead_organisation_id, item.lead_role).id
        elif lead_organisation is not None and action.lead_person_id:
            old = directory.get_person(action.lead_person_id)
            if old.organisation_id != lead_organisation.id:
                action.lead_person_id = directory.person(lead_organisation.id, old.role).id
        if change.is_new and change.status is not None:
            action.version += 1  # bumped by its first update; an existing action was above
        session.add(action)
        session.flush()
        if item.partners is not None:
            wanted = {directory.organisation(name).id for name in item.partners}
            current = {
                link.organisation_id: link
                for link in session.exec(
                    select(ActionPartner).where(ActionPartner.action_id == action.id)
                )
            }
            for organisation_id in wanted - current.keys():
                session.add(ActionPartner(action_id=action.id, organisation_id=organisation_id))
            for organisation_id in current.keys() - wanted:
                session.delete(current[organisation_id])
        if change.status is not None:
            status = change.status
            session.add(
                StatusUpdate(
                    action_id=action.id,
                    recorded_by_id=user_id,
                    recorded_at=now,
                    effective_on=preview.effective_on,
                    stage=status.stage,
                    rag=status.rag,
                    commentary=status.commentary,
                    corrective_action=status.corrective_action,
                    review_state=ReviewState.approved,
                )
            )
            status_updates += 1
    if not preview.changes_nothing:
        record_event(
            session,
            user=session.get(User, user_id) if user_id else None,
            verb="import",
            entity_type="plan",
            entity_id=plan.id,
            summary=(
                f"Imported {preview.filename}: {len(preview.creates)} actions created, "
                f"{len(preview.updates)} updated"
            ),
            after={
                "created": [change.ref for change in preview.creates],
                "updated": [change.ref for change in preview.updates],
            },
        )
    session.flush()
    return ImportResult(
        created=len(preview.creates), updated=len(preview.updates), status_updates=status_updates
    )
