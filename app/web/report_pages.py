"""The board's view: highlight reports, publishing for a meeting, boards' pages, the public view."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session, select

from app.core.models import Board, Meeting, Outcome, Plan, PublishedReport, Theme
from app.deps import AdminUser, CurrentUser, OptionalSignedIn, SessionDep
from app.domain.as_at import default_as_at
from app.domain.audit import record_event
from app.domain.timescales import uk_date
from app.publishing import (
    PublishError,
    compare_reports,
    file_formats,
    load_model,
    previous_published,
    publish_report,
    published_file,
)
from app.reports.appendix import build_appendix
from app.reports.highlight import build_highlight, with_edited_text
from app.reports.highlight_formats import HIGHLIGHT_FORMATS, render_highlight_html
from app.reports.render_html import render_html
from app.web.plan_pages import plan_or_404
from app.web.templating import templates

router = APIRouter()

FILE_LABELS = {"pdf": "PDF", "docx": "Word", "xlsx": "Excel", "csv": "CSV", "json": "JSON"}


def _meeting_or_404(session: Session, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise HTTPException(404, "There is no such meeting.")
    return meeting


def _default_meeting(session: Session, plan: Plan, as_at: date) -> Meeting | None:
    """The plan's board's latest meeting on or before the as-at date."""
    if plan.board_id is None:
        return None
    return session.exec(
        select(Meeting)
        .where(Meeting.board_id == plan.board_id, Meeting.held_on <= as_at)
        .order_by(Meeting.held_on.desc())
        .limit(1)
    ).first()


def _highlight(session: Session, plan: Plan, meeting_id: int | None, as_at: date | None):
    meeting = _meeting_or_404(session, meeting_id)
    if meeting is None:
        meeting = _default_meeting(session, plan, as_at or default_as_at(plan))
    return meeting, build_highlight(session, plan, meeting, as_at=as_at)


def _meetings_for(session: Session, plan: Plan) -> list[tuple[Meeting, Board]]:
    return list(
        session.exec(
            select(Meeting, Board)
            .join(Board, Board.id == Meeting.board_id)
            .where(Meeting.held_on >= plan.period_start)
            .order_by(Meeting.held_on)
        )
    )


@router.get("/plans/{slug}/reports/highlight")
def read_highlight(
    request: Request,
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    meeting: int | None = None,
    as_at: date | None = None,
):
    plan = plan_or_404(session, slug)
    chosen, report = _highlight(session, plan, meeting, as_at)
    controls = templates.env.get_template("reports/_highlight_controls.html").render(
        request=request,
        report=report,
        plan=plan,
        meeting=chosen,
        user=user,
        meetings=_meetings_for(session, plan),
    )
    return HTMLResponse(render_highlight_html(report, request=request, controls=Markup(controls)))


@router.get("/plans/{slug}/reports/highlight.{extension}")
def read_highlight_file(
    slug: str,
    extension: str,
    session: SessionDep,
    user: CurrentUser,
    meeting: int | None = None,
    as_at: date | None = None,
):
    if extension not in HIGHLIGHT_FORMATS or extension == "html":
        raise HTTPException(404, f"The highlight report is not available as '{extension}'.")
    plan = plan_or_404(session, slug)
    _, report = _highlight(session, plan, meeting, as_at)
    output = HIGHLIGHT_FORMATS[extension]
    name = f"{plan.slug}-highlight-{report.as_at.isoformat()}.{extension}"
    return Response(
        output.render(report),
        media_type=output.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _publish(
    session: Session, *, plan: Plan, meeting: Meeting | None, report, user
) -> RedirectResponse:
    try:
        published = publish_report(session, plan=plan, meeting=meeting, report=report, user=user)
    except PublishError as error:
        session.rollback()
        raise HTTPException(409, str(error)) from None
    session.commit()
    return RedirectResponse(f"/published/{published.id}", status_code=303)


@router.post("/plans/{slug}/reports/highlight/publish")
def create_highlight_publication(
    slug: str,
    session: SessionDep,
    user: AdminUser,
    meeting: int | None = Form(None),
    as_at: str = Form(""),
    activity: str = Form(""),
    planned: str = Form(""),
):
    plan = plan_or_404(session, slug)
    try:
        as_at_date = date.fromisoformat(as_at) if as_at else None
    except ValueError:
        raise HTTPException(400, f"'{as_at}' is not a date in the form YYYY-MM-DD.") from None
    chosen, report = _highlight(session, plan, meeting, as_at_date)
    if len(activity) + len(planned) > 50_000:
        raise HTTPException(400, "The edited text is too long (50,000 characters at most).")
    report = with_edited_text(report, {"activity": activity, "planned": planned})
    return _publish(session, plan=plan, meeting=chosen, report=report, user=user)


@router.post("/plans/{slug}/reports/appendix/publish")
def create_appendix_publication(
    slug: str,
    session: SessionDep,
    user: AdminUser,
    meeting: int | None = Form(None),
    as_at: str = Form(""),
    since: str = Form(""),
):
    plan = plan_or_404(session, slug)
    try:
        as_at_date = date.fromisoformat(as_at) if as_at else default_as_at(plan)
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        raise HTTPException(400, "Dates must be in the form YYYY-MM-DD.") from None
    if since_date and since_date >= as_at_date:
        raise HTTPException(400, "'Changes since' must be before the as-at date.")
    chosen = _meeting_or_404(session, meeting) or _default_meeting(session, plan, as_at_date)
    report = build_appendix(session, plan, as_at_date, since=since_date)
    return _publish(session, plan=plan, meeting=chosen, report=report, user=user)


# --- Boards and published reports --------------------------------------------------------


@router.get("/boards")
def read_boards(request: Request, session: SessionDep, user: CurrentUser):
    boards = session.exec(select(Board).order_by(Board.name)).all()
    return templates.TemplateResponse(request, "boards/boards.html", {"boards": boards})


@router.get("/boards/{short_name}")
def read_board(request: Request, short_name: str, session: SessionDep, user: CurrentUser):
    board = session.exec(select(Board).where(Board.short_name == short_name)).first()
    if board is None:
        raise HTTPException(404, f"There is no board called '{short_name}'.")
    meetings = session.exec(
        select(Meeting).where(Meeting.board_id == board.id).order_by(Meeting.held_on.desc())
    ).all()
    reports = session.exec(
        select(PublishedReport, Plan)
        .join(Plan, Plan.id == PublishedReport.plan_id)
        .where(PublishedReport.meeting_id.in_([m.id for m in meetings]))
        .order_by(PublishedReport.published_at)
    ).all()
    by_meeting: dict[int, list] = {}
    for report, plan in reports:
        by_meeting.setdefault(report.meeting_id, []).append((report, plan))
    plans = session.exec(select(Plan).where(Plan.board_id == board.id).order_by(Plan.title)).all()
    return templates.TemplateResponse(
        request,
        "boards/board.html",
        {
            "board": board,
            "meetings": meetings,
            "by_meeting": by_meeting,
            "plans": plans,
        },
    )


def _published_or_404(
    session: Session, report_id: int, *, public: bool = False
) -> tuple[PublishedReport, Plan]:
    report = session.get(PublishedReport, report_id)
    plan = session.get(Plan, report.plan_id) if report else None
    if report is None or (public and not plan.is_public):
        raise HTTPException(404, "There is no such published report.")
    return report, plan


def _render_published(
    request: Request, session: Session, report: PublishedReport, plan: Plan, *, prefix: str
) -> HTMLResponse:
    model = load_model(report)
    meeting = session.get(Meeting, report.meeting_id) if report.meeting_id else None
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


def _published_file_response(
    session: Session, report: PublishedReport, plan: Plan, extension: str
) -> Response:
    stored = published_file(session, report_id=report.id, format=extension)
    if stored is None:
        raise HTTPException(404, f"This report was not published as '{extension}'.")
    name = f"{plan.slug}-{report.kind}-{report.as_at.isoformat()}-published.{extension}"
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/published/{report_id}.{extension}")
def read_published_file(report_id: int, extension: str, session: SessionDep, user: CurrentUser):
    report, plan = _published_or_404(session, report_id)
    return _published_file_response(session, report, plan, extension)


@router.get("/published/{report_id}")
def read_published(request: Request, report_id: int, session: SessionDep, user: CurrentUser):
    report, plan = _published_or_404(session, report_id)
    return _render_published(request, session, report, plan, prefix="")


def _changes_page(
    request: Request, session: Session, report: PublishedReport, plan: Plan, *, prefix: str
):
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


@router.get("/published/{report_id}/changes")
def read_published_changes(
    request: Request, report_id: int, session: SessionDep, user: CurrentUser
):
    report, plan = _published_or_404(session, report_id)
    return _changes_page(request, session, report, plan, prefix="")


# --- The public view: published reports and the top levels of a public plan, nothing else ---


def _set_plan_setting(
    session: Session, *, slug: str, user, field: str, value: bool, verb: str, summary: str
) -> RedirectResponse:
    """Change one of a plan's yes/no settings, with an audit event saying before and after."""
    plan = plan_or_404(session, slug)
    before = getattr(plan, field)
    setattr(plan, field, value)
    session.add(plan)
    record_event(
        session,
        user=user,
        verb=verb,
        entity_type="plan",
        entity_id=plan.id,
        summary=summary.format(plan=plan.short_title),
        before={field: before},
        after={field: value},
    )
    session.commit()
    return RedirectResponse(f"/plans/{plan.slug}", status_code=303)


