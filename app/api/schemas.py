"""The shapes the API sends and takes, as its OpenAPI schema declares them."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.domain.snapshot import Counts


class Problem(BaseModel):
    """RFC 9457 problem details: every error under /api/v1."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Unprocessable content",
                    "status": 422,
                    "detail": "commentary: Enter a commentary: what has happened since the last "
                    "update.",
                    "errors": {
                        "commentary": "Enter a commentary: what has happened since the last update."
                    },
                }
            ]
        },
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, str] | None = Field(
        None, description="422 only: a message per field (themes.0.title for a nested one)."
    )


class PlanOut(BaseModel):
    slug: str
    title: str
    short_title: str
    status: str = Field(description="draft, active or closed, as stored.")
    state: str = Field(description='"active", "ended" (period over, not closed) or "closed".')
    state_text: str
    period_start: date
    period_end: date
    board: str | None = Field(description="The owning board's short name.")
    rag_scheme: str
    requires_approval: bool


class PlanList(BaseModel):
    items: list[PlanOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class PlanDetail(PlanOut):
    description: str
    outcomes: list[str]
    predecessor: str | None


class PlanCreated(BaseModel):
    slug: str
    title: str
    status: str
    state: str
    period_start: date
    period_end: date
    rag_scheme: str
    requires_approval: bool
    url: str


class ThemeOut(BaseModel):
    id: int
    position: int
    title: str
    vision: str
    delivery_group: str | None
    counts: Counts


class ThemeList(BaseModel):
    plan: str
    as_at: date
    items: list[ThemeOut]


class LastUpdate(BaseModel):
    effective_on: date
    commentary: str


class ActionOut(BaseModel):
    ref: str
    title: str
    theme_id: int
    theme: str
    lead_organisation_id: int | None
    lead_organisation: str | None = Field(description="The lead organisation's short name.")
    owner_id: int | None = Field(description="The lead (a role at an organisation): ?owner=.")
    owner_role: str | None
    due_date: date
    due_label: str
    stage: str
    rag: str | None
    overdue: bool
    last_update: LastUpdate | None = Field(description="The latest approved update as at.")
    version: int
    etag: str = Field(description="The action's ETag: send it as If-Match to post an update.")


class ActionList(BaseModel):
    plan: str
    as_at: date
    items: list[ActionOut]


class MilestoneOut(BaseModel):
    title: str
    due_date: date
    due_label: str
    achieved_on: date | None


class LinkedAction(BaseModel):
    plan: str = Field(description="The other plan's slug.")
    plan_title: str
    ref: str
    url: str = Field(description="The action in the API.")


class ActionDetail(ActionOut):
    plan: str
    as_at: date
    description: str
    partners: list[str]
    milestones: list[MilestoneOut]
    frozen: str | None = Field(description="Why no more updates are taken, if so.")
    carried_forward_from: list[LinkedAction] = Field(
        description="The actions it was carried forward from, nearest first: only in plans "
        "this principal may read."
    )
    carried_forward_to: list[LinkedAction] = Field(
        description="Where it was carried forward to: only plans this principal may read."
    )


class UpdateOut(BaseModel):
    id: int
    effective_on: date
    recorded_at: datetime
    recorded_by: str | None
    stage: str
    rag: str | None
    commentary: str
    corrective_action: str
    review_state: str


class UpdateList(BaseModel):
    plan: str
    ref: str
    items: list[UpdateOut] = Field(description="Newest first. Viewers see approved ones only.")


class UpdateCreate(BaseModel):
    """A status update, checked as the action page's form checks it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "stage": "in_progress",
                    "rag": "amber",
                    "commentary": "The pilot started in two districts.",
                    "effective_on": "2019-03-01",
                }
            ]
        }
    )

    stage: str = Field(
        description="not_started, in_progress, complete, carried_forward or withdrawn"
    )
    rag: str | None = Field(None, description="In progress only: one of the plan's ratings.")
    commentary: str = ""
    corrective_action: str = Field("", description="Required with a Red rating.")
    effective_on: date | None = Field(None, description="YYYY-MM-DD, within the plan, not ahead.")


class UpdateCreated(BaseModel):
    update: UpdateOut
    etag: str = Field(description="The action's new ETag.")


class MeetingOut(BaseModel):
    id: int
    held_on: date
    title: str
    update_deadline: date
    cancelled: bool


class BoardOut(BaseModel):
    short_name: str
    name: str
    description: str


class BoardList(BaseModel):
    items: list[BoardOut]


class BoardDetail(BoardOut):
    plans: list[str]
    meetings: list[MeetingOut] = Field(description="Latest first, cancelled ones marked.")


class IndicatorOut(BaseModel):
    key: str
    version: int
    title: str
    unit: str
    better: str
    data_source: str
    lag_note: str
    geography: str
    baseline_value: float | None
    baseline_label: str
    target_value: float | None
    target_label: str
    is_illustrative: bool
    valid_from: date | None


class IndicatorList(BaseModel):
    items: list[IndicatorOut]


class ValueOut(BaseModel):
    period_label: str
    period_end: date
    value: float
    note: str


class IndicatorDetail(IndicatorOut):
    versions: list[IndicatorOut]
    values: list[ValueOut]


class FileLink(BaseModel):
    format: str
    url: str


class PublishedOut(BaseModel):
    id: int
    plan: str
    kind: str
    title: str
    as_at: date
    published_at: datetime
    meeting: MeetingOut | None
    files: list[FileLink]


class PublishedList(BaseModel):
    items: list[PublishedOut]
    next_cursor: str | None


class AuditOut(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    verb: str
    entity_type: str
    entity_id: int | None
    summary: str
    before: Any = Field(None, description="The record before the change (JSON), if any.")
    after: Any = Field(None, description="The record after the change (JSON), if any.")


class AuditList(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


# --- Outcomes, milestones and owners ---------------------------------------------------------


class OutcomeOut(BaseModel):
    position: int
    title: str


class OutcomeList(BaseModel):
    plan: str
    items: list[OutcomeOut] = Field(description="In the plan's order.")


class OutcomesReplace(BaseModel):
    """The plan's outcomes become these, in this order (blank lines are dropped); checked as
    the plan's outcomes page checks them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcomes": [
                        "Fewer people reoffend.",
                        "Victims feel supported through the justice system.",
                    ]
                }
            ]
        }
    )

    outcomes: list[str] = Field(max_length=200)


