"""A plan's owners (office): add one, invite them, or link them to an existing account; the
page an invited owner opens to choose their password; and people's access (office): the boards
a viewer or an editor is limited to."""

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.core.config import get_settings
from app.core.models import Person, Plan, Role, User
from app.deps import AdminUser, PathId, PlanDep, QueryId, SessionDep
from app.domain.access import (
    ScopeRejected,
    get_account,
    list_account_access,
    set_board_scope,
    user_boards,
)
from app.domain.auth import PRESESSION_COOKIE, presession_csrf_token
from app.domain.boards import list_boards
from app.domain.mail import MailError
from app.domain.owners import (
    InvitationInvalid,
    OwnerRejected,
    accept_invitation,
    add_owner,
    get_person,
    invite_owner,
    link_owner,
    read_invitation,
    read_owners_page,
)
from app.web.templating import templates

router = APIRouter()

# What a redirect after a change may say it did (never text from the address).
NOTICES = {
    "added": "is added to the directory",
    "invited": "is invited: an e-mail with a link to set their password is on its way",
    "linked": "is linked to the account",
}


def _owners_page(
    request: Request,
    session: SessionDep,
    plan: Plan,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    notice: tuple[int, str] | None = None,
    status_code: int = 200,
):
    return templates.TemplateResponse(
        request,
        "people/owners.html",
        {
            "page": read_owners_page(session=session, plan=plan),
            "plan": plan,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/plans/{slug}/owners")
def read_owners(
    request: Request,
    plan: PlanDep,
    session: SessionDep,
    user: AdminUser,
    person: int | None = None,
    did: str | None = None,
):
    notice = (person, NOTICES[did]) if person is not None and did in NOTICES else None
    return _owners_page(request, session, plan, notice=notice)


def _done(plan: Plan, person_id: int, did: str) -> RedirectResponse:
    return RedirectResponse(
        f"/plans/{plan.slug}/owners?person={person_id}&did={did}#owner-{person_id}",
        status_code=303,
    )


@router.post("/plans/{slug}/owners")
def create_owner(
    request: Request,
    plan: PlanDep,
    session: SessionDep,
    user: AdminUser,
    role: str = Form(""),
    organisation: str = Form(""),
    email: str = Form(""),
):
    try:
        person = add_owner(
            session=session,
            user=user,
            plan=plan,
            role=role,
            organisation=organisation,
            email=email,
        )
    except OwnerRejected as error:
        values = {"role": role, "organisation": organisation, "email": email}
        return _owners_page(
            request, session, plan, errors=error.errors, values=values, status_code=400
        )
    return _done(plan, person.id, "added")


def _person_or_404(session: SessionDep, person_id: int) -> Person:
    person = get_person(session=session, person_id=person_id)
    if person is None:
        raise HTTPException(404, "There is no such owner.")
    return person


@router.post("/plans/{slug}/owners/{person_id}/invite")
def create_invitation(
    request: Request,
    plan: PlanDep,
    person_id: int,
    session: SessionDep,
    user: AdminUser,
    email: str = Form(""),
):
    person = _person_or_404(session, person_id)
    field = f"invite-{person_id}"
    try:
        invite_owner(session=session, user=user, person=person, email=email, today=date.today())
    except OwnerRejected as error:
        return _owners_page(
            request,
            session,
            plan,
            errors={field: error.errors["email"]},
            values={field: email},
            status_code=400,
        )
    except MailError as error:
        return _owners_page(
            request,
            session,
            plan,
            errors={field: f"{error} Nothing was saved: try again later."},
            values={field: email},
            status_code=502,
        )
    return _done(plan, person_id, "invited")


@router.post("/plans/{slug}/owners/{person_id}/link")
def create_account_link(
    request: Request,
    plan: PlanDep,
    person_id: int,
    session: SessionDep,
    user: AdminUser,
    email: str = Form(""),
):
    person = _person_or_404(session, person_id)
    try:
        link_owner(session=session, user=user, person=person, email=email)
    except OwnerRejected as error:
        field = f"link-{person_id}"
        return _owners_page(
            request, session, plan, errors={field: error.errors["email"]}, status_code=400
        )
    return _done(plan, person_id, "linked")


# --- The invited owner ------------------------------------------------------------------------


def _invitation_page(request: Request, account, token: str, *, errors=None, status_code=200):
    """Anyone holding the link may open it, signed in or not: a form posted without a session
    carries the pre-session token, as the sign-in form does."""
    nonce = request.cookies.get(PRESESSION_COOKIE)
    new_nonce = None
    if getattr(request.state, "user", None) is None and not nonce:
        new_nonce = secrets.token_urlsafe(24)
        request.state.csrf_token = presession_csrf_token(new_nonce)
    response = templates.TemplateResponse(
        request,
        "people/invitation.html",
        {"account": account, "token": token, "errors": errors or {}},
        status_code=status_code,
    )
    if new_nonce:
        response.set_cookie(
            PRESESSION_COOKIE,
            new_nonce,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            max_age=3600,
        )
    # The token is in the address: never send it on to another site.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/invitation/{token}")
def read_invitation_page(request: Request, token: str, session: SessionDep):
    try:
        account = read_invitation(session=session, token=token, today=date.today())
    except InvitationInvalid as error:
        raise HTTPException(404, error.message) from None
    return _invitation_page(request, account, token)


@router.post("/invitation/{token}")
def update_invitation_password(
    request: Request,
    token: str,
    session: SessionDep,
    new_password: str = Form(""),
    confirm_password: str = Form(""),
):
    try:
        accept_invitation(
            session=session,
            token=token,
            password=new_password,
            confirm=confirm_password,
            today=date.today(),
        )
    except InvitationInvalid as error:
        raise HTTPException(404, error.message) from None
    except OwnerRejected as error:
        account = read_invitation(session=session, token=token, today=date.today())
        return _invitation_page(request, account, token, errors=error.errors, status_code=400)
    response = RedirectResponse("/sign-in", status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- People's access: the office limits a viewer or an editor to some boards' plans -----------


def _account_or_404(session: SessionDep, user_id: int) -> User:
    account = get_account(session, user_id)
    if account is None:
        raise HTTPException(404, "There is no such account.")
    return account


@router.get("/accounts")
def read_accounts(request: Request, session: SessionDep, user: AdminUser, changed: QueryId = None):
    return templates.TemplateResponse(
        request,
        "people/accounts.html",
        {"rows": list_account_access(session), "changed": changed},
    )


def _scope_form(
    request: Request,
    session: SessionDep,
    account: User,
    *,
    chosen: list[str],
    errors: dict | None = None,
    status_code: int = 200,
):
    return templates.TemplateResponse(
        request,
        "people/account_boards.html",
        {
            "account": account,
            "boards": list_boards(session=session),
            "chosen": chosen,
            "is_office": account.role == Role.admin,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/accounts/{user_id}/boards")
def read_account_boards(request: Request, user_id: PathId, session: SessionDep, user: AdminUser):
    account = _account_or_404(session, user_id)
    chosen = [board.short_name for board in user_boards(session, account)]
    return _scope_form(request, session, account, chosen=chosen)


@router.post("/accounts/{user_id}/boards")
def update_account_boards(
    request: Request,
    user_id: PathId,
    session: SessionDep,
    user: AdminUser,
    boards: Annotated[list[str], Form()] = (),
):
    """Set the boards a viewer or editor is limited to (none ticked: every plan); audited."""
    account = _account_or_404(session, user_id)
    try:
        set_board_scope(session, user=account, board_short_names=list(boards), by=user)
    except ScopeRejected as error:
        return _scope_form(
            request, session, account, chosen=list(boards), errors=error.errors, status_code=400
        )
    return RedirectResponse(f"/accounts?changed={account.id}#account-{account.id}", status_code=303)
