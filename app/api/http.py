"""What every API read shares: ETags and Cache-Control, 304 for a copy still current, and
opaque cursors for paging."""

import base64
import binascii
import hashlib
import json

from fastapi import Request
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
