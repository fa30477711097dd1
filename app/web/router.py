from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SessionDep
from app.domain.plans import list_plans, read_plan_view
from app.domain.progress import default_as_at, get_plan, progress_as_at
from app.domain.timescales import uk_date
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS, file_name
from app.reports.render_html import render_html
from app.web.templating import templates

web_router = APIRouter()


@web_router.get("/healthz", include_in_schema=False)
def read_health() -> dict:
    return {"status": "ok"}


@web_router.get("/")
def read_home(request: Request, session: SessionDep):
    plans = list_plans(session=session)
    rows = [
        (plan, progress_as_at(session=session, plan=plan, as_at=default_as_at(plan)))
        for plan in plans
    ]
    return templates.TemplateResponse(request, "home.html", {"rows": rows})


@web_router.get("/plans/{slug}")
def read_plan(request: Request, slug: str, session: SessionDep, as_at: date | None = None):
    plan = get_plan(session=session, slug=slug)
    if plan is None:
        raise HTTPException(404, f"There is no plan called '{slug}'.")
    view = read_plan_view(session=session, plan=plan, as_at=as_at or default_as_at(plan))
    return templates.TemplateResponse(request, "plans/plan.html", {"view": view})


def _appendix_for(session, slug: str, as_at: date | None, since: date | None):
    plan = get_plan(session=session, slug=slug)
    if plan is None:
        raise HTTPException(404, f"There is no plan called '{slug}'.")
    as_at = as_at or default_as_at(plan)
    if since is not None and since >= as_at:
        raise HTTPException(
            400, f"'Changes since' ({uk_date(since)}) must be before the as-at date ({uk_date(as_at)})."
        )
    return build_appendix(session, plan, as_at, since=since)


@web_router.get("/plans/{slug}/reports/appendix")
def read_appendix(
    request: Request, slug: str, session: SessionDep,
    as_at: date | None = None, since: date | None = None,
):
    report = _appendix_for(session, slug, as_at, since)
    return HTMLResponse(render_html(report))


@web_router.get("/plans/{slug}/reports/appendix.{extension}")
def read_appendix_file(
    slug: str, extension: str, session: SessionDep,
    as_at: date | None = None, since: date | None = None,
):
    if extension not in FORMATS or extension == "html":
        raise HTTPException(404, f"The appendix is not available as '{extension}'.")
    report = _appendix_for(session, slug, as_at, since)
    output = FORMATS[extension]
    return Response(
        output.render(report),
        media_type=output.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(report, extension)}"'
        },
    )
