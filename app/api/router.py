"""The JSON API under /api/v1: the same domain and report model as the pages.

Every request acts for a principal (app.domain.access): a bearer token, or the browser's cookie
session with its CSRF token on writes. Reads carry an ETag and Cache-Control; errors are
problem details (app.api.problems)."""

import re
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from app.api.governance import router as governance_router
from app.api.http import PagingDep, digest, download, page_response, read_response, to_json
from app.api.plan_parts import router as plan_parts_router
from app.api.schemas import (
    ActionDetail,
    ActionList,
    ActionOut,
    LastUpdate,
    LinkedAction,
    MilestoneOut,
    PlanCreated,
    PlanDetail,
    PlanList,
    PlanOut,
    Problem,
    ThemeList,
    ThemeOut,
    UpdateCreate,
    UpdateCreated,
    UpdateList,
    UpdateOut,
)
from app.core.models import Action, Plan, Stage, StatusUpdate, User
from app.deps import (
    MAX_ID,
    ApiActionDep,
    ApiDatesDep,
    ApiPlanDep,
    ApiProblem,
    OfficeWriterDep,
    PrincipalDep,
    QueryId,
    SessionDep,
    WriterDep,
    get_principal,
    verify_api_csrf,
)
from app.domain.access import readable_plan_ids
from app.domain.action_filters import ActionFilters
from app.domain.actions import read_action_page
from app.domain.as_at import plan_state, plan_state_text
from app.domain.auth import can_update_action
from app.domain.boards import list_boards
from app.domain.plan_admin import PlanIn, PlanRejected, ThemeIn, create_plan
from app.domain.plans import list_plans_after, read_plan_view
from app.domain.progress import PlanProgress, progress_as_at
from app.domain.rag import allowed_rags
from app.domain.status import ActionStatus
from app.domain.updates import (
    UpdateConflict,
    UpdateIn,
    UpdateNotAllowed,
    UpdateRejected,
    record_update,
)
from app.reports.appendix import AppendixReport, build_appendix
from app.reports.feed import FeedTable, feed_rows, render_feed_csv


def problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        "model": Problem,
    }


# Every operation may answer these; the schema says so once, here.
COMMON_ERRORS = {
    304: {"description": "Not modified: the If-None-Match ETag is still current (reads)."},
    400: problem("The request could not be read (a NUL byte, say)."),
    401: problem("Not signed in: no valid bearer token and no session cookie."),
    403: problem("Signed in, but not allowed (a read-only token writing, say)."),
    404: problem("No such plan, action or record, or not one this principal may read."),
    413: problem("The request is larger than plantrack accepts."),
    422: problem("A parameter or a field is wrong: `errors` has a message for each."),
}

api_router = APIRouter(
    dependencies=[Depends(get_principal), Depends(verify_api_csrf)], responses=COMMON_ERRORS
)


# --- Plans -----------------------------------------------------------------------------------


def plan_out(plan: Plan, boards: dict[int, str]) -> PlanOut:
    return PlanOut(
        slug=plan.slug,
        title=plan.title,
        short_title=plan.short_title,
        status=plan.status,
        state=plan_state(plan),
        state_text=plan_state_text(plan),
        period_start=plan.period_start,
        period_end=plan.period_end,
        board=boards.get(plan.board_id),
        rag_scheme=plan.rag_scheme,
        requires_approval=plan.requires_approval,
    )


def board_names(session) -> dict[int, str]:
    return {board.id: board.short_name for board in list_boards(session=session)}


def _action_page(session, plan, action, principal, **options):
    """The action as this principal may see it: other plans named only if they may read them."""
    return read_action_page(
        session=session,
        plan=plan,
        action=action,
        user=principal.user,
        plan_ids=readable_plan_ids(session, principal),
        **options,
    )


