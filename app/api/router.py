"""The JSON API under /api/v1: the same domain and report model as the pages."""

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.deps import AdminUser, PlanDep, ReportDatesDep, SessionDep, get_current_user, verify_csrf
from app.domain.plan_admin import PlanIn, PlanRejected, ThemeIn, create_plan
from app.domain.plans import list_plans
from app.domain.progress import PlanProgress, progress_as_at
from app.reports.appendix import AppendixReport, build_appendix

# Everyone signed in may read; the cookie session is the API's credential too.
api_router = APIRouter(dependencies=[Depends(get_current_user), Depends(verify_csrf)])


@api_router.get("/plans")
def read_plans(session: SessionDep) -> list[dict]:
    return [
        {
            "slug": plan.slug,
            "title": plan.title,
            "status": plan.status,
            "period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(),
        }
        for plan in list_plans(session=session)
    ]


@api_router.get("/plans/{slug}/progress")
def read_plan_progress(plan: PlanDep, dates: ReportDatesDep, session: SessionDep) -> PlanProgress:
    return progress_as_at(session=session, plan=plan, as_at=dates.as_at)


@api_router.get("/plans/{slug}/reports/appendix")
def read_appendix_report(
    plan: PlanDep, dates: ReportDatesDep, session: SessionDep
) -> AppendixReport:
    return build_appendix(session, plan, dates.as_at, since=dates.since)


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


@api_router.post("/plans", status_code=201)
def create_plan_from_json(plan_create: PlanCreate, session: SessionDep, user: AdminUser):
    """Create a plan (the office only). 422 with ``errors``, a message per field (a theme's
    fields are ``themes.0.title`` and so on), when any field is wrong; nothing is written."""
    plan_in = PlanIn(
        **plan_create.model_dump(exclude={"themes"}),
        themes=[ThemeIn(**theme.model_dump()) for theme in plan_create.themes],
    )
    try:
        plan = create_plan(session=session, plan_in=plan_in, user=user)
    except PlanRejected as rejected:
        return JSONResponse(
            {"detail": list(rejected.errors.values()), "errors": rejected.errors},
            status_code=422,
        )
    return {
        "slug": plan.slug,
        "title": plan.title,
        "status": plan.status,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "rag_scheme": plan.rag_scheme,
        "requires_approval": plan.requires_approval,
        "url": f"/plans/{plan.slug}",
    }
