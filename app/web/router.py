from fastapi import APIRouter, Depends

from app.deps import verify_csrf
from app.web import (
    accessibility_pages,
    action_pages,
    auth_pages,
    board_pages,
    data_pages,
    indicator_pages,
    office_pages,
    people_pages,
    plan_admin_pages,
    plan_pages,
    redirects,
    report_pages,
    sso_pages,
    token_pages,
)

# Every state-changing request through any page must carry the CSRF token.
web_router = APIRouter(dependencies=[Depends(verify_csrf)])
web_router.include_router(auth_pages.router)
web_router.include_router(sso_pages.router)
web_router.include_router(accessibility_pages.router)
web_router.include_router(redirects.router)
# Before plan_pages: /plans/new is a page of its own, not the plan called "new".
web_router.include_router(plan_admin_pages.router)
web_router.include_router(plan_pages.router)
web_router.include_router(action_pages.router)
web_router.include_router(office_pages.router)
web_router.include_router(indicator_pages.router)
web_router.include_router(report_pages.router)
web_router.include_router(board_pages.router)
web_router.include_router(people_pages.router)
web_router.include_router(data_pages.router)
web_router.include_router(token_pages.router)
