"""The office sets up and runs a plan: the new-plan page, a plan's settings (details, outcomes,
themes, and the public view and approval switches), closing and reopening it. Admin only.

Each handler reads the form, calls one function of app.domain.plan_admin and renders; a
rejected form is shown again as typed, each message beside its field.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from app.core.models import Plan, Theme
from app.deps import AdminUser, PlanDep, SessionDep
from app.domain import plan_admin
from app.domain.date_input import DateParts
from app.domain.plan_admin import PlanDetailsIn, PlanIn, PlanRejected, ThemeIn, lines_of
from app.web.templating import templates

router = APIRouter()

NEW_THEME_BLOCKS = 3  # theme boxes a new-plan form starts with
MAX_THEME_BLOCKS = 40
# Where the error summary links to, when it is not the field's own id.
ANCHORS = {"period_start": "period_start-day", "period_end": "period_end-day"}
NOTICES = {
    "created": "The plan has been created",
    "details": "The plan's details have been saved",
    "outcomes": "The outcomes have been saved",
    "theme-added": "The theme has been added",
    "theme": "The theme has been saved",
    "moved": "The themes' order has been saved",
    "closed": "The plan has been closed: its updates are frozen",
    "reopened": "The plan has been reopened",
}


async def read_form(request: Request) -> FormData:
    """The posted form (parsed, and cached, by the CSRF check): the new-plan form's theme
    fields are numbered, so their names are made at run time."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def load_theme(user: AdminUser, plan: PlanDep, theme_id: int, session: SessionDep) -> Theme:
    theme = plan_admin.get_theme(session=session, plan=plan, theme_id=theme_id)
    if theme is None:
        raise HTTPException(404, f"{plan.short_title} has no such theme.")
    return theme


