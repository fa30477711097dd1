"""Report pages cached by data version: the dashboard, the appendix and the highlight report.

A page is kept, in this process's memory, under everything that can change what it shows: the
path and query, whether HTMX asked for a fragment, the as-at and since dates the request
resolved to (today's date, when none was given), the reader's role and board scope (and, for an
editor, who they are: their own actions carry links), and the plan's data version
(app.core.data_version), which moves with every committed write the page could show. A hit
costs the sign-in lookup, the plan, the version (one small query) and the send, and is right
with any number of workers: each keeps its own copies, and every copy names the version it
shows.

What belongs to the person alone is not part of the kept page: the page is rendered with a
stand-in name and CSRF token, which each request swaps for its own. A session that has written
and not yet committed is never served from, nor stored in, the cache: what it reads is no
version's yet.
"""

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from html import escape

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.core.data_version import data_version, pending_writes
from app.core.models import Role, User
from app.domain.access import scoped_board_ids

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


def _key(
    request: Request, session: Session, user: User, plan_id: int, dates: tuple[date | None, ...]
) -> Hashable:
    return (
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        request.headers.get("HX-Request") == "true",
        dates,
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


def _personal(kept: _Kept, request: Request, user: User) -> HTMLResponse:
    body = kept.body.replace(_NAME, escape(user.display_name))
    token = getattr(request.state, "csrf_token", None)
    if token is not None:
        body = body.replace(_CSRF, escape(token))
    response = HTMLResponse(body)
    for name, value in kept.headers:
        response.headers[name] = value
    return response


def cached_page(
    request: Request,
    session: Session,
    *,
    plan_id: int,
    dates: tuple[date | None, ...],
    render: Callable[[], Response],
) -> Response:
    """The page ``render`` makes, from the cache when this version of it was made before."""
    user = request.state.user
    if pending_writes(session):
        return render()
    key = _key(request, session, user, plan_id, dates)
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
    return _personal(kept, request, user)
