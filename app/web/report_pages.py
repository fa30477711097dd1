"""The board's view: highlight reports, publishing for a meeting, published reports, the public
view. (The boards' own pages are in board_pages.py.)"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app.core.db import own_transaction
from app.core.models import Meeting, Plan, PublishedReport
from app.deps import (
    AdminUser,
    CurrentUser,
    FormId,
    OptionalSignedIn,
    PagePrincipal,
    PathId,
    PlanDep,
    QueryDate,
    QueryId,
    SessionDep,
    date_or_parts,
)
from app.domain.access import board_plan_ids, may_read_plan
from app.domain.as_at import AsAtError, plan_state_notice, resolve_dates
from app.domain.boards import (
    MeetingCancelled,
    MeetingNotUsable,
    default_meeting,
    get_published_report,
    meeting_for_plan,
    meetings_for_plan,
    read_public_plan_page,
)
from app.domain.errors import NotFound
from app.domain.plan_settings import set_plan_switch
from app.domain.progress import get_plan
from app.domain.timescales import uk_date
from app.jobs import JOB_FORMATS, highlight_file
from app.publishing import (
    PublishError,
    compare_reports,
    file_formats,
    load_model,
    previous_published,
    publish_report,
    published_file,
    refuse_second_publication,
    render_published_files,
)
from app.reports.appendix import build_appendix
from app.reports.highlight import build_highlight, with_edited_text
from app.reports.highlight_formats import HIGHLIGHT_FORMATS, render_highlight_html
from app.reports.render_html import render_html
from app.web.forms import parse_iso_date
from app.web.page_cache import cached_page, kept_page
from app.web.report_files import file_status, report_file, retry_file
from app.web.templating import templates

router = APIRouter()

FILE_LABELS = {"pdf": "PDF", "docx": "Word", "xlsx": "Excel", "csv": "CSV", "json": "JSON"}


def _plans_meeting(session: Session, plan: Plan, meeting_id: int | None) -> Meeting | None:
    """The meeting chosen for a report of the plan: 404 when there is none, 400 when it is
    another board's, 409 when it was cancelled."""
    if meeting_id is None:
        return None
    try:
        return meeting_for_plan(session=session, plan=plan, meeting_id=meeting_id)
    except NotFound as error:
        raise HTTPException(404, error.message) from None
    except MeetingNotUsable as error:
        status = 409 if isinstance(error, MeetingCancelled) else 400
        raise HTTPException(status, error.message) from None


def _form_date(value: str, label: str) -> date | None:
    if not value.strip():
        return None
    parsed = parse_iso_date(value)
    if parsed is None:
        raise HTTPException(400, f"The {label}, '{value}', is not a date in the form YYYY-MM-DD.")
    return parsed


def _dates(plan: Plan, as_at: date | None, since: date | None = None):
    try:
        return resolve_dates(plan, as_at=as_at, since=since)
    except AsAtError as error:
        raise HTTPException(400, error.message) from None


def _chosen_meeting(session: Session, plan: Plan, meeting_id: int | None, as_at: date | None):
    """The meeting a highlight report is for: the one asked for, else the default at the date."""
    meeting = _plans_meeting(session, plan, meeting_id)
    if meeting is None:
        meeting = default_meeting(session=session, plan=plan, as_at=_dates(plan, as_at).as_at)
    return meeting


def _highlight(session: Session, plan: Plan, meeting_id: int | None, as_at: date | None):
    meeting = _chosen_meeting(session, plan, meeting_id, as_at)
    return meeting, build_highlight(session, plan, meeting, as_at=as_at)


@kept_page(router, "/plans/{slug}/reports/highlight")
def read_highlight(
    request: Request,
    plan: PlanDep,
    session: SessionDep,
    user: CurrentUser,
    meeting: QueryId = None,
    as_at: QueryDate = None,
):
    as_at = date_or_parts(request, as_at, "as_at", "the as-at date")
    return cached_page(
        request,
        session,
        plan_id=plan.id,
        render=lambda: _highlight_page(request, plan, session, user, meeting, as_at),
    )


def _highlight_page(request, plan, session, user, meeting, as_at) -> HTMLResponse:
    chosen, report = _highlight(session, plan, meeting, as_at)
    controls = templates.env.get_template("reports/_highlight_controls.html").render(
        request=request,
        report=report,
        plan=plan,
        meeting=chosen,
        user=user,
        meetings=meetings_for_plan(session=session, plan=plan),
    )
    return HTMLResponse(
        render_highlight_html(
            report, request=request, controls=Markup(controls), banner=plan_state_notice(plan)
        )
    )


