"""The plantrack tables: the whole domain of DESIGN.md.

Enumerations are stored as short strings with CHECK constraints rather than native enum types,
so the same schema and migrations run on SQLite and PostgreSQL and a new value is a migration
of one constraint.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Stage(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    complete = "complete"
    carried_forward = "carried_forward"
    withdrawn = "withdrawn"


class Rag(StrEnum):
    green = "green"
    amber_green = "amber_green"
    amber = "amber"
    amber_red = "amber_red"
    red = "red"


class RagScheme(StrEnum):
    rag3 = "rag3"
    dca5 = "dca5"


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"
    closed = "closed"


class ReviewState(StrEnum):
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


class OrganisationKind(StrEnum):
    police = "police"
    pcc = "pcc"
    yos = "yos"
    probation = "probation"
    council = "council"
    nhs = "nhs"
    prison = "prison"
    voluntary = "voluntary"
    government = "government"
    other = "other"


class Better(StrEnum):
    higher = "higher"
    lower = "lower"
    neither = "neither"


class ReportKind(StrEnum):
    appendix = "appendix"
    highlight = "highlight"


class TokenScope(StrEnum):
    read = "read"
    write = "write"


class ReminderKind(StrEnum):
    # Before the deadline, to each owner with updates missing.
    reminder = "reminder"
    # After the deadline (the meeting still ahead), a digest to delivery-group leads and the office.
    escalation = "escalation"


# --- The partnership and its governance -------------------------------------------------------


class Organisation(SQLModel, table=True):
    __table_args__ = (CheckConstraint(_in("kind", OrganisationKind), name="organisation_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    short_name: str = Field(unique=True, max_length=60)
    name: str = Field(unique=True, max_length=200)
    kind: str = Field(default=OrganisationKind.other, max_length=20)


class Person(SQLModel, table=True):
    """An owner is a role at an agency ("Programme Lead, Offender Management" at the OPCC)."""

    __table_args__ = (UniqueConstraint("organisation_id", "role", name="uq_person_role"),)

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str | None = Field(default=None, max_length=254)


class Board(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    short_name: str = Field(unique=True, max_length=60)
    name: str = Field(unique=True, max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class DeliveryGroup(SQLModel, table=True):
    __tablename__ = "delivery_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    board_id: int | None = Field(default=None, foreign_key="board.id", index=True)
    lead_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)


class Meeting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("board_id", "held_on", name="uq_meeting_board_date"),)

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id", index=True)
    held_on: date
    title: str = Field(max_length=200)
    # Updates are due by this date; None means the default number of working days before.
    update_deadline: date | None = None
    # A cancelled meeting stays on record but drops out of the cycle and every meeting picker.
    cancelled_at: datetime | None = None


# --- The plan ----------------------------------------------------------------------------------


class Plan(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(_in("status", PlanStatus), name="plan_status"),
        CheckConstraint(_in("rag_scheme", RagScheme), name="plan_rag_scheme"),
        CheckConstraint("period_end >= period_start", name="plan_period_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=100)
    title: str = Field(max_length=300)
    short_title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    period_start: date
    period_end: date
    board_id: int | None = Field(default=None, foreign_key="board.id", index=True)
    status: str = Field(default=PlanStatus.draft, max_length=10)
    rag_scheme: str = Field(default=RagScheme.rag3, max_length=10)
    requires_approval: bool = False
    is_public: bool = False
    launched_on: date | None = None
    predecessor_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    source: str = Field(default="", max_length=500)
    # Who answers for the plan's delivery, as the strategy names them (free text, optional):
    # "Assistant Chief Constable, Investigations and Operational Support".
    senior_responsible_owner: str = Field(default="", max_length=300)


class Outcome(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "position", name="uq_outcome_position"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    position: int
    title: str = Field(max_length=500)


class Theme(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("plan_id", "position", name="uq_theme_position"),
        UniqueConstraint("plan_id", "title", name="uq_theme_title"),
        # Target of action's composite key, so an action's theme is always of the action's plan.
        UniqueConstraint("id", "plan_id", name="uq_theme_id_plan"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    position: int
    title: str = Field(max_length=300)
    vision: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    delivery_group_id: int | None = Field(default=None, foreign_key="delivery_group.id")
    senior_responsible_owner: str = Field(default="", max_length=300)  # optional, free text


class Commitment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("theme_id", "position", name="uq_commitment_position"),)

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class Action(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("plan_id", "ref", name="uq_action_ref"),
        ForeignKeyConstraint(
            ["theme_id", "plan_id"], ["theme.id", "theme.plan_id"], name="fk_action_theme_plan"
        ),
        CheckConstraint("due_date >= start_date", name="action_dates_order"),
        CheckConstraint("version >= 1", name="action_version_positive"),
        CheckConstraint("length(ref) > 0", name="action_ref_not_empty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    theme_id: int = Field(index=True)
    commitment_id: int | None = Field(default=None, foreign_key="commitment.id")
    ref: str = Field(max_length=30)
    position: int = 0
    title: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lead_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    lead_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    start_date: date | None = None
    due_date: date
    # The timescale as the plan states it ("Q4 2017/18", "March 2018"); due_date is its last day.
    due_label: str = Field(default="", max_length=60)
    carried_forward_from_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    provenance: str = Field(default="", max_length=30)
    # Bumped by every status update: the optimistic lock two simultaneous editors collide on.
    version: int = 1


class ActionPartner(SQLModel, table=True):
    __tablename__ = "action_partner"

    action_id: int = Field(foreign_key="action.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)


class StatusUpdate(SQLModel, table=True):
    """Append-only: database triggers refuse DELETE and any UPDATE except the review columns."""

    __tablename__ = "status_update"
    __table_args__ = (
        CheckConstraint(_in("stage", Stage), name="status_update_stage"),
        CheckConstraint(f"rag IS NULL OR {_in('rag', Rag)}", name="status_update_rag"),
        CheckConstraint(
            "rag IS NULL OR stage = 'in_progress'", name="status_update_rag_only_in_progress"
        ),
        CheckConstraint(
            "rag IS NULL OR rag <> 'red' OR length(trim(corrective_action)) > 0",
            name="status_update_red_needs_corrective_action",
        ),
        CheckConstraint(_in("review_state", ReviewState), name="status_update_review_state"),
        # The order the as-at rule reads updates in (app/domain/status.py).
        Index("ix_status_update_latest", "action_id", "effective_on", "recorded_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    recorded_at: datetime
    effective_on: date
    stage: str = Field(max_length=20)
    rag: str | None = Field(default=None, max_length=20)
    commentary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    corrective_action: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # What the lead means to do before the board's next meeting (optional): it feeds the
    # highlight report's "Planned before the next report".
    next_steps: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default="")
    )
    review_state: str = Field(default=ReviewState.approved, max_length=20)
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    title: str = Field(max_length=500)
    due_date: date
    due_label: str = Field(default="", max_length=60)
    achieved_on: date | None = None


# --- Outcome indicators ------------------------------------------------------------------------


class Indicator(SQLModel, table=True):
    """A changed definition is a new row (next version) that supersedes the old one."""

    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_indicator_version"),
        CheckConstraint(_in("better", Better), name="indicator_better"),
        CheckConstraint("version >= 1", name="indicator_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, index=True)
    version: int = 1
    title: str = Field(max_length=300)
    unit: str = Field(max_length=30)
    better: str = Field(default=Better.neither, max_length=10)
    data_source: str = Field(max_length=500)
    lag_note: str = Field(default="", max_length=500)
    geography: str = Field(default="", max_length=120)
    baseline_value: float | None = None
    baseline_label: str = Field(default="", max_length=120)
    target_value: float | None = None
    target_label: str = Field(default="", max_length=120)
    is_illustrative: bool = False
    valid_from: date | None = None
    supersedes_id: int | None = Field(default=None, foreign_key="indicator.id")


class IndicatorValue(SQLModel, table=True):
    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period_end", name="uq_indicator_value_period"),
        CheckConstraint(
            "published_on >= period_end", name="indicator_value_published_after_period"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    period_label: str = Field(max_length=60)
    period_end: date
    value: float
    note: str = Field(default="", max_length=500)
    # When the figure was published: a report as at an earlier date does not show it (a proven
    # reoffending rate appears about two years after its cohort ends).
    published_on: date


class PlanIndicator(SQLModel, table=True):
    __tablename__ = "plan_indicator"

    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    indicator_key: str = Field(max_length=100, primary_key=True)
    position: int = 0


# --- Reports -----------------------------------------------------------------------------------


class PublishedReport(SQLModel, table=True):
    """A report model frozen for a meeting: stored as JSON, never changed."""

    __tablename__ = "published_report"
    __table_args__ = (
        CheckConstraint(_in("kind", ReportKind), name="published_report_kind"),
        UniqueConstraint("plan_id", "meeting_id", "kind", name="uq_published_report_meeting"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=300)
    as_at: date
    published_at: datetime
    published_by_id: int | None = Field(default=None, foreign_key="user.id")
    model_json: str = Field(sa_column=Column(Text, nullable=False))


# --- Accounts and audit ------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint(_in("role", Role), name="user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    display_name: str = Field(max_length=200)
    role: str = Field(default=Role.viewer, max_length=10)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    password_hash: str = Field(default="", max_length=300)
    is_active: bool = True
    created_at: datetime
    password_changed_at: datetime | None = None


class UserBoard(SQLModel, table=True):
    """Access scoped by board: a viewer or editor with rows here reads only the plans of these
    boards (and their reports, meetings and indicators); none: every plan, as before. The office
    (admin) is never scoped, whatever rows it has. The rule is app.domain.access."""

    __tablename__ = "user_board"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    board_id: int = Field(foreign_key="board.id", primary_key=True, index=True)


class AuthSession(SQLModel, table=True):
    """Server-side sessions, so any worker can serve any request and a session can be revoked."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=128)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None
    csrf_token: str = Field(max_length=128)
    client_address: str = Field(default="", max_length=64)


