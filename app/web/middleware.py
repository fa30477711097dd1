"""The app's edge, before any route: security headers on every response, and limits on what a
request may carry, checked before anything parses it.

Both are plain ASGI callables. SecurityHeaders wraps the whole app, outside Starlette's own
error middleware, so the last-resort error page gets the headers too. RequestLimits reads the
body itself, counting the bytes as they arrive (a missing or false Content-Length changes
nothing), stops at the limit, and checks a form's fields before the CSRF check or a handler
parses it; only then does the app see the body, replayed from memory.
"""

import re
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers, MutableHeaders
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.web.errors import error_page

# No inline script or style anywhere: scripts and stylesheets come from /static only. data:
# images are Swagger UI's and GOV.UK Frontend's CSS icons.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"
# Pages hold who is signed in and what they may see, and every download is a report: none may
# be kept by a browser or a proxy. Static files may be cached, but are checked again each time
# (their addresses carry no version, so a release must be seen at once).
NO_STORE = "no-store"
STATIC_CACHE = "no-cache"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)
        secure = get_settings().secure_cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    # A page may ask for a stricter Referrer-Policy (an invitation's address
                    # holds its token: "no-referrer"); every other header is forced.
                    if name == "Referrer-Policy" and "referrer-policy" in headers:
                        continue
                    headers[name] = value
                if secure:
                    headers["Strict-Transport-Security"] = HSTS
                if "cache-control" not in headers:
                    headers["Cache-Control"] = STATIC_CACHE if static else NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


MEGABYTE = 1024 * 1024
FORM_LIMIT = 1 * MEGABYTE
# An import carries a 5 MB spreadsheet, and its confirm form the same file again as base64.
UPLOAD_LIMIT = 8 * MEGABYTE
UPLOAD_ROUTES = ("/plans/{slug}/import/preview", "/plans/{slug}/import", "/indicators/upload")
_UPLOAD_PATHS = [compile_path(path)[0] for path in UPLOAD_ROUTES]


class FormLimits:
    """What one form may hold (Starlette's parser settings): fields, files, bytes per field."""

    def __init__(self, *, body: int, fields: int, files: int, part: int) -> None:
        self.body = body
        self.fields = fields
        self.files = files
        self.part = part


# The refresh form has a field per old theme, the import preview one per spreadsheet column
# and up to 14 chunks of the file (512 KB each, app.web.data_pages.FILE_CHUNK).
ORDINARY = FormLimits(body=FORM_LIMIT, fields=200, files=1, part=FORM_LIMIT)
UPLOAD = FormLimits(body=UPLOAD_LIMIT, fields=1000, files=1, part=MEGABYTE)

TOO_LARGE = (
    "What was sent is larger than plantrack accepts: {limit} MB for this form. "
    "If you were uploading a file, the largest accepted is 5 MB: split it into smaller files."
)
NUL_MESSAGE = "The address or the form contains a character plantrack does not accept (NUL)."
_PERCENT_NUL = re.compile(rb"%00")


def limits_for(scope: Scope) -> FormLimits:
    path = scope["path"]
    if scope["method"] == "POST" and any(regex.match(path) for regex in _UPLOAD_PATHS):
        return UPLOAD
    return ORDINARY


class _Refused(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in value for value in values)


class RequestLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = limits_for(scope)
        try:
            self._check_address(scope)
            body = await self._read_body(scope, receive, limits)
            await self._check_form(scope, body, limits)
        except _Refused as refused:
            response = error_page(Request(scope), refused.status_code, [refused.message])
            # The rest of an oversized body is never read: the connection cannot be reused.
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only the client's disconnect

        await self.app(scope, replay, send)

    @staticmethod
    def _check_address(scope: Scope) -> None:
        # A NUL byte has no meaning in a slug, a key or a query, and PostgreSQL refuses it in
        # text: refuse it here rather than let a query fail.
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in query or _PERCENT_NUL.search(query):
            raise _Refused(400, NUL_MESSAGE)
        if b"\x00" in unquote_to_bytes(scope.get("raw_path") or b""):
            raise _Refused(400, NUL_MESSAGE)

    @staticmethod
    async def _read_body(scope: Scope, receive: Receive, limits: FormLimits) -> bytes:
        too_large = _Refused(413, TOO_LARGE.format(limit=limits.body // MEGABYTE))
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limits.body:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.body:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _check_form(scope: Scope, body: bytes, limits: FormLimits) -> None:
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return

        async def stream():
            yield body
            yield b""

        try:
            if content_type == "multipart/form-data":
                parser = _InMemoryMultiPartParser(
                    headers,
                    stream(),
                    max_files=limits.files,
                    max_fields=limits.fields,
                    max_part_size=limits.part,
                )
            else:
                parser = FormParser(
                    headers, stream(), max_fields=limits.fields, max_part_size=limits.part
                )
            form = await parser.parse()
        except MultiPartException as error:
            if error.message.startswith(("Too many", "Part exceeded", "Field exceeded")):
                raise _Refused(413, f"The form is too large. {error.message}") from None
            raise _Refused(400, f"The form could not be read. {error.message}") from None
        try:
            texts = [value for value in form.values() if isinstance(value, str)]
            if _has_nul(form.keys()) or _has_nul(texts):
                raise _Refused(400, NUL_MESSAGE)
        finally:
            await form.close()


class _InMemoryMultiPartParser(MultiPartParser):
    # The body is already in memory and at most UPLOAD_LIMIT: checking it writes nothing to disk.
    spool_max_size = UPLOAD_LIMIT
