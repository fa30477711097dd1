"""Report pages cached by data version: the dashboard, the appendix and the highlight report.

A page is kept, in this process's memory, under everything that can change what it shows: the
path and query, whether HTMX asked for a fragment, today's date (what a page shows when no date
is asked for: app.domain.as_at reads every default from it), the reader's role and board scope
(and, for an editor, who they are: their own actions carry links), and the plan's data version
(app.core.data_version), which moves with every committed write the page could show. The copies
are right with any number of workers: each keeps its own, and every copy names the version it
shows.

A kept page is served before routing (KeptPages, below): the sign-in lookup, the plan-in-a-path
rule (app.deps.readable_plan), the version (one small query) and the send, in one trip to a
worker thread. Anything else, a page not kept yet included, goes on to the route, which renders
and keeps it. Only a route's 200 is kept, so a hit answers only a request the route answered
with that very page: same path and query, same day, same reader's scope, same data.

What belongs to the person alone is not part of the kept page: the page is rendered with a
stand-in name and CSRF token, which each request swaps for its own. A session that has written
and not yet committed is never served from, nor stored in, the cache: what it reads is no
version's yet.
"""

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from html import escape

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.data_version import data_version, pending_writes
from app.core.models import Role, User
from app.deps import cookie_name, readable_plan
from app.domain.access import cookie_principal, scoped_board_ids
from app.domain.auth import SESSION_COOKIE, load_session

MAX_BYTES = 64 * 1024 * 1024
_NAME = "plantrack-name-" + secrets.token_hex(8)
_CSRF = "plantrackcsrf" + secrets.token_hex(8)
_KEPT_HEADERS = ("vary",)


@dataclass(frozen=True)
class _StandIn:
    """What a page may read of the signed-in person while it is rendered for the cache."""

    role: str
    display_name: str = _NAME


@dataclass(frozen=True)
class _Kept:
    body: str
    headers: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        return len(self.body)


class PageCache:
    """Least recently used pages, up to ``max_bytes`` of text; safe across request threads."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> _Kept | None:
        with self._lock:
            kept = self._pages.get(key)
            if kept is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return kept

    def put(self, key: Hashable, kept: _Kept) -> None:
        if kept.size > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._pages[key] = kept
            self._bytes += kept.size
            while self._bytes > self.max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


pages = PageCache()


def _key(request: Request, session: Session, user: User, plan_id: int) -> Hashable:
    return (
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        request.headers.get("HX-Request") == "true",
        date.today(),
        user.role,
        scoped_board_ids(session, user),
        user.id if user.role == Role.editor else None,
        data_version(session, plan_id),
    )


def _render_as_stand_in(request: Request, user: User, render: Callable[[], Response]) -> Response:
    state = request.state
    had_token = hasattr(state, "csrf_token")
    token = getattr(state, "csrf_token", None)
    state.user = _StandIn(role=user.role)
    if had_token:
        state.csrf_token = _CSRF
    try:
        return render()
    finally:
        state.user = user
        if had_token:
            state.csrf_token = token


def _personal(kept: _Kept, display_name: str, csrf_token: str | None) -> HTMLResponse:
    body = kept.body.replace(_NAME, escape(display_name))
    if csrf_token is not None:
        body = body.replace(_CSRF, escape(csrf_token))
    response = HTMLResponse(body)
    for name, value in kept.headers:
        response.headers[name] = value
    return response


def cached_page(
    request: Request,
    session: Session,
    *,
    plan_id: int,
    render: Callable[[], Response],
) -> Response:
    """The page ``render`` makes, from the cache when this version of it was made before."""
    user = request.state.user
    if pending_writes(session):
        return render()
    key = _key(request, session, user, plan_id)
    kept = pages.get(key)
    if kept is None:
        response = _render_as_stand_in(request, user, render)
        if response.status_code != 200 or not isinstance(response.body, bytes):
            return response
        kept = _Kept(
            body=response.body.decode(response.charset),
            headers=tuple(
                (name, value) for name, value in response.headers.items() if name in _KEPT_HEADERS
            ),
        )
        pages.put(key, kept)
    return _personal(kept, user.display_name, getattr(request.state, "csrf_token", None))


# --- Served before routing ------------------------------------------------------------------

_kept_paths: list[re.Pattern[str]] = []


def kept_page(router: APIRouter, path: str):
    """``router.get(path)`` for a page whose handler answers through cached_page: its kept
    copies are then served before routing. The path must name the plan as {slug}."""
    _kept_paths.append(compile_path(path)[0])
    return router.get(path)


def _kept_response(scope: Scope, open_session: Callable[[], Session], slug: str) -> Response | None:
    """The kept page for this request, or None: the route must answer."""
    request = Request(scope)
    with open_session() as session:
        signed_in = load_session(session, request.cookies.get(cookie_name(SESSION_COOKIE)))
        if signed_in is None:
            return None
        user = signed_in.user
        try:
            plan = readable_plan(session, cookie_principal(user), slug)
        except HTTPException:
            return None
        kept = pages.get(_key(request, session, user, plan.id))
        if kept is None:
            return None
        return _personal(kept, user.display_name, signed_in.auth_session.csrf_token)


class KeptPages:
    """ASGI middleware: a GET for a kept page is answered from the cache, before routing and
    dependencies; everything else goes on to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            for pattern in _kept_paths:
                match = pattern.match(scope["path"])
                if match is not None:
                    open_session = scope["app"].state.open_session
                    response = await run_in_threadpool(
                        _kept_response, scope, open_session, match["slug"]
                    )
                    if response is not None:
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)
