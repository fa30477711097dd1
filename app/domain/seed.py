"""Load the demo data in seed_data/ (YAML reviewed like code) into the database.

Every file is validated against the schemas below before anything is written, references are
resolved by name, and the whole load is one transaction: a bad file changes nothing. Loading is
idempotent: anything already present (matched by its natural key) is left as it is.
"""

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session, select

from app.core.config import PROJECT_ROOT
from app.core.models import (
    Action,
    ActionPartner,
    Board,
    Commitment,
    DeliveryGroup,
    Indicator,
    IndicatorValue,
    Meeting,
    Milestone,
    Organisation,
    OrganisationKind,
    Outcome,
    Person,
    Plan,
    PlanIndicator,
    PlanStatus,
    RagScheme,
    Role,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.core.passwords import hash_password
from app.domain.people import Directory
from app.domain.rag import allowed_rags
from app.domain.timescales import TimescaleError, read_timescale

SEED_DIRECTORY = PROJECT_ROOT / "seed_data"


class SeedError(Exception):
    pass


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganisationIn(Strict):
    short_name: str
    name: str
    kind: OrganisationKind = OrganisationKind.other


class MeetingIn(Strict):
    held_on: date
    title: str
    update_deadline: date | None = None


class BoardIn(Strict):
    short_name: str
    name: str
    description: str = ""
    meetings: list[MeetingIn] = []


class DeliveryGroupIn(Strict):
    name: str
    board: str | None = None
    lead_organisation: str | None = None
    lead_role: str | None = None


class PersonRef(Strict):
    organisation: str
    role: str


class UserIn(Strict):
    email: str
    display_name: str
    role: Role
    password: str = Field(min_length=12)
    person: PersonRef | None = None


class UpdateIn(Strict):
    effective: date
    stage: Stage
    rag: str | None = None
    commentary: str = ""
    corrective_action: str = ""
    recorded_by: str | None = None

    @model_validator(mode="after")
    def rag_rules(self) -> "UpdateIn":
        if self.rag is not None and self.stage != Stage.in_progress:
            raise ValueError(
                f"a RAG rating is only given to an action in progress, not {self.stage}"
            )
        if self.rag == "red" and not self.corrective_action.strip():
            raise ValueError("a Red rating needs a corrective action")
        return self


class CarriedFrom(Strict):
    plan: str
    ref: str


class ActionIn(Strict):
    ref: str
    title: str
    description: str = ""
    commitment: str | None = None
    lead_organisation: str
    lead_role: str
    partners: list[str] = []
    start: date | None = None
    due: date | str
    provenance: Literal["document", "illustrative"]
    carried_forward_from: CarriedFrom | None = None
    updates: list[UpdateIn] = []


class CommitmentIn(Strict):
    text: str
    key: str | None = None


class ThemeIn(Strict):
    title: str
    delivery_group: str | None = None
    vision: str = ""
    senior_responsible_owner: str = ""
    commitments: list[CommitmentIn] = []
    actions: list[ActionIn] = []


class MilestoneIn(Strict):
    title: str
    due: date | str
    action: str | None = None
    achieved_on: date | None = None


class PeriodIn(Strict):
    start: date
    end: date


class PlanIn(Strict):
    slug: str
    title: str
    short_title: str
    board: str | None = None
    period: PeriodIn
    status: PlanStatus = PlanStatus.draft
    rag_scheme: RagScheme = RagScheme.rag3
    requires_approval: bool = False
    predecessor: str | None = None
    launched_on: date | None = None
    description: str = ""
    source: str = ""
    senior_responsible_owner: str = ""
    outcomes: list[str] = []
    themes: list[ThemeIn] = []
    milestones: list[MilestoneIn] = []
    indicators: list[str] = []


class MeasureIn(Strict):
    value: float
    label: str = ""


class IndicatorValueIn(Strict):
    period: str
    period_end: date
    value: float
    # When the figure was published; the end of its period when not given.
    published: date | None = None
    note: str = ""

    @model_validator(mode="after")
    def published_after_period(self) -> "IndicatorValueIn":
        if self.published is not None and self.published < self.period_end:
            raise ValueError(
                f"published {self.published} is before the period ends ({self.period_end})"
            )
        return self


class IndicatorIn(Strict):
    key: str
    title: str
    unit: str
    better: Literal["higher", "lower", "neither"]
    data_source: str
    lag_note: str | None = None
    geography: str = ""
    baseline: MeasureIn | None = None
    target: MeasureIn | None = None
    illustrative: bool = False
    values: list[IndicatorValueIn] = []


class SeedFiles(Strict):
    organisations: list[OrganisationIn]
    boards: list[BoardIn]
    delivery_groups: list[DeliveryGroupIn]
    users: list[UserIn]
    indicators: list[IndicatorIn]
    plans: list[PlanIn]


def _read_yaml(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
    except FileNotFoundError:
        raise SeedError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(content, dict):
        raise SeedError(f"{path}: expected a mapping at the top level")
    return content


def _validate(model: type[BaseModel], data: object, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors()
        )
        raise SeedError(f"{where}: {problems}") from None


def read_seed_files(directory: Path = SEED_DIRECTORY) -> SeedFiles:
    boards = _read_yaml(directory / "boards.yaml")
    plans = [
        _validate(PlanIn, _read_yaml(path), str(path))
        for path in sorted((directory / "plans").glob("*.yaml"))
    ]
    return _validate(
        SeedFiles,
        {
            "organisations": _read_yaml(directory / "organisations.yaml").get("organisations", []),
            "boards": boards.get("boards", []),
            "delivery_groups": boards.get("delivery_groups", []),
            "users": _read_yaml(directory / "users.yaml").get("users", []),
            "indicators": _read_yaml(directory / "indicators.yaml").get("indicators", []),
            "plans": [plan.model_dump() for plan in plans],
        },
        str(directory),
    )


def _due(value: date | str, where: str) -> tuple[date, str]:
    """The due date and, for a period such as Q4 2017/18, its label."""
    try:
        timescale = read_timescale(value)
    except TimescaleError as error:
        raise SeedError(f"{where}: {error}") from None
    if timescale is None:
        raise SeedError(f"{where}: the due date is blank")
    return timescale.end, timescale.label


class _Loader:
    def __init__(self, session: Session, seed: SeedFiles) -> None:
        self.session = session
        self.seed = seed
        self.directory = Directory(session)
        # The organisations seed files may name: those in organisations.yaml.
        self.listed: set[int] = set()
        self.boards: dict[str, Board] = {}
        self.groups: dict[str, DeliveryGroup] = {}
        self.users: dict[str, User] = {}
        # One count, shared with the directory, so the report lists in order all that was made.
        self.created = self.directory.created

    def _count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    def _add(self, row, what: str):
        self.session.add(row)
        self.session.flush()
        self._count(what)
        return row

    def organisation(self, name: str, where: str) -> Organisation:
        found = self.directory.find_organisation(name)
        if found is None or found.id not in self.listed:
            raise SeedError(f"{where}: unknown organisation '{name}'")
        return found

    def person(self, organisation: str, role: str, where: str) -> Person:
        return self.directory.person(self.organisation(organisation, where).id, role)

    def load(self) -> dict[str, int]:
        for item in self.seed.organisations:
            organisation = self.directory.organisation(
                item.short_name, name=item.name, kind=item.kind
            )
            self.listed.add(organisation.id)
        for item in self.seed.boards:
            self._board(item)
        for item in self.seed.delivery_groups:
            self._group(item)
        for item in self.seed.users:
            self._user(item)
        for item in self.seed.indicators:
            self._indicator(item)
        plans = {plan.slug: plan for plan in self.seed.plans}
        # Predecessors first, so carried-forward links resolve.
        for slug in _predecessor_order(plans):
            self._plan(plans[slug])
        return self.created

    def _board(self, item: BoardIn) -> None:
        board = self.session.exec(select(Board).where(Board.short_name == item.short_name)).first()
        if board is None:
            board = self._add(
                Board(short_name=item.short_name, name=item.name, description=item.description),
                "boards",
            )
        self.boards[item.short_name] = board
        held = set(self.session.exec(select(Meeting.held_on).where(Meeting.board_id == board.id)))
        for meeting in item.meetings:
            if meeting.held_on not in held:
                self._add(Meeting(board_id=board.id, **meeting.model_dump()), "meetings")

    def _board_id(self, short_name: str | None, where: str) -> int | None:
        if short_name is None:
            return None
        if short_name not in self.boards:
            raise SeedError(f"{where}: unknown board '{short_name}'")
        return self.boards[short_name].id

    def _group(self, item: DeliveryGroupIn) -> None:
        where = f"delivery group '{item.name}'"
        group = self.session.exec(
            select(DeliveryGroup).where(DeliveryGroup.name == item.name)
        ).first()
        if group is None:
            lead = None
            if item.lead_organisation and item.lead_role:
                lead = self.person(item.lead_organisation, item.lead_role, where)
            group = self._add(
                DeliveryGroup(
                    name=item.name,
                    board_id=self._board_id(item.board, where),
                    lead_person_id=lead.id if lead else None,
                ),
                "delivery groups",
            )
        self.groups[item.name] = group

    def _user(self, item: UserIn) -> None:
        email = item.email.lower()
        user = self.session.exec(select(User).where(User.email == email)).first()
        if user is None:
            person = (
                self.person(item.person.organisation, item.person.role, f"user {email}")
                if item.person
                else None
            )
            user = self._add(
                User(
                    email=email,
                    display_name=item.display_name,
                    role=item.role,
                    person_id=person.id if person else None,
                    password_hash=hash_password(item.password),
                    created_at=datetime.now(UTC),
                ),
                "users",
            )
        self.users[email] = user

    def _indicator(self, item: IndicatorIn) -> None:
        exists = self.session.exec(select(Indicator).where(Indicator.key == item.key)).first()
        if exists:
            return
        indicator = self._add(
            Indicator(
                key=item.key,
                title=item.title,
                unit=item.unit,
                better=item.better,
                data_source=item.data_source,
                lag_note=item.lag_note or "",
                geography=item.geography,
                baseline_value=item.baseline.value if item.baseline else None,
                baseline_label=item.baseline.label if item.baseline else "",
                target_value=item.target.value if item.target else None,
                target_label=item.target.label if item.target else "",
                is_illustrative=item.illustrative,
            ),
            "indicators",
        )
        for value in item.values:
            self._add(
                IndicatorValue(
                    indicator_id=indicator.id,
                    period_label=value.period,
                    period_end=value.period_end,
                    value=value.value,
                    note=value.note,
                    published_on=value.published or value.period_end,
                ),
                "indicator values",
            )

    def _plan(self, item: PlanIn) -> None:
        if self.session.exec(select(Plan).where(Plan.slug == item.slug)).first():
            return
        where = f"plan {item.slug}"
        predecessor = None
        if item.predecessor:
            predecessor = self.session.exec(
                select(Plan).where(Plan.slug == item.predecessor)
            ).first()
            if predecessor is None:
                raise SeedError(f"{where}: unknown predecessor '{item.predecessor}'")
        plan = self._add(
            Plan(
                slug=item.slug,
                title=item.title,
                short_title=item.short_title,
                description=item.description,
                period_start=item.period.start,
                period_end=item.period.end,
                board_id=self._board_id(item.board, where),
                status=item.status,
                rag_scheme=item.rag_scheme,
                requires_approval=item.requires_approval,
                launched_on=item.launched_on,
                predecessor_id=predecessor.id if predecessor else None,
                source=item.source,
                senior_responsible_owner=item.senior_responsible_owner,
            ),
            "plans",
        )
        for position, title in enumerate(item.outcomes, start=1):
            self._add(Outcome(plan_id=plan.id, position=position, title=title), "outcomes")
        known_indicators = {indicator.key for indicator in self.seed.indicators}
        for position, key in enumerate(item.indicators, start=1):
            if key not in known_indicators:
                raise SeedError(f"{where}: unknown indicator '{key}'")
            self._add(
                PlanIndicator(plan_id=plan.id, indicator_key=key, position=position),
                "plan indicators",
            )
        refs: dict[str, Action] = {}
        action_position = 0
        for theme_position, theme_in in enumerate(item.themes, start=1):
            group = None
            if theme_in.delivery_group:
                group = self.groups.get(theme_in.delivery_group)
                if group is None:
                    raise SeedError(
                        f"{where}, theme '{theme_in.title}': unknown delivery group "
                        f"'{theme_in.delivery_group}'"
                    )
            theme = self._add(
                Theme(
                    plan_id=plan.id,
                    position=theme_position,
                    title=theme_in.title,
                    vision=theme_in.vision,
                    delivery_group_id=group.id if group else None,
                    senior_responsible_owner=theme_in.senior_responsible_owner,
                ),
                "themes",
            )
            commitments: dict[str, Commitment] = {}
            for position, commitment_in in enumerate(theme_in.commitments, start=1):
                commitment = self._add(
                    Commitment(theme_id=theme.id, position=position, text=commitment_in.text),
                    "commitments",
                )
                if commitment_in.key:
                    commitments[commitment_in.key] = commitment
            for action_in in theme_in.actions:
                action_position += 1
                action_where = f"{where}, action {action_in.ref}"
                if action_in.ref in refs:
                    raise SeedError(f"{action_where}: ref used twice in the plan")
                refs[action_in.ref] = self._action(
                    plan, theme, commitments, action_in, action_position, action_where
                )
        for milestone_in in item.milestones:
            due_date, due_label = _due(milestone_in.due, f"{where}, milestone")
            action_id = None
            if milestone_in.action:
                if milestone_in.action not in refs:
                    raise SeedError(
                        f"{where}, milestone '{milestone_in.title}': "
                        f"unknown action '{milestone_in.action}'"
                    )
                action_id = refs[milestone_in.action].id
            self._add(
                Milestone(
                    plan_id=plan.id,
                    action_id=action_id,
                    title=milestone_in.title,
                    due_date=due_date,
                    due_label=due_label,
                    achieved_on=milestone_in.achieved_on,
                ),
                "milestones",
            )

    def _action(
        self,
        plan: Plan,
        theme: Theme,
        commitments: dict[str, Commitment],
        item: ActionIn,
        position: int,
        where: str,
    ) -> Action:
        due_date, due_label = _due(item.due, where)
        lead = self.person(item.lead_organisation, item.lead_role, where)
        commitment_id = None
        if item.commitment:
            if item.commitment not in commitments:
                raise SeedError(f"{where}: unknown commitment '{item.commitment}'")
            commitment_id = commitments[item.commitment].id
        carried_from = None
        if item.carried_forward_from:
            carried_from = self.session.exec(
                select(Action)
                .join(Plan, Plan.id == Action.plan_id)
                .where(
                    Plan.slug == item.carried_forward_from.plan,
                    Action.ref == item.carried_forward_from.ref,
                )
            ).first()
            if carried_from is None:
                raise SeedError(
                    f"{where}: carried forward from unknown action "
                    f"{item.carried_forward_from.plan} {item.carried_forward_from.ref}"
                )
        action = self._add(
            Action(
                plan_id=plan.id,
                theme_id=theme.id,
                commitment_id=commitment_id,
                ref=item.ref,
                position=position,
                title=item.title,
                description=item.description,
                lead_organisation_id=lead.organisation_id,
                lead_person_id=lead.id,
                start_date=item.start,
                due_date=due_date,
                due_label=due_label,
                carried_forward_from_id=carried_from.id if carried_from else None,
                provenance=item.provenance,
                version=1 + len(item.updates),
            ),
            "actions",
        )
        for partner in item.partners:
            organisation = self.organisation(partner, where)
            self._add(
                ActionPartner(action_id=action.id, organisation_id=organisation.id), "partners"
            )
        rags = allowed_rags(plan.rag_scheme)
        for update in item.updates:
            if update.rag is not None and update.rag not in rags:
                raise SeedError(
                    f"{where}, update of {update.effective}: RAG '{update.rag}' is not in the "
                    f"plan's scheme ({', '.join(rags)})"
                )
            author = None
            if update.recorded_by:
                author = self.users.get(update.recorded_by.lower())
                if author is None:
                    raise SeedError(f"{where}: unknown user '{update.recorded_by}'")
            self._add(
                StatusUpdate(
                    action_id=action.id,
                    recorded_by_id=author.id if author else None,
                    recorded_at=datetime.combine(update.effective, time(12), tzinfo=UTC),
                    effective_on=update.effective,
                    stage=update.stage,
                    rag=update.rag,
                    commentary=update.commentary,
                    corrective_action=update.corrective_action,
                ),
                "status updates",
            )
        return action


def _predecessor_order(plans: dict[str, PlanIn]) -> list[str]:
    ordered: list[str] = []

    def visit(slug: str, trail: tuple[str, ...]) -> None:
        if slug in ordered or slug not in plans:
            return
        if slug in trail:
            raise SeedError(f"plans refresh each other in a circle: {' -> '.join(trail)}")
        predecessor = plans[slug].predecessor
        if predecessor:
            visit(predecessor, (*trail, slug))
        ordered.append(slug)

    for slug in plans:
        visit(slug, ())
    return ordered


def load_seed(session: Session, directory: Path = SEED_DIRECTORY) -> dict[str, int]:
    """Validate every file, then load what is missing; the caller commits."""
    seed = read_seed_files(directory)
    return _Loader(session, seed).load()


def database_is_empty(session: Session) -> bool:
    return session.exec(select(Plan.id).limit(1)).first() is None