class MilestoneItem(MilestoneOut):
    id: int
    action: str | None = Field(description="The ref of the action it marks; null: the plan's.")


class MilestoneList(BaseModel):
    plan: str
    items: list[MilestoneItem] = Field(description="In the order they were added.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class OwnerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "role": "Head of Offender Management",
                    "organisation": "NPS",
                    "organisation_name": "National Probation Service",
                    "actions_led": 4,
                    "delivery_groups": ["Offender Management"],
                }
            ]
        }
    )

    id: int = Field(description="Filter the plan's actions by it: ?owner=.")
    role: str
    organisation: str = Field(description="The organisation's short name.")
    organisation_name: str
    actions_led: int = Field(description="Of this plan's actions.")
    delivery_groups: list[str] = Field(description="The delivery groups of this plan it leads.")


class OwnerList(BaseModel):
    plan: str
    items: list[OwnerOut] = Field(description="Who leads the plan's actions or delivery groups.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class OwnerCreate(BaseModel):
    """A new owner: a role at an organisation (created when new), checked as the owners page
    checks it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "role": "Head of Community Safety",
                    "organisation": "Northtown Council",
                    "email": "community.safety@northtown.example",
                }
            ]
        }
    )

    role: str = ""
    organisation: str = Field("", description="An organisation's name or short name, or a new one.")
    email: str = Field("", description="Optional.")
