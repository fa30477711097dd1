"""Pages for the commissioner's office: updates due, reminders, approvals, the audit log."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.deps import (
    AdminUser,
    PageNumber,
    PathId,
    QueryDate,
    QueryId,
    RequiredFormId,
    SessionDep,
)
from app.domain.audit import audit_filter_choices, read_events
from app.domain.cycle import read_completion_page
from app.domain.errors import NotFound
from app.domain.reminders import ReminderError, reminders_for_meeting, send_reminders
from app.domain.updates import ReviewError, get_update, pending_updates, review_update
from app.web.templating import templates

router = APIRouter()


def _completion_context(session: Session, plan_slug: str | None, meeting_id: int | None) -> dict:
    try:
        page = read_completion_page(
            session=session, plan_slug=plan_slug, meeting_id=meeting_id, today=date.today()
        )
    except NotFound as error:
        raise HTTPException(404, error.message) from None
    return {
        "plans": page.plans,
        "plan": page.plan,
        "meetings": page.meetings,
        "cycle": page.cycle,
        "owners": page.owners,
        "groups": page.groups,
        "reminders": reminders_for_meeting(session, meeting=page.cycle.meeting),
    }


@router.get("/completion")
def read_completion(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    plan: str | None = None,
    meeting: QueryId = None,
):
    context = _completion_context(session, plan, meeting)
    return templates.TemplateResponse(request, "office/completion.html", context)


@router.post("/completion/reminders")
def create_reminders(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    meeting: RequiredFormId,
    plan: str = Form(...),
):
    context = _completion_context(session, plan, meeting)
    try:
        result = send_reminders(session, plan=context["plan"], cycle=context["cycle"], sender=user)
    except ReminderError as error:
        context = _completion_context(session, plan, meeting)
        return templates.TemplateResponse(
            request, "office/completion.html", context | {"error": str(error)}, status_code=502
        )
    context = _completion_context(session, plan, meeting)
    return templates.TemplateResponse(
        request, "office/completion.html", context | {"result": result}
    )


@router.get("/approvals")
def read_approvals(request: Request, session: SessionDep, user: AdminUser):
    return templates.TemplateResponse(
        request, "office/approvals.html", {"pending": pending_updates(session), "errors": {}}
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
                "pending": pending_updates(session),
                "errors": {update_id: str(error)},
                "reasons": {update_id: reason},
            },
            status_code=400,
        )
    return RedirectResponse("/approvals", status_code=303)


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
            "query": {
                "actor": actor or "",
                "verb": verb or "",
                "entity_type": entity_type or "",
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
            },
        },
    )