@router.get("/plans/{slug}/reports/highlight.{extension}")
def read_highlight_file(
    request: Request,
    plan: PlanDep,
    extension: str,
    session: SessionDep,
    user: CurrentUser,
    meeting: QueryId = None,
    as_at: QueryDate = None,
):
    if extension not in HIGHLIGHT_FORMATS or extension == "html":
        raise HTTPException(404, f"The highlight report is not available as '{extension}'.")
    as_at = date_or_parts(request, as_at, "as_at", "the as-at date")
    if extension in JOB_FORMATS:  # made by a worker (app/jobs.py)
        wanted = _highlight_file(session, plan, extension, meeting, as_at)
        return report_file(request, session, plan, wanted)
    _, report = _highlight(session, plan, meeting, as_at)
    output = HIGHLIGHT_FORMATS[extension]
    name = f"{plan.slug}-highlight-{report.as_at.isoformat()}.{extension}"
    return Response(
        output.render(report),
        media_type=output.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _highlight_file(session: Session, plan: Plan, extension: str, meeting_id, as_at):
    """The highlight report's file for the meeting chosen as _highlight chooses it."""
    if extension not in JOB_FORMATS:
        raise HTTPException(404, f"The highlight report is not available as '{extension}'.")
    meeting = _chosen_meeting(session, plan, meeting_id, as_at)
    return highlight_file(plan, extension, meeting=meeting, as_at=as_at)


@router.get("/plans/{slug}/reports/highlight.{extension}/status")
def read_highlight_file_status(
    request: Request,
    plan: PlanDep,
    extension: str,
    session: SessionDep,
    user: CurrentUser,
    meeting: QueryId = None,
    as_at: QueryDate = None,
):
    as_at = date_or_parts(request, as_at, "as_at", "the as-at date")
    wanted = _highlight_file(session, plan, extension, meeting, as_at)
    return file_status(request, session, plan, wanted)


@router.post("/plans/{slug}/reports/highlight.{extension}")
def retry_highlight_file(
    request: Request,
    plan: PlanDep,
    extension: str,
    session: SessionDep,
    user: CurrentUser,
    meeting: QueryId = None,
    as_at: QueryDate = None,
):
    wanted = _highlight_file(session, plan, extension, meeting, as_at)
    return retry_file(request, session, wanted)


def _publish(session: Session, *, plan: Plan, meeting: Meeting | None, report, user):
    """The files first, in the request's read transaction: a large plan's PDF takes seconds, and
    on SQLite a write transaction holds the whole database. Then the publication, in a short
    write transaction of its own (these routes are in app.deps.WRITES_IN_OWN_TRANSACTIONS)."""
    try:
        refuse_second_publication(session, plan=plan, meeting=meeting, kind=report.kind)
        files = render_published_files(report)
        with own_transaction(session) as own:
            published = publish_report(
                own, plan=plan, meeting=meeting, report=report, user=user, files=files
            )
    except PublishError as error:
        raise HTTPException(409, str(error)) from None
    return RedirectResponse(f"/published/{published.id}", status_code=303)


@router.post("/plans/{slug}/reports/highlight/publish")
def create_highlight_publication(
    plan: PlanDep,
    session: SessionDep,
    user: AdminUser,
    meeting: FormId = None,
    as_at: str = Form(""),
    activity: str = Form(""),
    planned: str = Form(""),
):
    chosen, report = _highlight(session, plan, meeting, _form_date(as_at, "as-at date"))
    if len(activity) + len(planned) > 50_000:
        raise HTTPException(400, "The edited text is too long (50,000 characters at most).")
    report = with_edited_text(report, {"activity": activity, "planned": planned})
    return _publish(session, plan=plan, meeting=chosen, report=report, user=user)


@router.post("/plans/{slug}/reports/appendix/publish")
def create_appendix_publication(
    plan: PlanDep,
    session: SessionDep,
    user: AdminUser,
    meeting: FormId = None,
    as_at: str = Form(""),
    since: str = Form(""),
):
    dates = _dates(plan, _form_date(as_at, "as-at date"), _form_date(since, "'changes since' date"))
    chosen = _plans_meeting(session, plan, meeting) or default_meeting(
        session=session, plan=plan, as_at=dates.as_at
    )
    # Published reports are kept as they were: they name only plans every reader of this one
    # may read (its board's), whoever reads them later.
    report = build_appendix(
        session, plan, dates.as_at, since=dates.since, plan_ids=board_plan_ids(session, plan)
    )
    return _publish(session, plan=plan, meeting=chosen, report=report, user=user)


# --- Published reports ---------------------------------------------------------------------


def _find_published(report_id: int, session: Session):
    found = get_published_report(session=session, report_id=report_id)
    if found is None:
        raise HTTPException(404, "There is no such published report.")
    return found


def _load_published(report_id: PathId, session: SessionDep, principal: PagePrincipal):
    """A published report of a plan the signed-in person may read; any other is not found."""
    found = _find_published(report_id, session)
    if not may_read_plan(session, principal, found[1]):
        raise HTTPException(404, "There is no such published report.")
    return found


def _load_public_published(report_id: PathId, session: SessionDep):
    found = _find_published(report_id, session)
    if not found[1].is_public:
        raise HTTPException(404, "There is no such published report.")
    return found


PublishedDep = Annotated[tuple[PublishedReport, Plan, Meeting | None], Depends(_load_published)]
PublicPublishedDep = Annotated[
    tuple[PublishedReport, Plan, Meeting | None], Depends(_load_public_published)
]


def _render_published(request: Request, session: Session, published, *, prefix: str):
    report, _plan, meeting = published
    model = load_model(report)
    banner = (
        f"Published on {uk_date(report.published_at.date())}"
        + (f" for {meeting.title}, {uk_date(meeting.held_on)}" if meeting else "")
        + ". This is the report exactly as it was published."
    )
    links = [
        (f"{prefix}/published/{report.id}.{name}", FILE_LABELS.get(name, name))
        for name in file_formats(session, report_id=report.id)
    ]
    if report.kind == "appendix":
        return HTMLResponse(
            render_html(model, request=request, banner=banner, published_links=links)
        )
    controls = Markup(
        templates.env.get_template("reports/_published_links.html").render(
            links=links, changes_href=f"{prefix}/published/{report.id}/changes"
        )
    )
    return HTMLResponse(
        render_highlight_html(model, request=request, banner=banner, controls=controls)
    )


def _published_file_response(session: Session, published, extension: str) -> Response:
    report, plan, _meeting = published
    stored = published_file(session, report_id=report.id, format=extension)
    if stored is None:
        raise HTTPException(404, f"This report was not published as '{extension}'.")
    name = f"{plan.slug}-{report.kind}-{report.as_at.isoformat()}-published.{extension}"
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _changes_page(request: Request, session: Session, published, *, prefix: str):
    report, plan, _meeting = published
    previous = previous_published(session, report=report)
    comparison = compare_reports(load_model(previous), load_model(report)) if previous else None
    return templates.TemplateResponse(
        request,
        "boards/changes.html",
        {
            "report": report,
            "previous": previous,
            "plan": plan,
            "comparison": comparison,
            "prefix": prefix,
        },
    )


@router.get("/published/{report_id}.{extension}")
def read_published_file(
    published: PublishedDep, extension: str, session: SessionDep, user: CurrentUser
):
    return _published_file_response(session, published, extension)


@router.get("/published/{report_id}")
def read_published(
    request: Request, published: PublishedDep, session: SessionDep, user: CurrentUser
):
    return _render_published(request, session, published, prefix="")


@router.get("/published/{report_id}/changes")
def read_published_changes(
    request: Request, published: PublishedDep, session: SessionDep, user: CurrentUser
):
    return _changes_page(request, session, published, prefix="")


# --- The office's switches for a plan -------------------------------------------------------


@router.post("/plans/{slug}/public")
def update_plan_public(plan: PlanDep, session: SessionDep, user: AdminUser, public: str = Form("")):
    set_plan_switch(session=session, plan=plan, user=user, field="is_public", value=public == "yes")
    return RedirectResponse(f"/plans/{plan.slug}/settings", status_code=303)


@router.post("/plans/{slug}/approval")
def update_plan_approval(
    plan: PlanDep, session: SessionDep, user: AdminUser, required: str = Form("")
):
    """Whether editors' updates wait for the office's approval before boards see them."""
    set_plan_switch(
        session=session, plan=plan, user=user, field="requires_approval", value=required == "yes"
    )
    return RedirectResponse(f"/plans/{plan.slug}/settings", status_code=303)


# --- The public view: published reports and the top levels of a public plan, nothing else ---


@router.get("/public/plans/{slug}")
def read_public_plan(request: Request, slug: str, session: SessionDep, signed_in: OptionalSignedIn):
    plan = get_plan(session=session, slug=slug)
    if plan is None or not plan.is_public:
        raise HTTPException(404, "There is no public plan at this address.")
    page = read_public_plan_page(session=session, plan=plan)
    return templates.TemplateResponse(
        request,
        "public/plan.html",
        {
            "plan": page.plan,
            "board": page.board,
            "outcomes": page.outcomes,
            "themes": page.themes,
            "reports": page.reports,
        },
    )


@router.get("/public/published/{report_id}.{extension}")
def read_public_published_file(
    published: PublicPublishedDep,
    extension: str,
    session: SessionDep,
    signed_in: OptionalSignedIn,
):
    return _published_file_response(session, published, extension)


@router.get("/public/published/{report_id}")
def read_public_published(
    request: Request,
    published: PublicPublishedDep,
    session: SessionDep,
    signed_in: OptionalSignedIn,
):
    return _render_published(request, session, published, prefix="/public")


@router.get("/public/published/{report_id}/changes")
def read_public_published_changes(
    request: Request,
    published: PublicPublishedDep,
    session: SessionDep,
    signed_in: OptionalSignedIn,
):
    return _changes_page(request, session, published, prefix="/public")
