"""The JSON API under /api/v1: the same domain and report model as the pages."""

from fastapi import APIRouter, Depends

from app.deps import PlanDep, ReportDatesDep, SessionDep, get_current_user, verify_csrf
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
