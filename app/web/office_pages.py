"""Pages for the commissioner's office: updates due, reminders, approvals, the audit log."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.deps import (
    AdminUser,
    PageNumber,
    PathId,
    QueryDate,
    QueryId,
    RequiredFormId,
    SessionDep,
    date_or_parts,
)
from app.domain.audit import audit_filter_choices, read_events
from app.domain.cycle import CompletionPage, read_approvals_page, read_completion_page
from app.domain.errors import NotFound
from app.domain.reminders import (
    ReminderError,
    ReminderRefused,
    send_escalations,
    send_reminders,
)
from app.domain.updates import ReviewError, get_update, review_update
from app.web.templating import templates

router = APIRouter()


def _completion(session: SessionDep, plan_slug: str | None, meeting_id: int | None):
    try:
        return read_completion_page(
            session=session, plan_slug=plan_slug, meeting_id=meeting_id, today=date.today()
        )
    except NotFound as error:
        raise HTTPException(404, error.message) from None


def _render_completion(request: Request, page: CompletionPage, *, status_code: int = 200, **extra):
    """The whole page, or (for HTMX, when the plan or meeting changes) its body alone."""
    is_htmx = request.headers.get("HX-Request") == "true"
    response = templates.TemplateResponse(
        request,
        "office/completion.html",
        {"page": page, "cycle": page.cycle, "plan": page.plan} | extra,
        status_code=status_code,
        block_name="completion" if is_htmx else None,
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/completion")
def read_completion(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    plan: str | None = None,
    meeting: QueryId = None,
):
    return _render_completion(request, _completion(session, plan, meeting))


def _send(request: Request, session: SessionDep, user, plan: str, meeting: int, send):
    page = _completion(session, plan, meeting)
    if page.cycle is None or page.cycle.meeting.id != meeting:
        raise HTTPException(
            400, "That meeting is not a meeting (still on) of this plan's board: choose again."
        )
    try:
        result = send(session, plan=page.plan, cycle=page.cycle, today=page.today, sender=user)
    except ReminderRefused as error:
        return _render_completion(request, page, status_code=409, error=error.message)
    except ReminderError as error:
        page = _completion(session, plan, meeting)
        return _render_completion(request, page, status_code=502, error=str(error))
    return _render_completion(request, _completion(session, plan, meeting), result=result)


@router.post("/completion/reminders")
def create_reminders(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    meeting: RequiredFormId,
    plan: str = Form(...),
):
    return _send(request, session, user, plan, meeting, send_reminders)


@router.post("/completion/escalations")
def create_escalations(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    plan: str = Form(...),
    meeting: int = Form(...),
):
    return _send(request, session, user, plan, meeting, send_escalations)


@router.get("/approvals")
def read_approvals(
    request: Request, session: SessionDep, user: AdminUser, reviewed: int | None = None
):
    page = read_approvals_page(session=session, reviewed_id=reviewed)
    return templates.TemplateResponse(
        request, "office/approvals.html", {"page": page, "errors": {}}
    )


@router.post("/approvals/{update_id}")
def update_approval(
    request: Request,
    update_id: PathId,
    session: SessionDep,
    user: AdminUser,
    decision: str = Form(""),
    reason: str = Form(""),
):
    status_update = get_update(session=session, update_id=update_id)
    if status_update is None:
        raise HTTPException(404, "There is no such update.")
    if decision not in ("approve", "return"):
        raise HTTPException(400, "Choose whether to approve or return the update.")
    try:
        review_update(
            session,
            status_update=status_update,
            reviewer=user,
            approve=decision == "approve",
            reason=reason,
        )
    except ReviewError as error:
        return templates.TemplateResponse(
            request,
            "office/approvals.html",
            {
                "page": read_approvals_page(session=session),
                "errors": {update_id: str(error)},
                "reasons": {update_id: reason},
            },
            status_code=400,
        )
    return RedirectResponse(f"/approvals?reviewed={update_id}", status_code=303)


AUDIT_PAGE_SIZE = 100


@router.get("/audit")
def read_audit(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    actor: str | None = None,
    verb: str | None = None,
    entity_type: str | None = None,
    since: QueryDate = None,
    until: QueryDate = None,
    page: PageNumber = 1,
):
    since = date_or_parts(request, since, "since", "the 'from' date")
    until = date_or_parts(request, until, "until", "the 'to' date")
    events = read_events(
        session,
        actor=actor,
        verb=verb or None,
        entity_type=entity_type or None,
        since=since,
        until=until,
        limit=AUDIT_PAGE_SIZE + 1,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
    )
    verbs, entity_types = audit_filter_choices(session=session)
    return templates.TemplateResponse(
        request,
        "office/audit.html",
        {
            "events": events[:AUDIT_PAGE_SIZE],
            "has_more": len(events) > AUDIT_PAGE_SIZE,
            "page": page,
            "verbs": verbs,
            "entity_types": entity_types,
            "dates": {"since": since, "until": until},
            "query": {
                "actor": actor or "",
                "verb": verb or "",
                "entity_type": entity_type or "",
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
            },
        },
    )
