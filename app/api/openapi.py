"""The API's OpenAPI description: FastAPI's, with the two ways to authenticate declared."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.deps import cookie_name
from app.domain.auth import SESSION_COOKIE

DESCRIPTION = """\
The plantrack JSON API. Authenticate with an API token made by the office
(`Authorization: Bearer pt_...`; a read token reads, a write token also posts), or, from
plantrack's own pages, with the session cookie (then a write needs the `X-CSRF-Token` header).

Reads send an `ETag` and `Cache-Control: private, max-age=0, must-revalidate`: send the ETag back
as `If-None-Match` for a 304. Posting a status update needs the action's ETag as `If-Match`
(428 without it, 412 if someone updated the action since). Lists page with `next_cursor`.
Every error is an RFC 9457 problem (`application/problem+json`).
"""


def openapi_schema(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=DESCRIPTION,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token made by the office: pt_ and 43 characters.",
            },
            "sessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": cookie_name(SESSION_COOKIE),
                "description": "plantrack's own pages; writes also need X-CSRF-Token.",
            },
        }
        schema["security"] = [{"bearerToken": []}, {"sessionCookie": []}]
        app.openapi_schema = schema
    return app.openapi_schema
