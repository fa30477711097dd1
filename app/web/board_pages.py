"""Boards and their meetings: everyone reads them; the office adds a board, adds, moves or
cancels a meeting and overrides its update deadline."""

from datetime import date

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from app.core.models import Board
from app.deps import AdminUser, PagePrincipal, SessionDep
from app.domain.access import (
    may_read_board,
    readable_board_ids,
    readable_plan_ids,
)
from app.domain.boards import (
    BoardRejected,
    add_meeting,
    cancel_meeting,
    check_deadline,
    check_move,
    check_new_meeting,
    create_board,
    get_board,
    get_board_meeting,
    list_boards,
    move_meeting,
    read_board_page,
    read_meeting_page,
    set_meeting_deadline,
)
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.errors import NotFound
from app.web.templating import templates

router = APIRouter()

# What a redirect after a change may say it did (never text from the address).
NOTICES = {
    "added": "is added",
    "moved": "is moved",
    "cancelled": "is cancelled",
    "deadline": "has its new update deadline",
}


def _date_from_parts(day: str, month: str, year: str, label: str) -> tuple[date | None, str]:
    """A date typed into the GOV.UK date input, read by the one reader (app.domain.date_input):
    the date, or None with the message ("" when all three boxes are empty: not given)."""
    parts = DateParts(day=day, month=month, year=year)
    if parts.is_blank:
        return None, ""
    try:
        return parse_date_parts(parts, label=label[:1].lower() + label[1:]), ""
    except DateInputError as error:
        return None, error.message


def _board_or_404(session: SessionDep, short_name: str) -> Board:
    board = get_board(session=session, short_name=short_name)
    if board is None:
        raise HTTPException(404, f"There is no board called '{short_name}'.")
    return board


@router.get("/boards")
def read_boards(request: Request, session: SessionDep, principal: PagePrincipal):
    boards = list_boards(session=session, board_ids=readable_board_ids(session, principal))
    return templates.TemplateResponse(request, "boards/boards.html", {"boards": boards})


@router.get("/boards/new")
def read_new_board(request: Request, user: AdminUser):
    return templates.TemplateResponse(request, "boards/new.html", {"errors": {}, "values": {}})


@router.post("/boards")
def create_board_page(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    name: str = Form(""),
    short_name: str = Form(""),
    description: str = Form(""),
):
    try:
        board = create_board(
            session=session, user=user, name=name, short_name=short_name, description=description
        )
    except BoardRejected as error:
        values = {"name": name, "short_name": short_name, "description": description}
        return templates.TemplateResponse(
            request,
            "boards/new.html",
            {"errors": error.errors, "values": values},
            status_code=400,
        )
    return RedirectResponse(f"/boards/{board.short_name}", status_code=303)


