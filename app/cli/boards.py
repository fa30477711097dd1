"""plantrack board create and plantrack meeting add/move/cancel/deadline: boards and their
meetings, each change checked and audited like the office's pages."""

from datetime import date
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from app.cli.common import fail, open_session, parse_date
from app.core.models import Board, Meeting
from app.domain.boards import (
    BoardRejected,
    add_meeting,
    cancel_meeting,
    create_board,
    find_meeting,
    get_board,
    list_boards,
    move_meeting,
    set_meeting_deadline,
)
from app.domain.cycle import update_deadline
from app.domain.timescales import uk_date

board_app = typer.Typer(no_args_is_help=True, help="Boards: create one.")
meeting_app = typer.Typer(
    no_args_is_help=True, help="A board's meetings: add, move, cancel, set the update deadline."
)

# The flag each domain field was given as, for one-line errors that name it.
FLAGS = {
    "name": "--name",
    "short_name": "SHORT_NAME",
    "description": "--description",
    "held_on": "--date",
    "title": "--title",
    "update_deadline": "--deadline",
    "reason": "--reason",
}

BoardOption = Annotated[str, typer.Option("--board", help="The board's short name, e.g. OMCDB.")]
DateOption = Annotated[
    str, typer.Option("--date", help="The date of the meeting (YYYY-MM-DD).", show_default=False)
]


def _rejected(error: BoardRejected, flags: dict[str, str] = FLAGS) -> None:
    fail(
        "; ".join(f"{flags.get(field, field)}: {text}" for field, text in error.errors.items()),
        code=2,
    )


def _board_or_fail(session: Session, short_name: str) -> Board:
    try:
        board = get_board(session=session, short_name=short_name)
    except (OperationalError, ProgrammingError):
        fail("the database has no plantrack tables: run `plantrack db upgrade` first")
    if board is None:
        known = ", ".join(b.short_name for b in list_boards(session=session)) or "none"
        fail(f"no board with short name '{short_name}' (known boards: {known})", code=2)
    return board


def _required_date(value: str, option: str) -> date:
    return parse_date(value, option)  # never None: the option is required


def _meeting_or_fail(session: Session, board: Board, held_on: date) -> Meeting:
    meeting = find_meeting(session=session, board=board, held_on=held_on)
    if meeting is None:
        fail(f"the {board.short_name} has no meeting on {held_on.isoformat()}", code=2)
    return meeting


@board_app.command("create")
def board_create(
    short_name: Annotated[str, typer.Argument(help="As the board is known, e.g. OMCDB.")],
    name: Annotated[str, typer.Option("--name", help="The board's full name.")],
    description: Annotated[str, typer.Option("--description", help="What the board does.")] = "",
) -> None:
    """Create a board."""
    with open_session() as session:
        try:
            board = create_board(
                session=session,
                user=None,
                actor="plantrack board create",
                name=name,
                short_name=short_name,
                description=description,
            )
        except BoardRejected as error:
            _rejected(error)
        session.commit()
        typer.echo(f"Created the board {board.short_name}: {board.name}")


@meeting_app.command("add")
def meeting_add(
    board: BoardOption,
    held_on: DateOption,
    title: Annotated[str, typer.Option("--title", help="Default: 'SHORT_NAME meeting'.")] = "",
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline", help="Updates due by (YYYY-MM-DD); default 10 working days before."
        ),
    ] = None,
) -> None:
    """Add a meeting to a board."""
    day = _required_date(held_on, "--date")
    due = parse_date(deadline, "--deadline")
    with open_session() as session:
        found = _board_or_fail(session, board)
        try:
            meeting = add_meeting(
                session=session,
                user=None,
                actor="plantrack meeting add",
                board=found,
                held_on=day,
                title=title,
                deadline=due,
            )
        except BoardRejected as error:
            _rejected(error)
        session.commit()
        typer.echo(
            f"Added the {found.short_name} meeting on {uk_date(meeting.held_on)}; updates are "
            f"due by {uk_date(update_deadline(meeting))}."
        )


@meeting_app.command("move")
def meeting_move(
    board: BoardOption,
    held_on: DateOption,
    to: Annotated[str, typer.Option("--to", help="The new date (YYYY-MM-DD).")],
) -> None:
    """Move a meeting to another date."""
    day = _required_date(held_on, "--date")
    new_day = _required_date(to, "--to")
    with open_session() as session:
        found = _board_or_fail(session, board)
        meeting = _meeting_or_fail(session, found, day)
        try:
            move_meeting(
                session=session,
                user=None,
                actor="plantrack meeting move",
                board=found,
                meeting=meeting,
                held_on=new_day,
            )
        except BoardRejected as error:
            _rejected(error, FLAGS | {"held_on": "--to"})
        session.commit()
        typer.echo(
            f"Moved the {found.short_name} meeting of {uk_date(day)} to {uk_date(new_day)}; "
            f"updates are due by {uk_date(update_deadline(meeting))}."
        )


@meeting_app.command("cancel")
def meeting_cancel(
    board: BoardOption,
    held_on: DateOption,
    reason: Annotated[str, typer.Option("--reason", help="Kept in the audit log.")] = "",
) -> None:
    """Cancel a meeting: it stays on record but leaves the reporting cycle."""
    day = _required_date(held_on, "--date")
    with open_session() as session:
        found = _board_or_fail(session, board)
        meeting = _meeting_or_fail(session, found, day)
        try:
            cancel_meeting(
                session=session,
                user=None,
                actor="plantrack meeting cancel",
                board=found,
                meeting=meeting,
                reason=reason,
            )
        except BoardRejected as error:
            _rejected(error)
        session.commit()
        typer.echo(f"Cancelled the {found.short_name} meeting on {uk_date(day)}.")


@meeting_app.command("deadline")
def meeting_deadline(
    board: BoardOption,
    held_on: DateOption,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="Updates due by (YYYY-MM-DD).")
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Go back to 10 working days before the meeting.")
    ] = False,
) -> None:
    """Override the update deadline of a meeting (or go back to the default)."""
    if (deadline is not None) == default:
        fail("give either --deadline YYYY-MM-DD or --default", code=2)
    day = _required_date(held_on, "--date")
    due = parse_date(deadline, "--deadline")
    with open_session() as session:
        found = _board_or_fail(session, board)
        meeting = _meeting_or_fail(session, found, day)
        try:
            set_meeting_deadline(
                session=session,
                user=None,
                actor="plantrack meeting deadline",
                board=found,
                meeting=meeting,
                deadline=due,
            )
        except BoardRejected as error:
            _rejected(error)
        session.commit()
        typer.echo(
            f"Updates for the {found.short_name} meeting on {uk_date(day)} are due by "
            f"{uk_date(update_deadline(meeting))}."
        )


def register(app: typer.Typer) -> None:
    app.add_typer(board_app, name="board")
    app.add_typer(meeting_app, name="meeting")
