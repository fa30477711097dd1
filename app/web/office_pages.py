"""Pages for the commissioner's office: updates due, reminders, approvals, the audit log."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from app.core.models import AuditEvent, Meeting, Plan, PlanStatus, StatusUpdate, User
from app.deps import AdminUser, SessionDep
from app.domain.audit import read_events
from app.domain.cycle import board_meetings, completion, cycle_for_meeting, next_meeting
from app.domain.reminders import ReminderError, reminders_for_meeting, send_reminders
from app.domain.updates import ReviewError, pending_updates, review_update
from app.web.templating import templates

router = APIRouter()


def _completion_context(session, plan_slug: str | None, meeting_id: int | None):
    plans = list(
        session.exec(
            select(Plan)
            .where(Plan.board_id.is_not(None))
            .order_by((Plan.status != PlanStatus.active), Plan.title)
        )
    )
    if not plans:
        raise HTTPException(404, "There are no plans with a board yet.")
    plan = next((p for p in plans if p.slug == plan_slug), None) if plan_slug else plans[0]
    if plan is None:
        raise HTTPException(404, f"There is no plan called '{plan_slug}'.")
    meetings = board_meetings(session, board_id=plan.board_id)
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.board_id != plan.board_id:
            raise HTTPException(404, "That meeting is not one of this plan's board.")
    else:
        meeting = next_meeting(session, board_id=plan.board_id, today=date.today())
    if meeting is None:
        raise HTTPException(404, "This plan's board has no meetings yet.")
    cycle = cycle_for_meeting(session, meeting=meeting)
    owners, groups = completion(session, plan=plan, cycle=cycle)
    return {
        "plans": plans,
        "plan": plan,
        "meetings": meetings,
        "cycle": cycle,
        "owners": owners,
        "groups": groups,
        "reminders": reminders_for_meeting(session, meeting=meeting),
        "reminder_users": {u.id: u for u in session.exec(select(User))},
    }


@router.get("/completion")
def read_completion(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    plan: str | None = None,
    meeting: int | None = None,
):
    context = _completion_context(session, plan, meeting)
    return templates.TemplateResponse(request, "office/completion.html", context)


@router.post("/completion/reminders")
def create_reminders(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    plan: str = Form(...),
    meeting: int = Form(...),
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
    update_id: int,
    session: SessionDep,
    user: AdminUser,
    decision: str = Form(""),
    reason: str = Form(""),
):
    status_update = session.get(StatusUpdate, update_id)
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
        session.rollback()
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
    session.commit()
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
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
):
    page = max(page, 1)
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
    verbs = sorted(set(session.exec(select(AuditEvent.verb).distinct())))
    entity_types = sorted(set(session.exec(select(AuditEvent.entity_type).distinct())))
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
