"""The accessibility statement (/accessibility): public, no sign-in, linked from every page's
footer. Its wording follows the GOV.UK model statement; what it says was tested is what
tests/browser runs (axe-core, keyboard, reflow at 320 px) and tests/reports checks (tagged PDF)."""

from datetime import date

from fastapi import APIRouter, Request

from app.core.config import get_settings
from app.deps import OptionalSignedIn
from app.web.templating import templates

router = APIRouter()

# When the statement was prepared and last reviewed: change it when the statement is reviewed.
PREPARED_ON = date(2026, 12, 2)
REVIEWED_ON = date(2026, 12, 2)


@router.get("/accessibility")
def read_accessibility_statement(request: Request, signed_in: OptionalSignedIn):
    return templates.TemplateResponse(
        request,
        "accessibility.html",
        {
            "contact": get_settings().accessibility_contact,
            "prepared_on": PREPARED_ON,
            "reviewed_on": REVIEWED_ON,
        },
    )
