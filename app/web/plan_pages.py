"""Pages for everyone signed in: plans, the plan dashboard, an action and its history."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.core.models import Role, Stage
from app.deps import CurrentUser, PagePrincipal, PlanDep, ReportDatesDep, SessionDep
from app.domain.access import cookie_principal, readable_plan_ids
from app.domain.action_filters import ActionFilters as Filters
from app.domain.as_at import plan_state_notice
from app.domain.auth import editable_action_ids
from app.domain.boards import default_meeting, meetings_for_plan
from app.domain.lineage import plan_lineage
from app.domain.plans import read_plan_summaries, read_plan_view
from app.domain.rag import STAGE_LABELS, ratings
from app.jobs import JOB_FORMATS, appendix_file
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS, file_name
from app.reports.render_html import render_html
from app.web.page_cache import cached_page, kept_page
from app.web.report_files import file_status, report_file, retry_file
from app.web.templating import templates

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def read_health() -> dict:
    return {"status": "ok"}


@router.get("/")
def read_home(request: Request, session: SessionDep, principal: PagePrincipal):
    summaries = read_plan_summaries(session=session, plan_ids=readable_plan_ids(session, principal))
    return templates.TemplateResponse(request, "home.html", {"summaries": summaries})


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise HTTPException(400, f"'{value}' is not a valid choice for a filter.") from None


@kept_page(router, "/plans/{slug}")
def read_plan(
    request: Request,
    plan: PlanDep,
    dates: ReportDatesDep,
    session: SessionDep,
    user: CurrentUser,
    principal: PagePrincipal,
    theme: str | None = None,
    owner: str | None = None,
    organisation: str | None = None,
    stage: str | None = None,
    rag: str | None = None,
    overdue: str | None = None,
):
    def render() -> Response:
        return _plan_page(
            request,
            plan,
            dates,
            session,
            user,
            principal,
            theme,
            owner,
            organisation,
            stage,
            rag,
            overdue,
        )

    return cached_page(request, session, plan_id=plan.id, render=render)


def _plan_page(
    request, plan, dates, session, user, principal, theme, owner, organisation, stage, rag, overdue
) -> Response:
    readable = readable_plan_ids(session, principal)
    view = read_plan_view(session=session, plan=plan, as_at=dates.as_at, plan_ids=readable)
    if stage and stage not in {s.value for s in Stage}:
        raise HTTPException(400, f"'{stage}' is not a stage.")
    if rag and rag not in {r.key for r in ratings(plan.rag_scheme)}:
        raise HTTPException(400, f"'{rag}' is not a rating of this plan.")
    filters = Filters(
        theme=_int_or_none(theme),
        owner=_int_or_none(owner),
        organisation=_int_or_none(organisation),
        stage=stage or None,
        rag=rag or None,
        overdue=overdue in ("1", "yes", "true", "on"),
    )
    shown = {
        theme_view.theme.id: [s for s in theme_view.statuses if filters.keep(s, view.as_at)]
        for theme_view in view.themes
    }
    all_people = {s.action.lead_person_id for tv in view.themes for s in tv.statuses}
    context = {
        "view": view,
        "filters": filters,
        "shown": shown,
        "shown_count": sum(len(rows) for rows in shown.values()),
        "owners": sorted(
            ((pid, view.people[pid]) for pid in all_people if pid in view.people),
            key=lambda item: item[1].role,
        ),
        "stages": list(STAGE_LABELS.items()),
        "rag_rules": ratings(plan.rag_scheme),
        "editable": editable_action_ids(session, user=user, plan_id=plan.id),
        "lineage": plan_lineage(session=session, plan=plan, plan_ids=readable),
    }
    is_htmx = request.headers.get("HX-Request") == "true"
    response = templates.TemplateResponse(
        request, "plans/plan.html", context, block_name="results" if is_htmx else None
    )
    response.headers["Vary"] = "HX-Request"
    return response


# --- The appendix --------------------------------------------------------------------------


@kept_page(router, "/plans/{slug}/reports/appendix")
def read_appendix(
    request: Request,
    plan: PlanDep,
    dates: ReportDatesDep,
    session: SessionDep,
    user: CurrentUser,
):
    return cached_page(
        request,
        session,
        plan_id=plan.id,
        render=lambda: _appendix_page(request, plan, dates, session, user),
    )


def _readers_appendix(session, plan, dates, user):
    """The appendix as this reader may see it: other plans named only if they may read them."""
    return build_appendix(
        session,
        plan,
        dates.as_at,
        since=dates.since,
        plan_ids=readable_plan_ids(session, cookie_principal(user)),
    )


def _appendix_page(request, plan, dates, session, user) -> HTMLResponse:
    report = _readers_appendix(session, plan, dates, user)
    publish_form = None
    if user.role == Role.admin:
        publish_form = Markup(
            templates.env.get_template("reports/_publish_appendix.html").render(
                request=request,
                report=report,
                meetings=meetings_for_plan(session=session, plan=plan),
                default_meeting=default_meeting(session=session, plan=plan, as_at=report.as_at),
            )
        )
    return HTMLResponse(
        render_html(
            report, request=request, publish_form=publish_form, banner=plan_state_notice(plan)
        )
    )


def _appendix_file(session, plan, extension: str, dates):
    if extension not in JOB_FORMATS:
        raise HTTPException(404, f"The appendix is not available as '{extension}'.")
    return appendix_file(session, plan, extension, as_at=dates.as_at, since=dates.since)


@router.get("/plans/{slug}/reports/appendix.{extension}")
def read_appendix_file(
    request: Request,
    plan: PlanDep,
    extension: str,
    dates: ReportDatesDep,
    session: SessionDep,
    user: CurrentUser,
):
    if extension not in FORMATS or extension == "html":
        raise HTTPException(404, f"The appendix is not available as '{extension}'.")
    if extension in JOB_FORMATS:  # made by a worker (app/jobs.py)
        wanted = _appendix_file(session, plan, extension, dates)
        return report_file(request, session, plan, wanted)
    report = _readers_appendix(session, plan, dates, user)
    output = FORMATS[extension]
    return Response(
        output.render(report),
        media_type=output.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, extension)}"'},
    )


@router.get("/plans/{slug}/reports/appendix.{extension}/status")
def read_appendix_file_status(
    request: Request,
    plan: PlanDep,
    extension: str,
    dates: ReportDatesDep,
    session: SessionDep,
    user: CurrentUser,
):
    wanted = _appendix_file(session, plan, extension, dates)
    return file_status(request, session, plan, wanted)


@router.post("/plans/{slug}/reports/appendix.{extension}")
def retry_appendix_file(
    request: Request,
    plan: PlanDep,
    extension: str,
    dates: ReportDatesDep,
    session: SessionDep,
    user: CurrentUser,
):
    return retry_file(request, session, _appendix_file(session, plan, extension, dates))
