"""An action's page, and what programme leads do there: record an update, see "My actions";
the office edits an action's details."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.core.models import Action, Plan, ReviewState, Stage, User
from app.deps import ActionDep, AdminUser, CurrentUser, EditorUser, PlanDep, SessionDep
from app.domain.access import cookie_principal, readable_plan_ids
from app.domain.actions import read_action_page
from app.domain.auth import can_update_action
from app.domain.cycle import read_my_actions
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.errors import NotFound
from app.domain.rag import STAGE_LABELS, ratings
from app.domain.updates import (
    ActionEditRejected,
    UpdateConflict,
    UpdateIn,
    UpdateNotAllowed,
    UpdateRejected,
    edit_action,
    record_update,
)
from app.web.forms import parse_iso_date
from app.web.templating import templates

router = APIRouter()


def action_page_response(
    request: Request,
    session: Session,
    *,
    plan: Plan,
    action: Action,
    user: User,
    form: dict | None = None,
    errors: dict | None = None,
    conflict=None,
    status_code: int = 200,
    notice: str | None = None,
    before: int | None = None,
):
    try:
        page = read_action_page(
            session=session,
            plan=plan,
            action=action,
            user=user,
            plan_ids=readable_plan_ids(session, cookie_principal(user)),
            before=before,
        )
    except NotFound as error:
        raise HTTPException(404, error.message) from None
    may_update = can_update_action(session, user=user, action=action)
    current = page.current
    defaults = {
        "stage": current.stage if current else Stage.in_progress.value,
        "rag": current.rag if current and current.rag else "",
        "commentary": "",
        "corrective_action": "",
        "next_steps": "",
        "effective_on": DateParts.of(min(date.today(), plan.period_end)),
        "version": action.version,
    }
    # "Show older updates" asks for the next page of the history alone.
    more = before is not None and request.headers.get("HX-Request") == "true"
    response = templates.TemplateResponse(
        request,
        "actions/action.html",
        {
            "page": page,
            "may_update": may_update,
            "current": current,
            "form": defaults | (form or {}),
            "errors": errors or {},
            "conflict": conflict,
            "stages": list(STAGE_LABELS.items()),
            "rag_rules": ratings(plan.rag_scheme),
            "notice": notice,
            "more": more,
        },
        status_code=status_code,
        block_name="older_updates" if more else None,
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/plans/{slug}/actions/{ref}")
def read_action(
    request: Request,
    plan: PlanDep,
    action: ActionDep,
    session: SessionDep,
    user: CurrentUser,
    updated: str | None = None,
    before: int | None = None,
):
    notice = None
    if updated == "submitted":
        notice = "Your update has been sent to the office for approval."
    elif updated:
        notice = "Your update has been recorded."
    return action_page_response(
        request, session, plan=plan, action=action, user=user, notice=notice, before=before
    )


@router.post("/plans/{slug}/actions/{ref}/updates")
def create_update(
    request: Request,
    plan: PlanDep,
    action: ActionDep,
    session: SessionDep,
    user: CurrentUser,
    stage: str = Form(""),
    rag: str = Form(""),
    commentary: str = Form(""),
    corrective_action: str = Form(""),
    next_steps: str = Form(""),
    effective_on: str = Form(""),
    effective_on_day: str = Form("", alias="effective_on-day"),
    effective_on_month: str = Form("", alias="effective_on-month"),
    effective_on_year: str = Form("", alias="effective_on-year"),
    version: str = Form(""),
):
    if not can_update_action(session, user=user, action=action):
        raise HTTPException(
            403, "You can only update the actions you lead or whose delivery group you lead."
        )
    # The page's GOV.UK date input sends three boxes; a client may send effective_on as
    # YYYY-MM-DD instead.
    parts = DateParts(day=effective_on_day, month=effective_on_month, year=effective_on_year)
    date_error = None
    if not parts.is_blank:
        try:
            effective = parse_date_parts(parts, label="the effective date")
        except DateInputError as error:
            effective, date_error = None, error.message
    else:
        effective = parse_iso_date(effective_on)
        if effective_on.strip() and effective is None:
            date_error = f"'{effective_on}' is not a date: enter it as day, month and year."
        parts = DateParts.of(effective)
    form = {
        "stage": stage,
        "rag": rag,
        "commentary": commentary,
        "corrective_action": corrective_action,
        "next_steps": next_steps,
        "effective_on": parts,
        "version": version,
    }
    try:
        expected_version = int(version)
    except ValueError:
        expected_version = None
    update_in = UpdateIn(
        stage=stage,
        rag=rag or None,
        commentary=commentary,
        corrective_action=corrective_action,
        effective_on=effective,
        expected_version=expected_version,
        next_steps=next_steps,
    )
    if date_error:
        return action_page_response(
            request,
            session,
            plan=plan,
            action=action,
            user=user,
            form=form,
            status_code=400,
            errors={"effective_on": date_error},
        )
    try:
        created = record_update(
            session,
            action=action,
            plan=plan,
            user=user,
            update_in=update_in,
            plan_ids=readable_plan_ids(session, cookie_principal(user)),
        )
    except UpdateNotAllowed as refused:
        raise HTTPException(409, refused.message) from None
    except UpdateRejected as rejected:
        return action_page_response(
            request,
            session,
            plan=plan,
            action=action,
            user=user,
            form=form,
            errors=rejected.errors,
            status_code=400,
        )
    except UpdateConflict as conflict:
        session.refresh(action)
        # Keep what this person wrote, drawn against the version now current: sending it again
        # is a deliberate choice made having seen the other update.
        return action_page_response(
            request,
            session,
            plan=plan,
            action=action,
            user=user,
            form=form | {"version": conflict.current_version},
            conflict=conflict,
            status_code=409,
        )
    outcome = "submitted" if created.review_state == ReviewState.submitted else "recorded"
    return RedirectResponse(
        f"/plans/{plan.slug}/actions/{action.ref}?updated={outcome}", status_code=303
    )


@router.get("/my-actions")
def read_my_actions_page(request: Request, session: SessionDep, user: EditorUser):
    sections = read_my_actions(
        session=session,
        user=user,
        today=date.today(),
        plan_ids=readable_plan_ids(session, cookie_principal(user)),
    )
    return templates.TemplateResponse(request, "actions/my_actions.html", {"sections": sections})


@router.get("/plans/{slug}/actions/{ref}/edit")
def read_action_edit(request: Request, plan: PlanDep, action: ActionDep, user: AdminUser):
    form = {
        "title": action.title,
        "description": action.description,
        "due": action.due_label or action.due_date.isoformat(),
    }
    return templates.TemplateResponse(
        request, "actions/edit.html", {"plan": plan, "action": action, "form": form, "errors": {}}
    )


@router.post("/plans/{slug}/actions/{ref}/edit")
def update_action(
    request: Request,
    plan: PlanDep,
    action: ActionDep,
    session: SessionDep,
    user: AdminUser,
    title: str = Form(""),
    description: str = Form(""),
    due: str = Form(""),
):
    try:
        edit_action(
            session,
            action=action,
            plan=plan,
            user=user,
            title=title,
            description=description,
            due=due,
        )
    except ActionEditRejected as rejected:
        return templates.TemplateResponse(
            request,
            "actions/edit.html",
            {
                "plan": plan,
                "action": action,
                "errors": rejected.errors,
                "form": {"title": title, "description": description, "due": due},
            },
            status_code=400,
        )
    return RedirectResponse(f"/plans/{plan.slug}/actions/{action.ref}", status_code=303)