@router.post("/plans/{slug}/public")
def update_plan_public(slug: str, session: SessionDep, user: AdminUser, public: str = Form("")):
    value = public == "yes"
    summary = ("Published" if value else "Withdrew") + " the public view of {plan}"
    return _set_plan_setting(
        session,
        slug=slug,
        user=user,
        field="is_public",
        value=value,
        verb="set_public",
        summary=summary,
    )


@router.post("/plans/{slug}/approval")
def update_plan_approval(slug: str, session: SessionDep, user: AdminUser, required: str = Form("")):
    """Whether editors' updates wait for the office's approval before boards see them."""
    value = required == "yes"
    summary = "Updates to {plan} " + (
        "now need the office's approval" if value else "no longer need approval"
    )
    return _set_plan_setting(
        session,
        slug=slug,
        user=user,
        field="requires_approval",
        value=value,
        verb="set_approval",
        summary=summary,
    )


def _public_plan_or_404(session: Session, slug: str) -> Plan:
    plan = session.exec(select(Plan).where(Plan.slug == slug)).first()
    if plan is None or not plan.is_public:
        raise HTTPException(404, "There is no public plan at this address.")
    return plan


@router.get("/public/plans/{slug}")
def read_public_plan(request: Request, slug: str, session: SessionDep, signed_in: OptionalSignedIn):
    plan = _public_plan_or_404(session, slug)
    return templates.TemplateResponse(
        request,
        "public/plan.html",
        {
            "plan": plan,
            "board": session.get(Board, plan.board_id) if plan.board_id else None,
            "outcomes": session.exec(
                select(Outcome).where(Outcome.plan_id == plan.id).order_by(Outcome.position)
            ).all(),
            "themes": session.exec(
                select(Theme).where(Theme.plan_id == plan.id).order_by(Theme.position)
            ).all(),
            "reports": session.exec(
                select(PublishedReport)
                .where(PublishedReport.plan_id == plan.id)
                .order_by(PublishedReport.as_at.desc())
            ).all(),
        },
    )


@router.get("/public/published/{report_id}.{extension}")
def read_public_published_file(
    report_id: int, extension: str, session: SessionDep, signed_in: OptionalSignedIn
):
    report, plan = _published_or_404(session, report_id, public=True)
    return _published_file_response(session, report, plan, extension)


@router.get("/public/published/{report_id}")
def read_public_published(
    request: Request, report_id: int, session: SessionDep, signed_in: OptionalSignedIn
):
    report, plan = _published_or_404(session, report_id, public=True)
    return _render_published(request, session, report, plan, prefix="/public")


@router.get("/public/published/{report_id}/changes")
def read_public_published_changes(
    request: Request, report_id: int, session: SessionDep, signed_in: OptionalSignedIn
):
    report, plan = _published_or_404(session, report_id, public=True)
    return _changes_page(request, session, report, plan, prefix="/public")
