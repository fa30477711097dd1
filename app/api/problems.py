"""Errors under /api/v1 in one shape: RFC 9457 problem details (application/problem+json with
type, title, status and detail; ``errors`` by field for 422). The pages keep their own error
pages: these handlers answer for the API's paths and hand every other path to the page's."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import is_api_v1, problem_response

logger = logging.getLogger("plantrack")


def field_name(location: tuple) -> str:
    """``themes.0.title`` for a body field, ``as_at`` for a query's: where the value was sent
    is said by the message, not the name."""
    parts = [str(part) for part in location]
    if parts and parts[0] in ("query", "path", "body", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(error: RequestValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for issue in error.errors():
        name = field_name(tuple(issue["loc"]))
        if issue["type"].startswith("date"):
            message = f"'{issue.get('input')}' is not a date in the form YYYY-MM-DD"
        elif issue["type"] == "value_error" and "error" in issue.get("ctx", {}):
            message = str(issue["ctx"]["error"])
        else:
            message = issue["msg"]
        errors.setdefault(name, message)
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    """Put the API's handlers in front of the pages' ones (installed before), for /api/v1."""
    pages = dict(app.exception_handlers)

    def scoped(kind, api_handler):
        page_handler = pages[kind]

        async def handle(request: Request, error: Exception):
            if is_api_v1(request):
                return api_handler(request, error)
            return await page_handler(request, error)

        app.add_exception_handler(kind, handle)

    def validation(_request: Request, error: RequestValidationError):
        errors = validation_errors(error)
        if all(issue["loc"][:1] == ("path",) for issue in error.errors()):
            # A path whose id is not a number, or no id plantrack could hold, names nothing.
            return problem_response(404, "There is nothing at this address.")
        return problem_response(
            422, "; ".join(f"{name}: {message}" for name, message in errors.items()), errors=errors
        )

    def http_error(_request: Request, error: StarletteHTTPException):
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return problem_response(
            error.status_code,
            detail,
            errors=getattr(error, "errors", None),
            extra=getattr(error, "extra", None),
            headers=error.headers,
        )

    def unexpected(request: Request, error: Exception):
        logger.exception("Unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(500, "Something went wrong on our side. The error has been logged.")

    scoped(RequestValidationError, validation)
    scoped(StarletteHTTPException, http_error)
    scoped(Exception, unexpected)