def _board_page(
    request: Request,
    session: SessionDep,
    board: Board,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    notice: str | None = None,
    status_code: int = 200,
    plan_ids: frozenset[int] | None = None,
):
    page = read_board_page(session=session, board=board, plan_ids=plan_ids)
    return templates.TemplateResponse(
        request,
        "boards/board.html",
        {
            "page": page,
            "board": page.board,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/boards/{short_name}")
def read_board(
    request: Request,
    short_name: str,
    session: SessionDep,
    principal: PagePrincipal,
    changed: int | None = None,
    did: str | None = None,
):
    board = _board_or_404(session, short_name)
    if not may_read_board(session, principal, board):
        # As for a board that does not exist: a scoped person never learns of other boards.
        raise HTTPException(404, f"There is no board called '{short_name}'.")
    notice = None
    if changed is not None and did in NOTICES:
        notice = (changed, NOTICES[did])
    readable = readable_plan_ids(session, principal)
    return _board_page(request, session, board, notice=notice, plan_ids=readable)


@router.post("/boards/{short_name}/meetings")
def create_meeting(
    request: Request,
    short_name: str,
    session: SessionDep,
    user: AdminUser,
    title: str = Form(""),
    held_on_day: str = Form("", alias="held_on-day"),
    held_on_month: str = Form("", alias="held_on-month"),
    held_on_year: str = Form("", alias="held_on-year"),
    deadline_day: str = Form("", alias="update_deadline-day"),
    deadline_month: str = Form("", alias="update_deadline-month"),
    deadline_year: str = Form("", alias="update_deadline-year"),
):
    board = _board_or_404(session, short_name)
    held_on, held_on_error = _date_from_parts(
        held_on_day, held_on_month, held_on_year, "The date of the meeting"
    )
    deadline, deadline_error = _date_from_parts(
        deadline_day, deadline_month, deadline_year, "The update deadline"
    )
    typed = {"held_on": held_on_error, "update_deadline": deadline_error}
    errors = check_new_meeting(
        session=session, board=board, held_on=held_on, title=title, deadline=deadline
    ) | {field: message for field, message in typed.items() if message}
    if not errors:
        try:
            meeting = add_meeting(
                session=session,
                user=user,
                board=board,
                held_on=held_on,
                title=title,
                deadline=deadline,
            )
        except BoardRejected as error:
            errors = error.errors
    if errors:
        values = {
            "title": title,
            "held_on-day": held_on_day,
            "held_on-month": held_on_month,
            "held_on-year": held_on_year,
            "update_deadline-day": deadline_day,
            "update_deadline-month": deadline_month,
            "update_deadline-year": deadline_year,
        }
        return _board_page(request, session, board, errors=errors, values=values, status_code=400)
    return RedirectResponse(
        f"/boards/{board.short_name}?changed={meeting.id}&did=added#meeting-{meeting.id}",
        status_code=303,
    )


def _meeting_page(
    request: Request,
    session: SessionDep,
    board: Board,
    meeting_id: int,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
):
    try:
        page = read_meeting_page(session=session, board=board, meeting_id=meeting_id)
    except NotFound as error:
        raise HTTPException(404, error.message) from None
    return templates.TemplateResponse(
        request,
        "boards/meeting.html",
        {
            "page": page,
            "board": board,
            "meeting": page.row.meeting,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/boards/{short_name}/meetings/{meeting_id}")
def read_meeting(
    request: Request, short_name: str, meeting_id: int, session: SessionDep, user: AdminUser
):
    return _meeting_page(request, session, _board_or_404(session, short_name), meeting_id)


def _done(board: Board, meeting_id: int, did: str) -> RedirectResponse:
    return RedirectResponse(
        f"/boards/{board.short_name}?changed={meeting_id}&did={did}#meeting-{meeting_id}",
        status_code=303,
    )


def _meeting_of(session: SessionDep, board: Board, meeting_id: int):
    try:
        return get_board_meeting(session=session, board=board, meeting_id=meeting_id)
    except NotFound as error:
        raise HTTPException(404, error.message) from None


@router.post("/boards/{short_name}/meetings/{meeting_id}/move")
def update_meeting_date(
    request: Request,
    short_name: str,
    meeting_id: int,
    session: SessionDep,
    user: AdminUser,
    day: str = Form("", alias="held_on-day"),
    month: str = Form("", alias="held_on-month"),
    year: str = Form("", alias="held_on-year"),
):
    board = _board_or_404(session, short_name)
    meeting = _meeting_of(session, board, meeting_id)
    held_on, typed_error = _date_from_parts(day, month, year, "The new date of the meeting")
    errors = (
        {"held_on": typed_error}
        if typed_error
        else check_move(session=session, board=board, meeting=meeting, held_on=held_on)
    )
    if not errors:
        try:
            move_meeting(session=session, user=user, board=board, meeting=meeting, held_on=held_on)
        except BoardRejected as error:
            errors = error.errors
    if errors:
        values = {"held_on-day": day, "held_on-month": month, "held_on-year": year}
        return _meeting_page(
            request, session, board, meeting_id, errors=errors, values=values, status_code=400
        )
    return _done(board, meeting_id, "moved")


@router.post("/boards/{short_name}/meetings/{meeting_id}/deadline")
def update_meeting_deadline(
    request: Request,
    short_name: str,
    meeting_id: int,
    session: SessionDep,
    user: AdminUser,
    use_default: str = Form(""),
    day: str = Form("", alias="update_deadline-day"),
    month: str = Form("", alias="update_deadline-month"),
    year: str = Form("", alias="update_deadline-year"),
):
    board = _board_or_404(session, short_name)
    meeting = _meeting_of(session, board, meeting_id)
    deadline, typed_error = _date_from_parts(day, month, year, "The update deadline")
    if typed_error:
        errors = {"update_deadline": typed_error}
    elif deadline is None and use_default != "yes":
        errors = {"update_deadline": "Enter the update deadline, or choose to use the default one."}
    else:
        errors = check_deadline(meeting=meeting, deadline=deadline)
    if not errors:
        try:
            set_meeting_deadline(
                session=session, user=user, board=board, meeting=meeting, deadline=deadline
            )
        except BoardRejected as error:
            errors = error.errors
    if errors:
        values = {"update_deadline-day": day, "update_deadline-month": month}
        values["update_deadline-year"] = year
        return _meeting_page(
            request, session, board, meeting_id, errors=errors, values=values, status_code=400
        )
    return _done(board, meeting_id, "deadline")


@router.post("/boards/{short_name}/meetings/{meeting_id}/cancel")
def update_meeting_cancelled(
    request: Request,
    short_name: str,
    meeting_id: int,
    session: SessionDep,
    user: AdminUser,
    reason: str = Form(""),
    confirm: str = Form(""),
):
    board = _board_or_404(session, short_name)
    meeting = _meeting_of(session, board, meeting_id)
    errors = {}
    if confirm != "yes":
        errors = {"confirm": "Confirm that the meeting is cancelled."}
    else:
        try:
            cancel_meeting(session=session, user=user, board=board, meeting=meeting, reason=reason)
        except BoardRejected as error:
            errors = error.errors
    if errors:
        return _meeting_page(
            request,
            session,
            board,
            meeting_id,
            errors=errors,
            values={"reason": reason},
            status_code=400,
        )
    return _done(board, meeting_id, "cancelled")