@api_router.get("/plans", response_model=PlanList, tags=["plans"])
def read_plans(request: Request, session: SessionDep, principal: PrincipalDep, page: PagingDep):
    """The plans this principal may read, in the order they were made, a page at a time."""
    plans = list_plans_after(
        session=session,
        plan_ids=readable_plan_ids(session, principal),
        after_id=page.cursor_id,
        limit=page.fetch,
    )
    boards = board_names(session)
    return page_response(
        request,
        PlanList,
        plans,
        lambda plan: plan_out(plan, boards),
        paging=page,
        key=lambda plan: plan.id,
    )


@api_router.get("/plans/{slug}", response_model=PlanDetail, tags=["plans"])
def read_plan(request: Request, plan: ApiPlanDep, session: SessionDep, principal: PrincipalDep):
    view = read_plan_view(
        session=session,
        plan=plan,
        as_at=min(date.today(), plan.period_end),
        plan_ids=readable_plan_ids(session, principal),
    )
    detail = PlanDetail(
        **plan_out(plan, board_names(session)).model_dump(),
        description=plan.description,
        outcomes=[outcome.title for outcome in view.outcomes],
        predecessor=view.predecessor.slug if view.predecessor else None,
    )
    return read_response(request, detail)


@api_router.get("/plans/{slug}/progress", response_model=PlanProgress, tags=["plans"])
def read_plan_progress(request: Request, plan: ApiPlanDep, dates: ApiDatesDep, session: SessionDep):
    return read_response(request, progress_as_at(session=session, plan=plan, as_at=dates.as_at))


PRODUCED_AT_FOR_ETAG = datetime(2000, 1, 1, tzinfo=UTC)


@api_router.get("/plans/{slug}/reports/appendix", response_model=AppendixReport, tags=["reports"])
def read_appendix_report(
    request: Request,
    plan: ApiPlanDep,
    dates: ApiDatesDep,
    session: SessionDep,
    principal: PrincipalDep,
):
    report = build_appendix(
        session,
        plan,
        dates.as_at,
        since=dates.since,
        plan_ids=readable_plan_ids(session, principal),
    )
    # produced_at changes every time: the ETag is of the figures, not of the moment.
    figures = to_json(report.model_copy(update={"produced_at": PRODUCED_AT_FOR_ETAG}))
    return read_response(request, report, etag=f'"{digest(figures)}"')


class ThemeCreate(BaseModel):
    title: str = ""
    vision: str = ""
    commitments: list[str] = Field(default_factory=list, description='"We will do this through..."')
    delivery_group: str = Field("", description="An existing group's name, or a new group's.")
    senior_responsible_owner: str = Field("", description="Optional, free text.")


class PlanCreate(BaseModel):
    """A new plan: checked field by field as the new-plan page checks it."""

    slug: str = Field("", description="Lower-case letters, digits and single hyphens.")
    title: str = ""
    short_title: str = Field("", description="Default: the title.")
    description: str = ""
    period_start: str = Field("", description="YYYY-MM-DD")
    period_end: str = Field("", description="YYYY-MM-DD, after period_start")
    board: str = Field("", description="The owning board's short name.")
    rag_scheme: str = Field("rag3", description="rag3 (Green/Amber/Red) or dca5 (five-point).")
    requires_approval: bool = False
    senior_responsible_owner: str = Field("", description="Optional, free text.")
    outcomes: list[str] = Field(default_factory=list)
    themes: list[ThemeCreate] = Field(default_factory=list)


@api_router.post(
    "/plans",
    status_code=201,
    response_model=PlanCreated,
    tags=["plans"],
    responses={409: problem("Conflict.")},
)
def create_plan_from_json(
    plan_create: PlanCreate, session: SessionDep, principal: OfficeWriterDep
) -> PlanCreated:
    """Create a plan (the office only; a token must be a write token). 422 with ``errors``, a
    message per field (a theme's fields are ``themes.0.title`` and so on), when any field is
    wrong; nothing is written."""
    plan_in = PlanIn(
        **plan_create.model_dump(exclude={"themes"}),
        themes=[ThemeIn(**theme.model_dump()) for theme in plan_create.themes],
    )
    try:
        plan = create_plan(session=session, plan_in=plan_in, user=principal.user)
    except PlanRejected as rejected:
        raise ApiProblem(422, " ".join(rejected.errors.values()), errors=rejected.errors) from None
    return PlanCreated(
        slug=plan.slug,
        title=plan.title,
        status=plan.status,
        state=plan_state(plan),
        period_start=plan.period_start,
        period_end=plan.period_end,
        rag_scheme=plan.rag_scheme,
        requires_approval=plan.requires_approval,
        url=f"/plans/{plan.slug}",
    )


