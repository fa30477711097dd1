"""What every API read shares: ETags and Cache-Control, 304 for a copy still current, and
opaque cursors for paging. A list endpoint takes ``Paging`` (``?limit=`` and ``?cursor=``) and
answers with ``page_response``; nothing else in the API pages or sets these headers."""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel

from app.deps import ApiProblem

# A client (Power BI, a browser) may keep a copy, but must ask again each time: an ETag that
# still matches is answered 304 with no body. "private": never kept by a shared proxy.
READ_CACHE = "private, max-age=0, must-revalidate"


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def _matches(request: Request, etag: str) -> bool:
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in given.split(",")}
    return "*" in tags or etag in tags


def conditional(request: Request, body: bytes, media_type: str, *, etag: str | None = None):
    """``body`` with its ETag (by default a digest of the body) and Cache-Control; 304 when the
    client's If-None-Match names it."""
    etag = etag or f'"{digest(body)}"'
    headers = {"ETag": etag, "Cache-Control": READ_CACHE}
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def download(
    request: Request, body: bytes, media_type: str, filename: str, *, etag: str | None = None
) -> Response:
    """A file to save (a CSV, a published report), conditional like every read."""
    response = conditional(request, body, media_type, etag=etag)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def to_json(model: BaseModel) -> bytes:
    return json.dumps(jsonable_encoder(model), ensure_ascii=False, separators=(",", ":")).encode()


def read_response(request: Request, model: BaseModel, *, etag: str | None = None) -> Response:
    return conditional(request, to_json(model), "application/json", etag=etag)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues from; a cursor plantrack did not give is a 422."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        value = int(number)
        if kind != "id" or not 1 <= value <= 2**31 - 1:
            raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        message = "The cursor is not one plantrack gave: use next_cursor from the last page."
        raise ApiProblem(422, message, errors={"cursor": message}) from None
    return value


# --- Paging ------------------------------------------------------------------------------------

Row = TypeVar("Row")
MAX_LIMIT = 200
Cursor = Annotated[str | None, Query(max_length=100, description="next_cursor of the last page.")]


@dataclass(frozen=True)
class Paging:
    """A page asked for: at most ``limit`` items, continuing from the record ``cursor_id``
    (None: the first page)."""

    limit: int
    cursor_id: int | None

    @property
    def fetch(self) -> int:
        """How many rows to read: one more than a page, to know whether another follows."""
        return self.limit + 1


def paging(default: int = 50):
    """The ``limit`` and ``cursor`` query parameters, as a dependency; a bad cursor is a 422."""

    def page_asked(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = default,
        cursor: Cursor = None,
    ) -> Paging:
        return Paging(limit=limit, cursor_id=decode_cursor(cursor))

    return page_asked


PagingDep = Annotated[Paging, Depends(paging())]


def page_response(
    request: Request,
    model: type[BaseModel],
    rows: Sequence[Row],
    item: Callable[[Row], Any],
    *,
    paging: Paging,
    key: Callable[[Row], int],
    **fields: Any,
) -> Response:
    """A page of ``rows`` (read with ``paging.fetch``) as ``model``: its ``items``, the
    ``next_cursor`` (the ``key`` of the last item shown, when more follow) and any other
    ``fields``, with its ETag and Cache-Control."""
    shown = rows[: paging.limit]
    more = len(rows) > paging.limit
    page = model(
        items=[item(row) for row in shown],
        next_cursor=encode_cursor(key(shown[-1])) if more else None,
        **fields,
    )
    return read_response(request, page)
