"""plantrack plan create, close and reopen: the office's new-plan page and closing, on the command
line. They join `plan refresh` in the `plan` group (app/cli/data.py)."""

from typing import Annotated

import typer

from app.cli.common import fail, open_session, plan_or_fail
from app.cli.data import plan_app
from app.core.db import writing
from app.domain.plan_admin import (
    PlanIn,
    PlanRejected,
    ThemeIn,
    close_plan,
    create_plan,
    reopen_plan,
)

# The options that carry each of the domain's fields, for its messages.
OPTIONS = {
    "slug": "--slug",
    "title": "--title",
    "short_title": "--short-title",
    "description": "--description",
    "period_start": "--start",
    "period_end": "--end",
    "board": "--board",
    "rag_scheme": "--scheme",
    "outcomes": "--outcome",
    "reason": "--reason",
}
THEME_OPTIONS = {"title": "--theme", "delivery_group": "--delivery-group"}


def _option(field: str) -> str | None:
    if field in OPTIONS:
        return OPTIONS[field]
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "themes":
        return THEME_OPTIONS.get(parts[2], "--theme")
    return None


def _fail_with(rejected: PlanRejected, what: str) -> None:
    messages = [
        f"{option}: {message}" if (option := _option(field)) else message
        for field, message in rejected.errors.items()
    ]
    fail("; ".join(messages) + f"; {what}", code=2)


def create(
    slug: Annotated[str, typer.Option("--slug", help="Short name: lower-case, digits, hyphens.")],
    title: Annotated[str, typer.Option("--title", help="The plan's title.")],
    start: Annotated[str, typer.Option("--start", help="Its period start (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--end", help="Its period end (YYYY-MM-DD).")],
    board: Annotated[str, typer.Option("--board", help="Short name of the owning board.")],
    theme: Annotated[
        list[str] | None, typer.Option("--theme", help="A theme, in order (repeat).")
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--delivery-group", help="THEME=DELIVERY GROUP name, new or existing (repeat)."
        ),
    ] = None,
    outcome: Annotated[
        list[str] | None, typer.Option("--outcome", help="A strategic outcome, in order (repeat).")
    ] = None,
    scheme: Annotated[
        str, typer.Option("--scheme", help="rag (Green/Amber/Red) or dca (five-point).")
    ] = "rag",
    short_title: Annotated[
        str | None, typer.Option("--short-title", help="Short title; default the title.")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="What the plan is for.")] = "",
    approval: Annotated[
        bool, typer.Option("--approval", help="Editors' updates need the office's approval.")
    ] = False,
) -> None:
    """Create a plan with its themes and outcomes (as the office's new-plan page does)."""
    groups: dict[str, str] = {}
    for value in group or []:
        left, equals, right = value.partition("=")
        if not equals or not left.strip() or not right.strip():
            fail(f"--delivery-group '{value}' should be of the form THEME=GROUP", code=2)
        groups[left.strip()] = right.strip()
    titles = [t.strip() for t in theme or []]
    unknown = sorted(set(groups) - set(titles))
    if unknown:
        fail(f"--delivery-group names '{unknown[0]}', which is not a --theme", code=2)
    plan_in = PlanIn(
        slug=slug,
        title=title,
        short_title=short_title or "",
        description=description,
        period_start=start,
        period_end=end,
        board=board,
        rag_scheme=scheme,
        requires_approval=approval,
        outcomes=outcome or [],
        themes=[ThemeIn(title=t, delivery_group=groups.get(t, "")) for t in titles],
    )
    with open_session() as session, writing(session):
        try:
            plan = create_plan(
                session=session, plan_in=plan_in, user=None, actor="plantrack plan create"
            )
        except PlanRejected as rejected:
            session.rollback()
            _fail_with(rejected, "nothing was written")
        session.commit()
        typer.echo(f"Created {plan.slug}: {plan.title} ({len(titles)} themes)")


def close(slug: Annotated[str, typer.Argument(help="The plan's short name.")]) -> None:
    """Close a plan: its updates are frozen and its reports read as at its end date."""
    with open_session() as session, writing(session):
        plan = plan_or_fail(session, slug)
        try:
            close_plan(session=session, plan=plan, user=None, actor="plantrack plan close")
        except PlanRejected as rejected:
            session.rollback()
            _fail_with(rejected, "nothing was changed")
        session.commit()
    typer.echo(f"Closed {slug}: its updates are frozen.")


def reopen(
    slug: Annotated[str, typer.Argument(help="The plan's short name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is reopened (audited).")],
) -> None:
    """Reopen a closed plan, for a reason kept in the audit log."""
    with open_session() as session, writing(session):
        plan = plan_or_fail(session, slug)
        try:
            reopen_plan(
                session=session, plan=plan, reason=reason, user=None, actor="plantrack plan reopen"
            )
        except PlanRejected as rejected:
            session.rollback()
            _fail_with(rejected, "nothing was changed")
        session.commit()
    typer.echo(f"Reopened {slug}: it takes updates again.")


def register(_app: typer.Typer) -> None:
    plan_app.command("create")(create)
    plan_app.command("close")(close)
    plan_app.command("reopen")(reopen)