# --- Themes and actions, as at a date ---------------------------------------------------------


@api_router.get("/plans/{slug}/themes", response_model=ThemeList, tags=["plans"])
def read_themes(request: Request, plan: ApiPlanDep, dates: ApiDatesDep, session: SessionDep):
    view = read_plan_view(session=session, plan=plan, as_at=dates.as_at)
    counts = {theme.theme_id: theme for theme in view.progress.by_theme}
    themes = ThemeList(
        plan=plan.slug,
        as_at=dates.as_at,
        items=[
            ThemeOut(
                id=theme_view.theme.id,
                position=theme_view.theme.position,
                title=theme_view.theme.title,
                vision=theme_view.theme.vision,
                delivery_group=theme_view.delivery_group.name
                if theme_view.delivery_group
                else None,
                counts=counts[theme_view.theme.id].model_dump(
                    exclude={"theme_id", "position", "title"}
                ),
            )
            for theme_view in view.themes
        ],
    )
    return read_response(request, themes)


def action_etag(action: Action) -> str:
    """The ETag a client sends as If-Match to post an update: the action's version."""
    return f'"v{action.version}"'


def action_out(status: ActionStatus, view, as_at: date, theme_titles: dict[int, str]) -> ActionOut:
    action = status.action
    organisation = view.organisations.get(action.lead_organisation_id)
    person = view.people.get(action.lead_person_id)
    update = status.update
    return ActionOut(
        ref=action.ref,
        title=action.title,
        theme_id=action.theme_id,
        theme=theme_titles[action.theme_id],
        lead_organisation_id=action.lead_organisation_id,
        lead_organisation=organisation.short_name if organisation else None,
        owner_id=action.lead_person_id,
        owner_role=person.role if person else None,
        due_date=action.due_date,
        due_label=action.due_label,
        stage=status.stage.value,
        rag=status.rag,
        overdue=status.is_overdue(as_at),
        last_update=LastUpdate(effective_on=update.effective_on, commentary=update.commentary)
        if update
        else None,
        version=action.version,
        etag=action_etag(action),
    )


@api_router.get("/plans/{slug}/actions", response_model=ActionList, tags=["actions"])
def read_actions(
    request: Request,
    plan: ApiPlanDep,
    dates: ApiDatesDep,
    session: SessionDep,
    theme: QueryId = None,
    owner: QueryId = None,
    organisation: QueryId = None,
    stage: Stage | None = None,
    rag: Annotated[str | None, Query(max_length=20)] = None,
    overdue: bool = False,
):
    """Every action of the plan with its status as at a date (default: the plan's as-at rule),
    filtered as the plan's page filters: by theme id, owner id, lead organisation id, stage,
    RAG rating, overdue."""
    if rag and rag not in allowed_rags(plan.rag_scheme):
        message = (
            f"'{rag}' is not a rating of this plan: use {', '.join(allowed_rags(plan.rag_scheme))}."
        )
        raise ApiProblem(422, message, errors={"rag": message})
    filters = ActionFilters(
        theme=theme,
        owner=owner,
        organisation=organisation,
        stage=stage.value if stage else None,
        rag=rag or None,
        overdue=overdue,
    )
    view = read_plan_view(session=session, plan=plan, as_at=dates.as_at)
    titles = {theme_view.theme.id: theme_view.theme.title for theme_view in view.themes}
    actions = ActionList(
        plan=plan.slug,
        as_at=dates.as_at,
        items=[
            action_out(status, view, dates.as_at, titles)
            for theme_view in view.themes
            for status in theme_view.statuses
            if filters.keep(status, dates.as_at)
        ],
    )
    return read_response(request, actions)


