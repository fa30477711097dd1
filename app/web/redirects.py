"""Addresses people type or keep from elsewhere, sent on to where they now are."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter()


@router.get("/login", include_in_schema=False)
def read_login(request: Request):
    """Many services sign in at /login; plantrack's page is /sign-in. The query (?next=...) goes
    with the redirect, and is checked there like any other."""
    query = request.url.query
    return RedirectResponse("/sign-in" + (f"?{query}" if query else ""), status_code=308)
