"""Pages for everyone signed in: plans, the plan dashboard, an action and its history."""

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    Milestone,
    Organisation,
    Person,
    Plan,
    ReviewState,
    Role,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.deps import CurrentUser, SessionDep
from app.domain.as_at import default_as_at
from app.domain.auth import can_update_action, editable_action_ids
from app.domain.plans import list_plans, read_plan_view
from app.domain.progress import get_plan, progress_as_at
from app.domain.rag import STAGE_LABELS, ratings
from app.domain.status import ActionStatus
from app.domain.timescales import uk_date
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS, file_name
from app.reports.render_html import render_html
from app.web.templating import templates

router = APIRouter()


def plan_or_404(session: Session, slug: str) -> Plan:
    plan = get_plan(session=session, slug=slug)
    if plan is None:
        raise HTTPException(404, f"There is no plan called '{slug}'.")
    return plan


@router.get("/healthz", include_in_schema=False)
def read_health() -> dict:
    return {"status": "ok"}


@router.get("/")
def read_home(request: Request, session: SessionDep, user: CurrentUser):
    rows = [
        (plan, progress_as_at(session=session, plan=plan, as_at=default_as_at(plan)))
        for plan in list_plans(session=session)
    ]
    return templates.TemplateResponse(request, "home.html", {"rows": rows})


@dataclass
class Filters:
    theme: int | None = None
    owner: int | None = None
    organisation: int | None = None
    stage: str | None = None
    rag: str | None = None
    overdue: bool = False

    def keep(self, status: ActionStatus, as_at: date) -> bool:
        action = status.action
        return (
            (self.theme is None or action.theme_id == self.theme)
            and (self.owner is None or action.lead_person_id == self.owner)
            and (self.organisation is None or action.lead_organisation_id == self.organisation)
            and (self.stage is None or status.stage == self.stage)
            and (self.rag is None or status.rag == self.rag)
            and (not self.overdue or status.is_overdue(as_at))
        )

    @property
    def active(self) -> bool:
        return any(v not in (None, False) for v in vars(self).values())


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise HTTPException(400, f"'{value}' is not a valid choice for a filter.") from None


@router.get("/plans/{slug}")
def read_plan(
    request: Request,
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    as_at: date | None = None,
    theme: str | None = None,
    owner: str | None = None,
    organisation: str | None = None,
    stage: str | None = None,
    rag: str | None = None,
    overdue: str | None = None,
):
    plan = plan_or_404(session, slug)
    view = read_plan_view(session=session, plan=plan, as_at=as_at or default_as_at(plan))
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
    }
    is_htmx = request.headers.get("HX-Request") == "true"
    response = templates.TemplateResponse(
        request, "plans/plan.html", context, block_name="results" if is_htmx else None
    )
    response.headers["Vary"] = "HX-Request"
    return response


# --- The appendix --------------------------------------------------------------------------


def _appendix_for(session: Session, slug: str, as_at: date | None, since: date | None):
    plan = plan_or_404(session, slug)
    as_at = as_at or default_as_at(plan)
    if since is not None and since >= as_at:
        raise HTTPException(
            400,
            f"'Changes since' ({uk_date(since)}) must be before the as-at date ({uk_date(as_at)}).",
        )
    return build_appendix(session, plan, as_at, since=since)


@router.get("/plans/{slug}/reports/appendix")
def read_appendix(
    request: Request,
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    as_at: date | None = None,
    since: date | None = None,
):
    report = _appendix_for(session, slug, as_at, since)
    publish_form = None
    if user.role == Role.admin:
        from markupsafe import Markup

        from app.web.report_pages import _default_meeting, _meetings_for

        plan = plan_or_404(session, slug)
        publish_form = Markup(
            templates.env.get_template("reports/_publish_appendix.html").render(
                request=request,
                report=report,
                meetings=_meetings_for(session, plan),
                default_meeting=_default_meeting(session, plan, report.as_at),
            )
        )
    return HTMLResponse(render_html(report, request=request, publish_form=publish_form))


