"""The office's pages for API tokens: list, create (the secret shown once) and revoke."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.deps import AdminUser, SessionDep
from app.domain.plans import plan_slugs
from app.domain.tokens import (
    MAX_EXPIRY_DAYS,
    TokenNotFound,
    TokenRejected,
    create_token,
    list_tokens,
    revoke_token,
)
from app.web.templating import templates

router = APIRouter()
# Where each field's error summary link goes.
FIELD_IDS = {"holder": "holder", "scope": "scope", "plans": "plans", "expires_in": "expires_in"}


@router.get("/tokens")
def read_tokens(request: Request, session: SessionDep, user: AdminUser, revoked: str | None = None):
    return templates.TemplateResponse(
        request, "tokens/list.html", {"rows": list_tokens(session), "revoked": revoked}
    )


def _form(request: Request, session, *, values: dict, errors: dict, status_code: int = 200):
    return templates.TemplateResponse(
        request,
        "tokens/new.html",
        {
            "values": values,
            "errors": errors,
            "plans": plan_slugs(session=session),
            "max_days": MAX_EXPIRY_DAYS,
            "fields": FIELD_IDS,
        },
        status_code=status_code,
    )


@router.get("/tokens/new")
def read_new_token(request: Request, session: SessionDep, user: AdminUser):
    values = {"holder": "service", "scope": "read", "expires_in": "90", "plans": []}
    return _form(request, session, values=values, errors={})


@router.post("/tokens/new")
def create_new_token(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    name: str = Form(""),
    holder: str = Form(""),
    person_email: str = Form(""),
    service: str = Form(""),
    scope: str = Form(""),
    expires_in: str = Form(""),
    plans: Annotated[list[str], Form()] = (),
):
    values = {
        "name": name,
        "holder": holder,
        "person_email": person_email,
        "service": service,
        "scope": scope,
        "expires_in": expires_in,
        "plans": list(plans),
    }
    days = int(expires_in) if expires_in.strip().isdigit() and len(expires_in) < 6 else None
    try:
        created = create_token(
            session,
            name=name,
            scope=scope,
            expires_in_days=days,
            person_email=person_email if holder == "person" else None,
            service=service if holder == "service" else None,
            plan_slugs=plans,
            created_by=user,
        )
    except TokenRejected as rejected:
        errors = dict(rejected.errors)
        if "expires_in" in errors and expires_in.strip() and days is None:
            errors["expires_in"] = (
                f"Enter the number of days as a whole number from 1 to {MAX_EXPIRY_DAYS}."
            )
        return _form(request, session, values=values, errors=errors, status_code=400)
    response = templates.TemplateResponse(
        request, "tokens/created.html", {"token": created.token, "secret": created.secret}
    )
    # The secret is in this page alone: no address, cache or referrer may keep it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/tokens/revoke")
def revoke_named_token(session: SessionDep, user: AdminUser, name: str = Form("", max_length=200)):
    try:
        token = revoke_token(session, name=name, by=user)
    except TokenNotFound as missing:
        raise HTTPException(404, missing.message) from None
    return RedirectResponse(f"/tokens?revoked={token.id}", status_code=303)
