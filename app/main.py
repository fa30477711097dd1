from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from app.api.docs import docs_router
from app.api.openapi import openapi_schema
from app.api.problems import install_problem_handlers
from app.api.router import api_router
from app.core.config import PROJECT_ROOT
from app.core.db import get_engine, new_session
from app.deps import SignInRequired, sign_in_redirect_path
from app.web.errors import install_error_handlers
from app.web.middleware import RequestLimits, SecurityHeaders
from app.web.page_cache import KeptPages
from app.web.router import web_router


@asynccontextmanager
async def lifespan(_app: FastAPI):
    yield
    get_engine().dispose()


class Plantrack(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's error middleware: its last-resort 500 page gets the headers too.
        return SecurityHeaders(super().build_middleware_stack())


def create_app() -> Plantrack:
    # The schema and its Swagger UI are served by app.api.docs, to people signed in only.
    app = Plantrack(
        title="plantrack", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.open_session = new_session
    app.openapi = lambda: openapi_schema(app)
    app.add_middleware(KeptPages)  # inside RequestLimits: its checks come first
    app.add_middleware(RequestLimits)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(docs_router)
    # The schema describes the JSON API; the pages are HTML for people, not an API.
    app.include_router(web_router, include_in_schema=False)
    install_error_handlers(app)
    install_problem_handlers(app)  # after the pages' handlers: the API's wrap them

    @app.exception_handler(SignInRequired)
    async def redirect_to_sign_in(_request: Request, error: SignInRequired):
        return RedirectResponse(sign_in_redirect_path(error.next_path), status_code=303)

    return app