@router.get("/plans/{slug}/reports/appendix.{extension}")
def read_appendix_file(
    slug: str,
    extension: str,
    session: SessionDep,
    user: CurrentUser,
    as_at: date | None = None,
    since: date | None = None,
):
    if extension not in FORMATS or extension == "html":
        raise HTTPException(404, f"The appendix is not available as '{extension}'.")
    report = _appendix_for(session, slug, as_at, since)
    output = FORMATS[extension]
    return Response(
        output.render(report),
        media_type=output.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, extension)}"'},
    )


# --- An action -----------------------------------------------------------------------------


def action_or_404(session: Session, plan: Plan, ref: str) -> Action:
    action = session.exec(
        select(Action).where(Action.plan_id == plan.id, Action.ref == ref)
    ).first()
    if action is None:
        raise HTTPException(404, f"{plan.short_title} has no action {ref}.")
    return action


@dataclass
class ActionPage:
    plan: Plan
    action: Action
    theme: Theme
    lead: Person | None
    lead_organisation: Organisation | None
    partners: list[Organisation]
    milestones: list[Milestone]
    history: list[tuple[StatusUpdate, User | None]]
    lineage: list[tuple[Plan, Action]]
    successors: list[tuple[Plan, Action]]


def read_action_page(session: Session, *, plan: Plan, action: Action, user: User) -> ActionPage:
    query = (
        select(StatusUpdate, User)
        .outerjoin(User, User.id == StatusUpdate.recorded_by_id)
        .where(StatusUpdate.action_id == action.id)
        .order_by(
            StatusUpdate.effective_on.desc(),
            StatusUpdate.recorded_at.desc(),
            StatusUpdate.id.desc(),
        )
    )
    if user.role == Role.viewer:
        query = query.where(StatusUpdate.review_state == ReviewState.approved)
    lineage = []
    origin_id = action.carried_forward_from_id
    while origin_id is not None and len(lineage) < 20:
        found = session.exec(
            select(Action, Plan).join(Plan, Plan.id == Action.plan_id).where(Action.id == origin_id)
        ).first()
        if found is None:
            break
        lineage.append((found[1], found[0]))
        origin_id = found[0].carried_forward_from_id
    successors = [
        (p, a)
        for a, p in session.exec(
            select(Action, Plan)
            .join(Plan, Plan.id == Action.plan_id)
            .where(Action.carried_forward_from_id == action.id)
        )
    ]
    lead = session.get(Person, action.lead_person_id) if action.lead_person_id else None
    return ActionPage(
        plan=plan,
        action=action,
        theme=session.get(Theme, action.theme_id),
        lead=lead,
        lead_organisation=session.get(Organisation, action.lead_organisation_id)
        if action.lead_organisation_id
        else None,
        partners=list(
            session.exec(
                select(Organisation)
                .join(ActionPartner, ActionPartner.organisation_id == Organisation.id)
                .where(ActionPartner.action_id == action.id)
                .order_by(Organisation.short_name)
            )
        ),
        milestones=list(
            session.exec(
                select(Milestone)
                .where(Milestone.action_id == action.id)
                .order_by(Milestone.due_date)
            )
        ),
        history=list(session.exec(query)),
        lineage=lineage,
        successors=successors,
    )


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
):
    page = read_action_page(session, plan=plan, action=action, user=user)
    may_update = can_update_action(session, user=user, action=action)
    current = next((u for u, _ in page.history if u.review_state == ReviewState.approved), None)
    defaults = {
        "stage": current.stage if current else Stage.in_progress.value,
        "rag": current.rag if current and current.rag else "",
        "commentary": "",
        "corrective_action": "",
        "effective_on": date.today().isoformat(),
        "version": action.version,
    }
    return templates.TemplateResponse(
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
        },
        status_code=status_code,
    )


@router.get("/plans/{slug}/actions/{ref}")
def read_action(
    request: Request,
    slug: str,
    ref: str,
    session: SessionDep,
    user: CurrentUser,
    updated: str | None = None,
):
    plan = plan_or_404(session, slug)
    action = action_or_404(session, plan, ref)
    notice = None
    if updated == "submitted":
        notice = "Your update has been sent to the office for approval."
    elif updated:
        notice = "Your update has been recorded."
    return action_page_response(
        request, session, plan=plan, action=action, user=user, notice=notice
    )
