"""Programme leads keep their actions up to date: the update form and "My actions"."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from app.core.models import Plan, PlanStatus, ReviewState, StatusUpdate, Theme
from app.deps import AdminUser, CurrentUser, EditorUser, SessionDep
from app.domain.auth import can_update_action, editable_action_ids
from app.domain.cycle import cycle_for_meeting, cycle_states, next_meeting
from app.domain.updates import (
    ActionEditRejected,
    UpdateConflict,
    UpdateIn,
    UpdateRejected,
    edit_action,
    record_update,
)
from app.web.plan_pages import action_or_404, action_page_response, plan_or_404
from app.web.templating import templates

router = APIRouter()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@router.post("/plans/{slug}/actions/{ref}/updates")
def create_update(
    request: Request,
    slug: str,
    ref: str,
    session: SessionDep,
    user: CurrentUser,
    stage: str = Form(""),
    rag: str = Form(""),
    commentary: str = Form(""),
    corrective_action: str = Form(""),
    effective_on: str = Form(""),
    version: str = Form(""),
):
    plan = plan_or_404(session, slug)
    action = action_or_404(session, plan, ref)
    if not can_update_action(session, user=user, action=action):
        raise HTTPException(
            403, "You can only update the actions you lead or whose delivery group you lead."
        )
    form = {
        "stage": stage,
        "rag": rag,
        "commentary": commentary,
        "corrective_action": corrective_action,
        "effective_on": effective_on,
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
        effective_on=_parse_date(effective_on),
        expected_version=expected_version,
    )
    if effective_on.strip() and update_in.effective_on is None:
        return action_page_response(
            request,
            session,
            plan=plan,
            action=action,
            user=user,
            form=form,
            status_code=400,
            errors={
                "effective_on": f"'{effective_on}' is not a date: "
                "use the date picker or YYYY-MM-DD."
            },
        )
    try:
        created = record_update(session, action=action, plan=plan, user=user, update_in=update_in)
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
        session.rollback()
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
    session.commit()
    outcome = "submitted" if created.review_state == ReviewState.submitted else "recorded"
    return RedirectResponse(
        f"/plans/{plan.slug}/actions/{action.ref}?updated={outcome}", status_code=303
    )


@router.get("/my-actions")
def read_my_actions(request: Request, session: SessionDep, user: EditorUser):
    today = date.today()
    plans = list(
        session.exec(select(Plan).where(Plan.status == PlanStatus.active).order_by(Plan.title))
    )
    sections = []
    for plan in plans:
        ids = editable_action_ids(session, user=user, plan_id=plan.id)
        if not ids:
            continue
        meeting = (
            next_meeting(session, board_id=plan.board_id, today=today) if plan.board_id else None
        )
        cycle = cycle_for_meeting(session, meeting=meeting) if meeting else None
        if cycle is None:
            continue
        states = cycle_states(session, plan=plan, cycle=cycle, action_ids=ids)
        pending = {
            u.action_id: u
            for u in session.exec(
                select(StatusUpdate).where(
                    StatusUpdate.action_id.in_(ids),
                    StatusUpdate.review_state.in_([ReviewState.submitted, ReviewState.returned]),
                    StatusUpdate.recorded_by_id == user.id,
                )
            )
        }
        themes = {t.id: t for t in session.exec(select(Theme).where(Theme.plan_id == plan.id))}
        states.sort(key=lambda s: (not s.needs_update, not s.overdue, s.status.action.due_date))
        sections.append(
            {"plan": plan, "cycle": cycle, "states": states, "themes": themes, "pending": pending}
        )
    return templates.TemplateResponse(request, "actions/my_actions.html", {"sections": sections})


@router.get("/plans/{slug}/actions/{ref}/edit")
def read_action_edit(request: Request, slug: str, ref: str, session: SessionDep, user: AdminUser):
    plan = plan_or_404(session, slug)
    action = action_or_404(session, plan, ref)
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
    slug: str,
    ref: str,
    session: SessionDep,
    user: AdminUser,
    title: str = Form(""),
    description: str = Form(""),
    due: str = Form(""),
):
    plan = plan_or_404(session, slug)
    action = action_or_404(session, plan, ref)
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
        session.rollback()
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
    session.commit()
    return RedirectResponse(f"/plans/{plan.slug}/actions/{action.ref}", status_code=303)
