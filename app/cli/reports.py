"""plantrack progress, report appendix and reminders: a plan's figures, its reports, its owners
reminded."""

import json
import sys
from datetime import date
from typing import Annotated

import typer

from app.cli.common import dates_or_fail, fail, open_session, parse_date, plan_or_fail
from app.core.files import write_atomically
from app.domain.progress import progress_as_at
from app.domain.reminders import ReminderError, plans_in_cycle, run_reminders
from app.domain.timescales import uk_date
from app.jobs import prepare_meeting_files
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS

report_app = typer.Typer(no_args_is_help=True, help="Produce reports in any format.")

AsAtOption = Annotated[
    str | None,
    typer.Option(
        "--as-at",
        help="Date the figures are computed as at (YYYY-MM-DD); default today, or the plan's "
        "end date once it has ended or closed.",
    ),
]


def progress(
    plan: Annotated[str, typer.Option("--plan", help="The plan's slug.")],
    as_at: AsAtOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A plan's progress as at a date: totals, stages, overdue and the headline."""
    as_at_date = parse_date(as_at, "--as-at")
    with open_session() as session:
        found = plan_or_fail(session, plan)
        dates = dates_or_fail(found, as_at=as_at_date)
        result = progress_as_at(session=session, plan=found, as_at=dates.as_at)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    typer.echo(result.headline)
    for theme in result.by_theme:
        typer.echo(
            f"  {theme.title}: {theme.complete} of {theme.scheduled} scheduled complete"
            + (f" ({theme.percent_complete}%)" if theme.percent_complete is not None else "")
        )


@report_app.command("appendix")
def report_appendix(
    plan: Annotated[str, typer.Option("--plan", help="The plan's slug.")],
    report_format: Annotated[
        str, typer.Option("--format", help="html, pdf, docx, xlsx, csv or json.")
    ] = "html",
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="File to write; stdout if omitted.")
    ] = None,
    as_at: AsAtOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Changes since this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """The Progress Tracking appendix of a plan as at a date."""
    if report_format not in FORMATS:
        raise typer.BadParameter(
            f"'{report_format}' is not a format; choose from {', '.join(FORMATS)}",
            param_hint="--format",
        )
    chosen = FORMATS[report_format]
    if output is None and not chosen.is_text:
        fail(f"{report_format} is a binary format: give a file with -o", code=2)
    as_at_date = parse_date(as_at, "--as-at")
    since_date = parse_date(since, "--since")
    with open_session() as session:
        found = plan_or_fail(session, plan)
        dates = dates_or_fail(found, as_at=as_at_date, since=since_date)
        report = build_appendix(session, found, dates.as_at, since=dates.since)
    content = chosen.render(report)
    if output is None:
        sys.stdout.write(content.decode("utf-8"))
        return
    try:
        write_atomically(output, content)
    except OSError as error:
        fail(f"could not write {output}: {error.strerror}")
    typer.echo(f"Wrote {output} ({len(content):,} bytes)", err=True)


def reminders(
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="The plan's slug; default every active plan with a board."),
    ] = None,
) -> None:
    """For each plan's board's next meeting: e-mail owners whose updates are missing until the
    update deadline; once it has passed, one digest of the missing updates to each
    delivery-group lead and the office. Idempotent: run it from the system scheduler as often
    as you like; meetings already held are never looked at."""
    today = date.today()
    with open_session() as session:
        plans = [plan_or_fail(session, plan)] if plan else plans_in_cycle(session=session)
        for found in plans:
            try:
                run = run_reminders(session=session, plan=found, today=today)
            except ReminderError as error:
                fail(f"{found.slug}: {error}")
            if run.meeting is None:
                typer.echo(f"{found.slug}: no meeting ahead, nothing to send.")
                continue
            result = run.result
            noun = "reminders" if result.kind == "reminder" else "escalations"
            typer.echo(
                f"{found.slug}: meeting on {uk_date(run.meeting.held_on)}: sent "
                f"{len(result.sent)} {noun}; {len(result.already_sent)} already sent."
            )
            # Once the deadline has passed, the meeting's files are made ahead of time.
            prepared = prepare_meeting_files(session, plan=found, today=today)
            if prepared is not None:
                echo_prepared(found.slug, prepared)


@report_app.command("prepare")
def report_prepare(
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="The plan's slug; default every active plan with a board."),
    ] = None,
) -> None:
    """Queue the files of each plan's board's next meeting (its highlight report, and the
    appendix as at the update deadline, as PDF and Word) once the update deadline has passed.
    `plantrack reminders` does the same each time it runs."""
    today = date.today()
    with open_session() as session:
        plans = [plan_or_fail(session, plan)] if plan else plans_in_cycle(session=session)
        for found in plans:
            echo_prepared(found.slug, prepare_meeting_files(session, plan=found, today=today))


def echo_prepared(slug: str, prepared) -> None:
    if prepared is None:
        typer.echo(f"{slug}: no meeting ahead whose update deadline has passed: nothing queued.")
        return
    made = sum(job.state == "done" for job in prepared.jobs)
    typer.echo(
        f"{slug}: files for the meeting on {uk_date(prepared.meeting.held_on)} (updates were "
        f"due by {uk_date(prepared.deadline)}): {len(prepared.jobs) - made} queued, "
        f"{made} already made."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.command("progress")(progress)
    app.command("reminders")(reminders)