def linked_action(plan: Plan, action: Action) -> LinkedAction:
    return LinkedAction(
        plan=plan.slug,
        plan_title=plan.title,
        ref=action.ref,
        url=f"/api/v1/plans/{plan.slug}/actions/{quote(action.ref, safe='')}",
    )


@api_router.get("/plans/{slug}/actions/{ref}", response_model=ActionDetail, tags=["actions"])
def read_action(
    request: Request,
    plan: ApiPlanDep,
    action: ApiActionDep,
    dates: ApiDatesDep,
    session: SessionDep,
    principal: PrincipalDep,
):
    """One action as at a date. Its ETag header starts with the action's version: send it (or
    the body's ``etag``) as If-Match to post an update."""
    view = read_plan_view(session=session, plan=plan, as_at=dates.as_at)
    titles = {theme_view.theme.id: theme_view.theme.title for theme_view in view.themes}
    status = next(s for tv in view.themes for s in tv.statuses if s.action.id == action.id)
    page = _action_page(session, plan, action, principal)
    detail = ActionDetail(
        **action_out(status, view, dates.as_at, titles).model_dump(),
        plan=plan.slug,
        as_at=dates.as_at,
        description=action.description,
        partners=[organisation.short_name for organisation in page.partners],
        milestones=[
            MilestoneOut(
                title=m.title, due_date=m.due_date, due_label=m.due_label, achieved_on=m.achieved_on
            )
            for m in page.milestones
        ],
        frozen=page.frozen,
        carried_forward_from=[linked_action(*pair) for pair in page.lineage],
        carried_forward_to=[linked_action(*pair) for pair in page.successors],
    )
    # The version first (what If-Match checks), then the body's digest (what If-None-Match
    # needs: an approval or an edit changes the action without a new version).
    return read_response(request, detail, etag=f'"v{action.version}-{digest(to_json(detail))}"')


# --- Status updates -----------------------------------------------------------------------------


def update_out(update: StatusUpdate, author: User | None) -> UpdateOut:
    return UpdateOut(
        id=update.id,
        effective_on=update.effective_on,
        recorded_at=update.recorded_at,
        recorded_by=author.display_name if author else None,
        stage=update.stage,
        rag=update.rag,
        commentary=update.commentary,
        corrective_action=update.corrective_action,
        review_state=update.review_state,
    )


@api_router.get("/plans/{slug}/actions/{ref}/updates", response_model=UpdateList, tags=["actions"])
def read_updates(
    request: Request,
    plan: ApiPlanDep,
    action: ApiActionDep,
    session: SessionDep,
    principal: PrincipalDep,
):
    """The action's updates, newest first (viewers: approved ones only, as on its page)."""
    page = _action_page(session, plan, action, principal, limit=None)
    updates = UpdateList(
        plan=plan.slug,
        ref=action.ref,
        items=[update_out(update, author) for update, author in page.history],
    )
    return read_response(request, updates)


_IF_MATCH = re.compile(r'^\s*(?:W/)?"v(\d{1,10})(?:-[0-9a-f]*)?"\s*$')


def expected_version(if_match: str | None) -> int | None:
    """The action version an If-Match names; None if it names none (it then matches nothing)."""
    if if_match is None:
        raise ApiProblem(
            428,
            "Send the action's ETag as If-Match (from GET .../actions/{ref}): it is how "
            "plantrack tells your update from one recorded since you read the action.",
        )
    match = _IF_MATCH.match(if_match)
    if match is None or int(match.group(1)) > MAX_ID:
        return None
    return int(match.group(1))


