"""The API's own description, for people signed in only: the OpenAPI schema and Swagger UI,
served from static/vendor (never a CDN). The page has no inline script: static/js/api-docs.js
starts Swagger UI with the schema's address, read from the page."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.deps import CurrentUser, OptionalSignedIn, SignInRequired

OPENAPI_PATH = "/api/openapi.json"
DOCS_PATH = "/api/docs"

docs_router = APIRouter(include_in_schema=False)

DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>API documentation – plantrack</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui" data-openapi-url="{OPENAPI_PATH}">
    <h1>plantrack API</h1>
    <p>This page needs JavaScript. The API's description is at
    <a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a>.</p>
  </main>
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


@docs_router.get(OPENAPI_PATH)
def read_openapi(request: Request, user: CurrentUser) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@docs_router.get(DOCS_PATH)
def read_api_docs(signed_in: OptionalSignedIn) -> HTMLResponse:
    # A page, though under /api/: someone not signed in is sent to sign in, not given a 401.
    if signed_in is None:
        raise SignInRequired(DOCS_PATH)
    return HTMLResponse(DOCS_PAGE)
