from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.api.router import api_router
from app.core.config import PROJECT_ROOT
from app.core.db import get_engine, new_session
from app.deps import SignInRequired, sign_in_redirect_path
from app.web.errors import install_error_handlers
from app.web.router import web_router


@asynccontextmanager
async def lifespan(_app: FastAPI):
    yield
    get_engine().dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="plantrack", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.open_session = new_session
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(web_router)
    install_error_handlers(app)

    @app.exception_handler(SignInRequired)
    async def redirect_to_sign_in(_request: Request, error: SignInRequired):
        return RedirectResponse(sign_in_redirect_path(error.next_path), status_code=303)

    return app