@api_router.post(
    "/plans/{slug}/actions/{ref}/updates",
    status_code=201,
    response_model=UpdateCreated,
    tags=["actions"],
    responses={
        409: problem(
            "The action takes no more updates (its plan is closed, or it was carried forward)."
        ),
        412: problem(
            "Someone recorded an update since your If-Match: `current` is it, "
            "`current_etag` the action's ETag now."
        ),
        428: problem("If-Match is missing."),
    },
)
def create_update(
    plan: ApiPlanDep,
    action: ApiActionDep,
    update_create: UpdateCreate,
    session: SessionDep,
    principal: WriterDep,
    if_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description='The action\'s ETag, e.g. "v3" (from the action or its list).',
        ),
    ] = None,
):
    """Record a status update with the action page's validation, approval rule and version
    check: an update to a plan that requires approval waits for the office unless the office
    made it."""
    may_update = principal.is_service or can_update_action(
        session, user=principal.user, action=action
    )
    if not may_update:
        raise HTTPException(
            403, "You can only update the actions you lead or whose delivery group you lead."
        )
    version = expected_version(if_match)
    update_in = UpdateIn(
        stage=update_create.stage,
        rag=update_create.rag or None,
        commentary=update_create.commentary,
        corrective_action=update_create.corrective_action,
        effective_on=update_create.effective_on,
        expected_version=version,
    )
    try:
        created = record_update(
            session,
            action=action,
            plan=plan,
            user=principal.user,
            update_in=update_in,
            plan_ids=readable_plan_ids(session, principal),
        )
    except UpdateNotAllowed as refused:
        raise ApiProblem(409, refused.message) from None
    except UpdateRejected as rejected:
        raise ApiProblem(422, " ".join(rejected.errors.values()), errors=rejected.errors) from None
    except UpdateConflict as conflict:
        current_etag = f'"v{conflict.current_version}"'
        raise ApiProblem(
            412,
            "The action has changed since your If-Match: another update was recorded. Read "
            "`current`, then send yours again with If-Match set to `current_etag` if it still "
            "stands.",
            extra={
                "current": update_out(conflict.latest, conflict.author).model_dump()
                if conflict.latest
                else None,
                "current_etag": current_etag,
            },
            headers={"ETag": current_etag},
        ) from None
    session.refresh(action)
    author = principal.user if principal.user.id is not None else None
    body = UpdateCreated(update=update_out(created, author), etag=action_etag(action))
    return JSONResponse(
        status_code=201,
        content=body.model_dump(mode="json"),
        headers={
            "ETag": action_etag(action),
            "Location": f"/api/v1/plans/{plan.slug}/actions/{action.ref}/updates",
        },
    )


# --- For Power BI and Excel --------------------------------------------------------------------


def _feed(plan, dates, session, principal) -> FeedTable:
    return feed_rows(
        build_appendix(
            session,
            plan,
            dates.as_at,
            since=dates.since,
            plan_ids=readable_plan_ids(session, principal),
        )
    )


@api_router.get("/plans/{slug}/actions-as-at", response_model=FeedTable, tags=["feeds"])
def read_actions_as_at(
    request: Request,
    plan: ApiPlanDep,
    dates: ApiDatesDep,
    session: SessionDep,
    principal: PrincipalDep,
):
    """One row per action as at a date (the appendix's figures), for Power BI and Excel."""
    return read_response(request, _feed(plan, dates, session, principal))


@api_router.get(
    "/plans/{slug}/actions-as-at.csv",
    tags=["feeds"],
    response_class=Response,
    responses={
        200: {
            "description": "The same rows as CSV (UTF-8, ISO dates, true/false).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def read_actions_as_at_csv(
    request: Request,
    plan: ApiPlanDep,
    dates: ApiDatesDep,
    session: SessionDep,
    principal: PrincipalDep,
):
    return download(
        request,
        render_feed_csv(_feed(plan, dates, session, principal)),
        "text/csv; charset=utf-8",
        f"{plan.slug}-actions-as-at-{dates.as_at.isoformat()}.csv",
    )


api_router.include_router(plan_parts_router)
api_router.include_router(governance_router)
