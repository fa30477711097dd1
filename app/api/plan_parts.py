"""A plan's outcomes, milestones and owners under /api/v1: read by whoever may read the plan;
the outcomes replaced and an owner added by the office, checked as the pages check them."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.http import PagingDep, page_response, read_response
from app.api.schemas import (
    MilestoneItem,
    MilestoneList,
    OutcomeList,
    OutcomeOut,
    OutcomesReplace,
    OwnerCreate,
    OwnerList,
    OwnerOut,
)
from app.core.models import Milestone, Outcome, Plan
from app.deps import ApiPlanDep, ApiProblem, OfficeWriterDep, SessionDep
from app.domain.actions import list_milestones
from app.domain.owners import OwnerRejected, PlanOwner, add_owner, list_plan_owners, new_owner
from app.domain.plan_admin import PlanRejected, replace_outcomes
from app.domain.plans import list_outcomes

router = APIRouter()


# --- Outcomes ---------------------------------------------------------------------------------


def outcome_list(plan: Plan, outcomes: list[Outcome]) -> OutcomeList:
    return OutcomeList(
        plan=plan.slug,
        items=[OutcomeOut(position=o.position, title=o.title) for o in outcomes],
    )


@router.get("/plans/{slug}/outcomes", response_model=OutcomeList, tags=["plans"])
def read_outcomes(request: Request, plan: ApiPlanDep, session: SessionDep):
    """The outcomes the plan works towards, in its order."""
    return read_response(request, outcome_list(plan, list_outcomes(session=session, plan=plan)))


@router.put("/plans/{slug}/outcomes", response_model=OutcomeList, tags=["plans"])
def replace_plan_outcomes(
    outcomes_in: OutcomesReplace, plan: ApiPlanDep, session: SessionDep, principal: OfficeWriterDep
) -> OutcomeList:
    """Replace the plan's outcomes (the office only; a token must be a write token). 422 with
    ``errors`` when one is too long; nothing is written. Audited."""
    try:
        outcomes = replace_outcomes(
            session=session,
            plan=plan,
            outcomes=outcomes_in.outcomes,
            user=principal.user,
            actor=principal.actor,
        )
    except PlanRejected as rejected:
        raise ApiProblem(422, " ".join(rejected.errors.values()), errors=rejected.errors) from None
    return outcome_list(plan, outcomes)


# --- Milestones -------------------------------------------------------------------------------


def milestone_item(row: tuple[Milestone, str | None]) -> MilestoneItem:
    milestone, ref = row
    return MilestoneItem(
        id=milestone.id,
        action=ref,
        title=milestone.title,
        due_date=milestone.due_date,
        due_label=milestone.due_label,
        achieved_on=milestone.achieved_on,
    )


@router.get("/plans/{slug}/milestones", response_model=MilestoneList, tags=["plans"])
def read_milestones(request: Request, plan: ApiPlanDep, session: SessionDep, page: PagingDep):
    """The plan's milestones and its actions' (``action`` is the action's ref), a page at a
    time, with their due dates and when they were achieved."""
    rows = list_milestones(session=session, plan=plan, after_id=page.cursor_id, limit=page.fetch)
    return page_response(
        request,
        MilestoneList,
        rows,
        milestone_item,
        paging=page,
        key=lambda row: row[0].id,
        plan=plan.slug,
    )


# --- Owners -----------------------------------------------------------------------------------


def owner_out(owner: PlanOwner) -> OwnerOut:
    return OwnerOut(
        id=owner.person.id,
        role=owner.person.role,
        organisation=owner.organisation.short_name,
        organisation_name=owner.organisation.name,
        actions_led=owner.actions_led,
        delivery_groups=owner.groups_led,
    )


@router.get("/plans/{slug}/owners", response_model=OwnerList, tags=["plans"])
def read_owners(request: Request, plan: ApiPlanDep, session: SessionDep, page: PagingDep):
    """Who leads the plan's actions or its delivery groups (a role at an organisation), a page
    at a time; an owner's ``id`` filters the plan's actions (``?owner=``)."""
    owners = list_plan_owners(session=session, plan=plan, after_id=page.cursor_id, limit=page.fetch)
    return page_response(
        request,
        OwnerList,
        owners,
        owner_out,
        paging=page,
        key=lambda owner: owner.person.id,
        plan=plan.slug,
    )


@router.post("/plans/{slug}/owners", status_code=201, response_model=OwnerOut, tags=["plans"])
def create_owner(
    owner_in: OwnerCreate, plan: ApiPlanDep, session: SessionDep, principal: OfficeWriterDep
):
    """Add an owner to the directory (the office only; a token must be a write token), as the
    plan's owners page does: 422 with ``errors`` by field when a field is wrong or the role at
    that organisation is already an owner. They are listed among the plan's owners once they
    lead an action or a delivery group. Audited."""
    try:
        person = add_owner(
            session=session,
            user=principal.user,
            plan=plan,
            role=owner_in.role,
            organisation=owner_in.organisation,
            email=owner_in.email,
            actor=principal.actor,
        )
    except OwnerRejected as rejected:
        raise ApiProblem(422, " ".join(rejected.errors.values()), errors=rejected.errors) from None
    body = owner_out(new_owner(session=session, person=person))
    return JSONResponse(
        status_code=201,
        content=body.model_dump(mode="json"),
        headers={"Location": f"/api/v1/plans/{plan.slug}/owners"},
    )
