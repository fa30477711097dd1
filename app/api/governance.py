"""Boards and meetings, indicators and their values, published reports and their files, and the
audit log (the office only), under /api/v1."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from app.api.http import Paging, PagingDep, download, page_response, paging, read_response
from app.api.schemas import (
    AuditList,
    AuditOut,
    BoardDetail,
    BoardList,
    BoardOut,
    FileLink,
    IndicatorDetail,
    IndicatorList,
    IndicatorOut,
    MeetingOut,
    PublishedList,
    PublishedOut,
    ValueOut,
)
from app.core.models import Indicator, Meeting
from app.deps import OfficeDep, PathId, PrincipalDep, QueryDate, SessionDep
from app.domain.access import (
    may_read_board,
    may_read_indicator,
    readable_board_ids,
    readable_indicator_keys,
    readable_plan_ids,
)
from app.domain.audit import read_events
from app.domain.boards import get_board, list_boards, list_published_reports, read_board_page
from app.domain.cycle import update_deadline
from app.domain.indicators import (
    list_latest_indicators,
    read_indicator_values,
    read_indicator_versions,
)
from app.publishing import published_file

router = APIRouter()
Key = Annotated[str, Path(max_length=100)]
ShortName = Annotated[str, Path(max_length=60)]
Text = Annotated[str | None, Query(max_length=200)]


# --- Boards and meetings ---------------------------------------------------------------------


def meeting_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut(
        id=meeting.id,
        held_on=meeting.held_on,
        title=meeting.title,
        update_deadline=update_deadline(meeting),
        cancelled=meeting.cancelled_at is not None,
    )


@router.get("/boards", response_model=BoardList, tags=["boards"])
def read_boards(request: Request, session: SessionDep, principal: PrincipalDep):
    """The boards this principal may read (a person scoped to boards: those boards)."""
    readable = readable_board_ids(session, principal)
    boards = BoardList(
        items=[
            BoardOut(short_name=b.short_name, name=b.name, description=b.description)
            for b in list_boards(session=session, board_ids=readable)
        ]
    )
    return read_response(request, boards)


@router.get("/boards/{short_name}", response_model=BoardDetail, tags=["boards"])
def read_board(
    request: Request, short_name: ShortName, session: SessionDep, principal: PrincipalDep
):
    """A board, its meetings (latest first) and the plans it owns that this principal reads."""
    board = get_board(session=session, short_name=short_name)
    if board is None or not may_read_board(session, principal, board):
        raise HTTPException(404, f"There is no board called '{short_name}'.")
    page = read_board_page(
        session=session, board=board, plan_ids=readable_plan_ids(session, principal)
    )
    detail = BoardDetail(
        short_name=board.short_name,
        name=board.name,
        description=board.description,
        plans=[plan.slug for plan in page.plans],
        meetings=[meeting_out(row.meeting) for row in page.meetings],
    )
    return read_response(request, detail)


# --- Indicators -------------------------------------------------------------------------------


def indicator_out(indicator: Indicator) -> IndicatorOut:
    return IndicatorOut.model_validate(indicator, from_attributes=True)


@router.get("/indicators", response_model=IndicatorList, tags=["indicators"])
def read_indicators(request: Request, session: SessionDep, principal: PrincipalDep):
    """Every indicator's current definition (of those the plans this principal reads show,
    when it may not read every plan)."""
    keys = readable_indicator_keys(session, principal)
    indicators = IndicatorList(
        items=[indicator_out(indicator) for indicator in list_latest_indicators(session, keys)]
    )
    return read_response(request, indicators)


@router.get("/indicators/{key}", response_model=IndicatorDetail, tags=["indicators"])
def read_indicator(
    request: Request,
    key: Key,
    session: SessionDep,
    principal: PrincipalDep,
    as_at: QueryDate = None,
):
    """An indicator: its current definition, every version, and its values (up to as_at)."""
    versions = read_indicator_versions(session, key)
    if not versions or not may_read_indicator(session, principal, key):
        raise HTTPException(404, f"There is no indicator called '{key}'.")
    detail = IndicatorDetail(
        **indicator_out(versions[-1]).model_dump(),
        versions=[indicator_out(version) for version in versions],
        values=[
            ValueOut(
                period_label=value.period_label,
                period_end=value.period_end,
                value=value.value,
                note=value.note,
            )
            for value in read_indicator_values(session, key, as_at=as_at)
        ],
    )
    return read_response(request, detail)


# --- Published reports -----------------------------------------------------------------------


@router.get("/reports", response_model=PublishedList, tags=["reports"])
def read_published_reports(
    request: Request, session: SessionDep, principal: PrincipalDep, page: PagingDep
):
    """Reports published for meetings, latest first, with links to their stored files."""
    entries = list_published_reports(
        session=session,
        plan_ids=readable_plan_ids(session, principal),
        before_id=page.cursor_id,
        limit=page.fetch,
    )
    return page_response(
        request,
        PublishedList,
        entries,
        lambda entry: PublishedOut(
            id=entry.report.id,
            plan=entry.plan.slug,
            kind=entry.report.kind,
            title=entry.report.title,
            as_at=entry.report.as_at,
            published_at=entry.report.published_at,
            meeting=meeting_out(entry.meeting) if entry.meeting else None,
            files=[
                FileLink(format=name, url=f"/api/v1/reports/{entry.report.id}/files/{name}")
                for name in entry.formats
            ],
        ),
        paging=page,
        key=lambda entry: entry.report.id,
    )


@router.get(
    "/reports/{report_id}/files/{format}",
    tags=["reports"],
    response_class=Response,
    responses={200: {"description": "The file exactly as published (PDF, Word, Excel, CSV...)."}},
)
def read_published_file(
    request: Request,
    report_id: PathId,
    format: Annotated[str, Path(max_length=10)],
    session: SessionDep,
    principal: PrincipalDep,
):
    entries = list_published_reports(
        session=session,
        plan_ids=readable_plan_ids(session, principal),
        before_id=report_id + 1,
        limit=1,
    )
    if not entries or entries[0].report.id != report_id:
        raise HTTPException(404, "There is no such published report.")
    stored = published_file(session, report_id=report_id, format=format)
    if stored is None:
        raise HTTPException(404, f"This report was not published as '{format}'.")
    entry = entries[0]
    name = f"{entry.plan.slug}-{entry.report.kind}-{entry.report.as_at.isoformat()}.{format}"
    etag = f'"{stored.sha256[:32]}"'
    return download(request, stored.content, stored.media_type, name, etag=etag)


# --- The audit log ------------------------------------------------------------------------------


@router.get("/audit", response_model=AuditList, tags=["audit"])
def read_audit(
    request: Request,
    session: SessionDep,
    principal: OfficeDep,
    page: Annotated[Paging, Depends(paging(100))],
    actor: Text = None,
    verb: Text = None,
    entity_type: Text = None,
    since: QueryDate = None,
    until: QueryDate = None,
):
    """The audit log, newest first (the office only, with a token not restricted to plans):
    filtered as the audit page filters."""
    if readable_plan_ids(session, principal) is not None:
        raise HTTPException(
            403, "The audit log spans every plan: a token restricted to plans cannot read it."
        )
    events = read_events(
        session,
        actor=actor,
        verb=verb or None,
        entity_type=entity_type or None,
        since=since,
        until=until,
        limit=page.fetch,
        before_id=page.cursor_id,
    )
    return page_response(
        request,
        AuditList,
        events,
        lambda event: AuditOut(
            id=event.id,
            occurred_at=event.occurred_at,
            actor=event.actor,
            verb=event.verb,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            summary=event.summary,
            before=json.loads(event.before_json) if event.before_json else None,
            after=json.loads(event.after_json) if event.after_json else None,
        ),
        paging=page,
        key=lambda event: event.id,
    )
