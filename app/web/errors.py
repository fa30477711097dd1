"""Readable error pages for people and JSON errors for the API: never a traceback."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.deps import is_api_v1, problem_response
from app.publishing import TamperedFile
from app.web.templating import templates

logger = logging.getLogger("plantrack")

TITLES = {
    400: "There is a problem with the request",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "That is not allowed here",
    409: "Someone else changed this first",
    413: "What was sent is too large",
    422: "There is a problem with the request",
}
NOT_FOUND = "There is no page at this address."


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _describe(error: RequestValidationError) -> list[str]:
    messages = []
    for issue in error.errors():
        where = ".".join(
            str(part) for part in issue["loc"] if part not in ("query", "path", "body")
        )
        value = issue.get("input")
        if issue["type"].startswith("date"):
            messages.append(f"{where}: '{value}' is not a date in the form YYYY-MM-DD")
        elif issue["type"] == "value_error":
            # A rule of plantrack's own (a date outside the years it reads, say): its words.
            messages.append(f"{where}: {issue['ctx']['error']}")
        else:
            messages.append(f"{where}: {issue['msg']}")
    return messages


def error_page(request: Request, status_code: int, messages: list[str]):
    # Before routing (a request too large, say) the API's errors still take its one shape.
    if is_api_v1(request):
        return problem_response(status_code, " ".join(messages))
    if _wants_json(request):
        return JSONResponse({"detail": messages}, status_code=status_code)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": TITLES.get(status_code, "Something went wrong"), "messages": messages},
        status_code=status_code,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        # A path whose id is not a number, or no id plantrack could hold, names nothing: 404.
        if all(issue["loc"][:1] == ("path",) for issue in error.errors()):
            return error_page(request, 404, [NOT_FOUND])
        # A malformed query (a bad date, say) is the client's mistake: 400 with what to fix.
        return error_page(request, 400 if not _wants_json(request) else 422, _describe(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        response = error_page(request, error.status_code, [detail])
        if error.headers:
            response.headers.update(error.headers)
        return response

    @app.exception_handler(TamperedFile)
    async def tampered_file(request: Request, error: TamperedFile):
        return error_page(request, 500, [str(error)])

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception):
        logger.exception("Unexpected error answering %s %s", request.method, request.url.path)
        return error_page(
            request, 500, ["Something went wrong on our side. The error has been logged."]
        )
