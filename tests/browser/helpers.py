"""Helpers shared by the browser tests: the demo accounts, axe-core, test data set-up."""

import json
import os
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# The demo accounts the tests sign in as (see seed_data/users.yaml and boards.yaml).
PLAN = "reduced-offending-2018-21"  # active, Green/Amber/Red, no approval step
APPROVAL_PLAN = "managing-offenders-2018-21"  # active, needs the office's approval
EDITOR = "omrr.lead@plantrack.example"  # leads the OMRR delivery group of PLAN
VIEWER = "board.member@plantrack.example"
ADMIN = "admin@plantrack.example"


def password_of(email: str) -> str:
    from tests.conftest import demo_users

    return demo_users()[email]["password"]


def sign_in_through_page(page, base_url: str, email: str, next_path: str = "/") -> None:
    """Sign in as a person does: the sign-in page, its fields and its button."""
    page.goto(f"{base_url}/sign-in?next={next_path}")
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password_of(email))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1/2.2 A and AA violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the app's Content-Security-Policy refuses inline
        # scripts, and a test must not need it weakened.
        page.evaluate(AXE_JS.read_text())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary,
                                          html: n.html.slice(0, 200)})),
            }));
        }""",
        AXE_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html']}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page, state: str) -> None:
    """No axe violation of impact serious or critical on the page as it is now."""
    violations = run_axe(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, (
        f"axe found {len(serious)} serious or critical WCAG violation(s) on {state} "
        f"({page.url}):\n{describe_violations(serious)}"
    )


def record_pending_update(
    database_url: str, *, plan_slug: str, ref: str, email: str, commentary: str
) -> None:
    """Test setup: a submitted (awaiting approval) update by a non-admin account, written with
    the app's own domain function. No demo editor may update an action of the plan that asks
    for approval (managing-offenders-2018-21: no delivery groups, every lead a police role),
    so the approvals page could otherwise never be seen with something waiting."""
    from datetime import date

    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.core.models import Action, Plan, User
    from app.domain.updates import UpdateIn, record_update

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            plan = session.exec(select(Plan).where(Plan.slug == plan_slug)).one()
            action = session.exec(
                select(Action).where(Action.plan_id == plan.id, Action.ref == ref)
            ).one()
            user = session.exec(select(User).where(User.email == email)).one()
            record_update(
                session,
                action=action,
                plan=plan,
                user=user,
                update_in=UpdateIn(
                    stage="in_progress",
                    rag="amber",
                    commentary=commentary,
                    corrective_action="",
                    effective_on=min(date.today(), plan.period_end),
                    expected_version=action.version,
                ),
            )
            session.commit()
    finally:
        engine.dispose()


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot when PLANTRACK_SCREENSHOT_DIR names a directory (for a
    person to look at, or for CI to keep as an artefact); otherwise do nothing."""
    directory = os.environ.get("PLANTRACK_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"plantrack-{name}.png"), full_page=True)


def record_returned_updates(database_url: str, *, plan_slug: str, ref: str, count: int) -> None:
    """Test setup: a long history (``count`` updates the office returned, so no figure changes
    and no one's "My actions" lists them), for the action page's "Show older updates"."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.core.models import Action, Plan, StatusUpdate

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            plan = session.exec(select(Plan).where(Plan.slug == plan_slug)).one()
            action = session.exec(
                select(Action).where(Action.plan_id == plan.id, Action.ref == ref)
            ).one()
            for n in range(count):
                effective = plan.period_start + timedelta(days=n)
                session.add(
                    StatusUpdate(
                        action_id=action.id,
                        recorded_at=datetime(2018, 4, 1, 9, tzinfo=UTC) + timedelta(days=n),
                        effective_on=effective,
                        stage="in_progress",
                        rag="green",
                        commentary=f"Returned draft {n}.",
                        review_state="returned",
                        review_note="Please add the figures.",
                    )
                )
            session.commit()
    finally:
        engine.dispose()


def action_path(ref: str, plan: str = PLAN) -> str:
    return f"/plans/{plan}/actions/{ref}"


def history(page):
    """The action page's timeline of updates (newest first), as a list locator."""
    return page.get_by_role("list", name="History of updates").locator(":scope > li")


def update_form(page):
    return page.get_by_role("form", name="Record an update")


def fill_update(
    page, *, stage: str, rag: str | None, commentary: str, corrective_action: str | None = None
) -> None:
    """Fill the update form the way a person would: by its visible labels."""
    form = update_form(page)
    form.get_by_role("group", name="Stage").get_by_label(stage, exact=True).check()
    rag_group = form.get_by_role("group", name="RAG rating")
    if rag is None:
        rag_group.get_by_label("No rating (not in progress)", exact=True).check()
    else:
        rag_group.get_by_label(rag, exact=True).check()
    form.get_by_label("Commentary", exact=True).fill(commentary)
    if corrective_action is not None:
        form.get_by_label("Corrective action", exact=True).fill(corrective_action)


def unique(text: str) -> str:
    """Text no other test (or earlier run against the same server) will have written."""
    import uuid

    return f"{text} [{uuid.uuid4().hex[:8]}]"


# --- Every page: the app's GET routes, filled from the demo data ----------------------------

# Routes that answer with a file, a redirect or JSON rather than a page, and so have no layout.
# Not pages of ours: redirects (to /sign-in, to an identity provider), files, the health check.
NOT_PAGES = (
    "/healthz",
    "/login",
    "/export",
    "/import/template.xlsx",
    "/indicators/upload/",
    "/sign-in/oidc/",
)
# Pages anyone may see without signing in.
PUBLIC_PAGES = (
    "/sign-in",
    "/accessibility",
    "/public/plans/{slug}",
    "/public/published/{report_id}",
    "/public/published/{report_id}/changes",
    "/invitation/{token}",
)
# The one page whose demo address shows an error page: no invitation has that token.
ERROR_PAGES = {"/invitation/{token}": 404}


def page_routes() -> list[str]:
    """The path of every page of the app (a route answering GET with HTML), as declared: a new
    page is walked by the tests that use this list as soon as its route exists."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Mount

    from app.main import create_app

    paths = []
    for route in iter_route_contexts(create_app().routes):
        if isinstance(route.original_route, Mount) or "GET" not in route.methods:
            continue
        path = route.path
        if path.startswith("/api/") or "{extension}" in path or path.startswith(NOT_PAGES):
            continue
        if path not in paths:
            paths.append(path)
    return paths


def demo_page_values(database_url: str) -> dict[str, str]:
    """A value from the demo data for every name a page's path holds. Publishes the demo plan's
    appendix as at 31 March 2019 (no meeting) and turns on its public view, once, so the
    published and public pages have something to show."""
    from datetime import date

    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.core.models import Board, Indicator, Meeting, Plan, PublishedReport, Theme, User
    from app.domain.plan_settings import set_plan_switch
    from app.publishing import publish_report
    from app.reports.appendix import build_appendix

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            plan = session.exec(select(Plan).where(Plan.slug == PLAN)).one()
            admin = session.exec(select(User).where(User.email == ADMIN)).one()
            report = session.exec(
                select(PublishedReport).where(
                    PublishedReport.plan_id == plan.id, PublishedReport.meeting_id.is_(None)
                )
            ).first()
            if report is None:
                appendix = build_appendix(session, plan, date(2019, 3, 31), since=None)
                report = publish_report(
                    session, plan=plan, meeting=None, report=appendix, user=admin
                )
            if not plan.is_public:
                set_plan_switch(
                    session=session, plan=plan, user=admin, field="is_public", value=True
                )
            session.commit()
            board = session.get(Board, plan.board_id)
            return {
                "slug": PLAN,
                "ref": "RR6",
                "report_id": str(report.id),
                "key": session.exec(select(Indicator.key).order_by(Indicator.key)).first(),
                "short_name": board.short_name,
                "meeting_id": str(
                    session.exec(
                        select(Meeting.id).where(Meeting.board_id == board.id).order_by(Meeting.id)
                    ).first()
                ),
                "theme_id": str(
                    session.exec(
                        select(Theme.id).where(Theme.plan_id == plan.id).order_by(Theme.position)
                    ).first()
                ),
                "token": "not-a-real-invitation",
                "name": "test",  # the browser server's identity provider
                # A viewer's account: the office limits it to boards on this page.
                "user_id": str(session.exec(select(User.id).where(User.email == VIEWER)).one()),
            }
    finally:
        engine.dispose()