class ApiToken(SQLModel, table=True):
    """A credential for the API (``Authorization: Bearer``), held by a person or by a named
    service. Only the secret's SHA-256 is stored; the secret is shown once, when made."""

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(_in("scope", TokenScope), name="api_token_scope"),
        # Held by exactly one: a person's account, or a named service.
        CheckConstraint(
            "(user_id IS NULL AND service IS NOT NULL) "
            "OR (user_id IS NOT NULL AND service IS NULL)",
            name="api_token_one_holder",
        ),
        CheckConstraint("expires_at > created_at", name="api_token_expires_after_creation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    token_hash: str = Field(unique=True, max_length=64)
    # The secret's first characters ("pt_Ab3d"), so a token can be recognised in a list.
    prefix: str = Field(max_length=16)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    service: str | None = Field(default=None, max_length=100)
    scope: str = Field(default=TokenScope.read, max_length=10)
    expires_at: datetime
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiTokenPlan(SQLModel, table=True):
    """A token restricted to some plans reads (and writes) only those; none listed: every plan
    its holder may read."""

    __tablename__ = "api_token_plan"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins, counted per account and per address to rate-limit guessing."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_when", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    client_address: str = Field(max_length=64, index=True)
    attempted_at: datetime
    succeeded: bool = False


class Reminder(SQLModel, table=True):
    """One reminder, and one escalation, per person per meeting: the unique key makes sending
    idempotent."""

    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", "kind", name="uq_reminder_once"),
        CheckConstraint(_in("kind", ReminderKind), name="reminder_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(
        default=ReminderKind.reminder,
        max_length=20,
        sa_column_kwargs={"server_default": ReminderKind.reminder.value},
    )
    email: str = Field(max_length=254)
    sent_at: datetime
    sent_by_id: int | None = Field(default=None, foreign_key="user.id")
    action_count: int = 0


class AuditEvent(SQLModel, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    actor: str = Field(max_length=254)
    verb: str = Field(max_length=60)
    entity_type: str = Field(max_length=60)
    entity_id: int | None = None
    summary: str = Field(default="", max_length=500)
    before_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class PublishedFile(SQLModel, table=True):
    """A published report's rendered files, stored so they are served byte for byte as sent."""

    __tablename__ = "published_file"
    __table_args__ = (UniqueConstraint("report_id", "format", name="uq_published_file_format"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="published_report.id", index=True)
    format: str = Field(max_length=10)
    media_type: str = Field(max_length=120)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DataVersion(SQLModel, table=True):
    """A value that moves with every write that could change what a page or report shows.

    One row per plan (``plan_id``) for writes that belong to one plan (its actions, their
    status updates, themes, milestones...), and row 0 for everything shared between plans
    (people, organisations, boards and meetings, indicators). Cached pages and report files
    are keyed by the pair, so a write makes the next view fresh. Each move draws a new random
    value rather than counting: a version is never reused, even after a rollback or a restore.
    Not a foreign key: row 0 is no plan, and a plan's row may outlive it harmlessly.
    """

    __tablename__ = "data_version"

    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0, sa_type=BigInteger)


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ReportJob(SQLModel, table=True):
    """One rendered report file (a PDF or Word file of the appendix or highlight report), made
    by a worker outside the web request (app/jobs.py). The row is both the job and, once done,
    the file cache: ``key`` (plan, kind, format, dates, meeting and the plan's data version) is
    unique, so two people asking at once make one job and the second gets the file at once.
    Not exported by backups: the files are a cache, made again on demand.
    """

    __tablename__ = "report_job"
    __table_args__ = (
        CheckConstraint(_in("state", JobState), name="report_job_state"),
        CheckConstraint("kind IN ('appendix', 'highlight')", name="report_job_kind"),
        CheckConstraint("format IN ('pdf', 'docx')", name="report_job_format"),
        Index("ix_report_job_state", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: str = Field(max_length=20)
    format: str = Field(max_length=10)
    as_at: date
    since: date | None = None
    meeting_id: int | None = None
    data_version: str = Field(max_length=40)
    state: str = Field(default=JobState.queued, max_length=20)
    attempts: int = 0
    leased_until: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    media_type: str | None = Field(default=None, max_length=120)
    file_name: str | None = Field(default=None, max_length=200)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime
    finished_at: datetime | None = None
