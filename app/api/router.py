from datetime import date

from fastapi import APIRouter, Depends, HTTPException

from app.deps import SessionDep, get_current_user, verify_csrf
from app.domain.as_at import default_as_at
from app.domain.plans import list_plans
from app.domain.progress import PlanProgress, get_plan, progress_as_at
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
def read_plan_progress(slug: str, session: SessionDep, as_at: date | None = None) -> PlanProgress:
    plan = get_plan(session=session, slug=slug)
    if plan is None:
        raise HTTPException(404, f"No plan with slug '{slug}'")
    return progress_as_at(session=session, plan=plan, as_at=as_at or default_as_at(plan))


@api_router.get("/plans/{slug}/reports/appendix")
def read_appendix_report(
    slug: str, session: SessionDep, as_at: date | None = None, since: date | None = None
) -> AppendixReport:
    plan = get_plan(session=session, slug=slug)
    if plan is None:
        raise HTTPException(404, f"No plan with slug '{slug}'")
    as_at = as_at or default_as_at(plan)
    if since is not None and since >= as_at:
        raise HTTPException(422, "'since' must be before 'as_at'")
    return build_appendix(session, plan, as_at, since=since)