ThemeDep = Annotated[Theme, Depends(load_theme)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _date(form: FormData, name: str) -> DateParts:
    return DateParts(
        day=_text(form, f"{name}-day"),
        month=_text(form, f"{name}-month"),
        year=_text(form, f"{name}-year"),
    )


def _theme_in(form: FormData, prefix: str = "") -> ThemeIn:
    return ThemeIn(
        title=_text(form, f"{prefix}title"),
        vision=_text(form, f"{prefix}vision"),
        commitments=lines_of(_text(form, f"{prefix}commitments")),
        delivery_group=_text(form, f"{prefix}delivery_group"),
        senior_responsible_owner=_text(form, f"{prefix}senior_responsible_owner"),
    )


def _details(form: FormData) -> dict:
    return {
        "title": _text(form, "title"),
        "short_title": _text(form, "short_title"),
        "description": _text(form, "description"),
        "period_start": _date(form, "period_start"),
        "period_end": _date(form, "period_end"),
        "board": _text(form, "board"),
        "rag_scheme": _text(form, "rag_scheme"),
        "senior_responsible_owner": _text(form, "senior_responsible_owner"),
    }


def _plan_in(form: FormData) -> PlanIn:
    try:
        blocks = int(_text(form, "theme_count"))
    except ValueError:
        blocks = NEW_THEME_BLOCKS
    blocks = max(1, min(blocks, MAX_THEME_BLOCKS))
    return PlanIn(
        **_details(form),
        slug=_text(form, "slug"),
        requires_approval=_text(form, "requires_approval") == "yes",
        outcomes=lines_of(_text(form, "outcomes")),
        themes=[_theme_in(form, f"themes.{index}.") for index in range(blocks)],
    )


def _settings(plan: Plan, done: str) -> RedirectResponse:
    return RedirectResponse(f"/plans/{plan.slug}/settings?done={done}", status_code=303)


# --- New plan ----------------------------------------------------------------------------------


NEXT_STEPS = ("import", "later")  # after the new-plan page: import its actions, or settings


def _new_plan_page(
    request: Request,
    session,
    form: PlanIn,
    errors: dict,
    status_code: int = 200,
    next_step: str = "import",
):
    return templates.TemplateResponse(
        request,
        "plans/new.html",
        {
            "form": form,
            "form_next": next_step if next_step in NEXT_STEPS else "import",
            "errors": errors,
            "anchors": ANCHORS,
            "choices": plan_admin.plan_form_choices(session=session),
        },
        status_code=status_code,
    )


@router.get("/plans/new")
def read_new_plan(request: Request, session: SessionDep, user: AdminUser, next: str = "import"):
    form = PlanIn(
        period_start=DateParts(),
        period_end=DateParts(),
        themes=[ThemeIn() for _ in range(NEW_THEME_BLOCKS)],
    )
    return _new_plan_page(request, session, form, {}, next_step=next)


@router.post("/plans/new")
def create_plan(request: Request, session: SessionDep, user: AdminUser, form: FormDep):
    plan_in = _plan_in(form)
    next_step = _text(form, "next")
    if _text(form, "action") == "add_theme":
        if len(plan_in.themes) < MAX_THEME_BLOCKS:
            plan_in.themes.append(ThemeIn())
        return _new_plan_page(request, session, plan_in, {}, next_step=next_step)
    try:
        plan = plan_admin.create_plan(session=session, plan_in=plan_in, user=user)
    except PlanRejected as rejected:
        return _new_plan_page(
            request, session, plan_in, rejected.errors, status_code=400, next_step=next_step
        )
    if next_step == "later":
        return _settings(plan, "created")
    # The plan's details were the first page; its spreadsheet is the next.
    return RedirectResponse(f"/plans/{plan.slug}/import?new=1", status_code=303)


# --- Settings ----------------------------------------------------------------------------------


@router.get("/plans/{slug}/settings")
def read_plan_settings(
    request: Request, user: AdminUser, plan: PlanDep, session: SessionDep, done: str = ""
):
    return templates.TemplateResponse(
        request,
        "plans/settings.html",
        {
            "plan": plan,
            "settings": plan_admin.read_plan_settings(session=session, plan=plan),
            "notice": NOTICES.get(done),
            "created": done == "created",
        },
    )


def _details_page(request, session, plan, form: PlanDetailsIn, errors, status_code=200):
    return templates.TemplateResponse(
        request,
        "plans/details.html",
        {
            "plan": plan,
            "form": form,
            "errors": errors,
            "anchors": ANCHORS,
            "choices": plan_admin.plan_form_choices(session=session),
        },
        status_code=status_code,
    )


@router.get("/plans/{slug}/settings/details")
def read_plan_details(request: Request, user: AdminUser, plan: PlanDep, session: SessionDep):
    form = plan_admin.details_of(session=session, plan=plan)
    form.period_start = DateParts.of(form.period_start)
    form.period_end = DateParts.of(form.period_end)
    return _details_page(request, session, plan, form, {})


@router.post("/plans/{slug}/settings/details")
def update_plan_details(
    request: Request, user: AdminUser, plan: PlanDep, session: SessionDep, form: FormDep
):
    details_in = PlanDetailsIn(**_details(form))
    try:
        plan_admin.update_plan_details(session=session, plan=plan, details_in=details_in, user=user)
    except PlanRejected as rejected:
        return _details_page(request, session, plan, details_in, rejected.errors, 400)
    return _settings(plan, "details")


@router.get("/plans/{slug}/settings/outcomes")
def read_plan_outcomes(request: Request, user: AdminUser, plan: PlanDep, session: SessionDep):
    settings = plan_admin.read_plan_settings(session=session, plan=plan)
    return templates.TemplateResponse(
        request,
        "plans/outcomes.html",
        {
            "plan": plan,
            "outcomes": "\n".join(outcome.title for outcome in settings.outcomes),
            "errors": {},
        },
    )


@router.post("/plans/{slug}/settings/outcomes")
def update_plan_outcomes(
    request: Request, user: AdminUser, plan: PlanDep, session: SessionDep, form: FormDep
):
    typed = _text(form, "outcomes")
    try:
        plan_admin.replace_outcomes(session=session, plan=plan, outcomes=lines_of(typed), user=user)
    except PlanRejected as rejected:
        return templates.TemplateResponse(
            request,
            "plans/outcomes.html",
            {"plan": plan, "outcomes": typed, "errors": rejected.errors},
            status_code=400,
        )
    return _settings(plan, "outcomes")


def _theme_page(request, session, plan, *, theme, form: ThemeIn, errors, status_code=200):
    action = f"/plans/{plan.slug}/settings/themes/" + (str(theme.id) if theme else "new")
    return templates.TemplateResponse(
        request,
        "plans/theme.html",
        {
            "plan": plan,
            "theme": theme,
            "form": form,
            "errors": errors,
            "action": action,
            "heading": f"Change the theme {theme.title}" if theme else "Add a theme",
            "choices": plan_admin.plan_form_choices(session=session),
        },
        status_code=status_code,
    )


@router.get("/plans/{slug}/settings/themes/new")
def read_new_theme(request: Request, user: AdminUser, plan: PlanDep, session: SessionDep):
    return _theme_page(request, session, plan, theme=None, form=ThemeIn(), errors={})


@router.post("/plans/{slug}/settings/themes/new")
def create_theme(
    request: Request, user: AdminUser, plan: PlanDep, session: SessionDep, form: FormDep
):
    theme_in = _theme_in(form)
    try:
        plan_admin.add_theme(session=session, plan=plan, theme_in=theme_in, user=user)
    except PlanRejected as rejected:
        return _theme_page(
            request,
            session,
            plan,
            theme=None,
            form=theme_in,
            errors=rejected.errors,
            status_code=400,
        )
    return _settings(plan, "theme-added")


@router.get("/plans/{slug}/settings/themes/{theme_id}")
def read_theme(
    request: Request, user: AdminUser, plan: PlanDep, theme: ThemeDep, session: SessionDep
):
    form = plan_admin.theme_in_of(session=session, theme=theme)
    return _theme_page(request, session, plan, theme=theme, form=form, errors={})


@router.post("/plans/{slug}/settings/themes/{theme_id}")
def update_theme(
    request: Request,
    user: AdminUser,
    plan: PlanDep,
    theme: ThemeDep,
    session: SessionDep,
    form: FormDep,
):
    theme_in = _theme_in(form)
    try:
        plan_admin.update_theme(
            session=session, plan=plan, theme=theme, theme_in=theme_in, user=user
        )
    except PlanRejected as rejected:
        return _theme_page(
            request,
            session,
            plan,
            theme=theme,
            form=theme_in,
            errors=rejected.errors,
            status_code=400,
        )
    return _settings(plan, "theme")


@router.post("/plans/{slug}/settings/themes/{theme_id}/move")
def update_theme_order(
    user: AdminUser, plan: PlanDep, theme: ThemeDep, session: SessionDep, form: FormDep
):
    try:
        plan_admin.move_theme(
            session=session, plan=plan, theme=theme, direction=_text(form, "direction"), user=user
        )
    except PlanRejected as rejected:
        raise HTTPException(400, "; ".join(rejected.errors.values())) from None
    return _settings(plan, "moved")


# --- Close and reopen --------------------------------------------------------------------------


@router.get("/plans/{slug}/close")
def read_close_plan(request: Request, user: AdminUser, plan: PlanDep, session: SessionDep):
    settings = plan_admin.read_plan_settings(session=session, plan=plan)
    return templates.TemplateResponse(
        request,
        "plans/close.html",
        {
            "plan": plan,
            "state_text": settings.state_text,
            "ended": settings.awaits_closing,
        },
    )


@router.post("/plans/{slug}/close")
def close_plan(user: AdminUser, plan: PlanDep, session: SessionDep):
    try:
        plan_admin.close_plan(session=session, plan=plan, user=user)
    except PlanRejected as rejected:
        raise HTTPException(409, "; ".join(rejected.errors.values())) from None
    return _settings(plan, "closed")


@router.get("/plans/{slug}/reopen")
def read_reopen_plan(request: Request, user: AdminUser, plan: PlanDep):
    return templates.TemplateResponse(
        request, "plans/reopen.html", {"plan": plan, "reason": "", "errors": {}}
    )


@router.post("/plans/{slug}/reopen")
def reopen_plan(
    request: Request, user: AdminUser, plan: PlanDep, session: SessionDep, form: FormDep
):
    reason = _text(form, "reason")
    try:
        plan_admin.reopen_plan(session=session, plan=plan, reason=reason, user=user)
    except PlanRejected as rejected:
        if "status" in rejected.errors:
            raise HTTPException(409, rejected.errors["status"]) from None
        return templates.TemplateResponse(
            request,
            "plans/reopen.html",
            {"plan": plan, "reason": reason, "errors": rejected.errors},
            status_code=400,
        )
    return _settings(plan, "reopened")
