"""Reports published for a meeting: frozen snapshots, their files, and what changed between two.

Publishing stores the report model as JSON and the files rendered from it at that moment; the
database refuses any later change to either (see the migration that creates published_file),
so a published report is served exactly as it went to the meeting, whatever changes after.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.models import Meeting, Plan, PublishedFile, PublishedReport, Stage, User
from app.domain.audit import record_event
from app.domain.rag import RAG_LABELS, STAGE_LABELS
from app.reports.appendix import AppendixReport
from app.reports.formats import FORMATS
from app.reports.highlight import HighlightReport
from app.reports.highlight_formats import HIGHLIGHT_FORMATS

logger = logging.getLogger("plantrack")

MODELS: dict[str, type[BaseModel]] = {"appendix": AppendixReport, "highlight": HighlightReport}


class PublishError(Exception):
    pass


def stored_formats(kind: str) -> dict:
    """The files stored with each kind of report, as {format: Format}."""
    if kind == "appendix":
        return {name: FORMATS[name] for name in ("pdf", "docx", "xlsx", "csv", "json")}
    return {name: HIGHLIGHT_FORMATS[name] for name in ("pdf", "docx", "json")}


def refuse_second_publication(
    session: Session, *, plan: Plan, meeting: Meeting | None, kind: str
) -> None:
    """PublishError if a report of this kind has been published for the meeting already."""
    existing = session.exec(
        select(PublishedReport).where(
            PublishedReport.plan_id == plan.id,
            PublishedReport.meeting_id == (meeting.id if meeting else None),
            PublishedReport.kind == kind,
        )
    ).first()
    if existing is not None:
        raise PublishError(
            f"A {kind} report of this plan has already been published for this meeting "
            f"(on {existing.published_at.date().isoformat()}); "
            "published reports cannot be replaced."
        )


PublishedFiles = dict[str, tuple[str, bytes]]  # format: (media type, content)


def render_published_files(report: BaseModel) -> PublishedFiles:
    """The files a publication stores, rendered from its model. Slow for a large plan (its PDF
    takes seconds), and touching no database: a caller renders them before it begins the
    publication's write transaction, so nobody saving meanwhile waits for the render."""
    return {
        name: (output.media_type, output.render(report))
        for name, output in stored_formats(report.kind).items()
    }


def publish_report(
    session: Session,
    *,
    plan: Plan,
    meeting: Meeting | None,
    report: BaseModel,
    user: User | None,
    files: PublishedFiles | None = None,
) -> PublishedReport:
    """Freeze a report for a meeting, with its ``files`` (rendered here when not given);
    refuses a second report of the same kind for it."""
    kind = report.kind
    refuse_second_publication(session, plan=plan, meeting=meeting, kind=kind)
    if files is None:
        files = render_published_files(report)
    published = PublishedReport(
        plan_id=plan.id,
        meeting_id=meeting.id if meeting else None,
        kind=kind,
        title=report.title,
        as_at=report.as_at,
        published_at=datetime.now(UTC),
        published_by_id=user.id if user else None,
        model_json=report.model_dump_json(),
    )
    # A savepoint: a concurrent duplicate undoes this insert alone, and the caller (the request
    # edge) still decides the fate of its transaction.
    try:
        with session.begin_nested():
            session.add(published)
            session.flush()
    except IntegrityError:
        raise PublishError(
            "Someone else published this report for the meeting a moment ago."
        ) from None
    for name, (media_type, content) in files.items():
        session.add(
            PublishedFile(
                report_id=published.id,
                format=name,
                media_type=media_type,
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
    session.flush()
    record_event(
        session,
        user=user,
        verb="publish_report",
        entity_type="published_report",
        entity_id=published.id,
        summary=f"Published the {kind} report of {plan.short_title} "
        f"as at {report.as_at.isoformat()}"
        + (f" for {meeting.title} on {meeting.held_on.isoformat()}" if meeting else ""),
        after={"kind": kind, "as_at": report.as_at, "files": sorted(files)},
    )
    return published


def load_model(published: PublishedReport) -> BaseModel:
    return MODELS[published.kind].model_validate_json(published.model_json)


class TamperedFile(Exception):
    """A stored file no longer matches the checksum recorded when it was published."""


def published_file(session: Session, *, report_id: int, format: str) -> PublishedFile | None:
    """A published file, only ever as it was sent: its content is checked against the sha256
    recorded at publication, and TamperedFile raised (and logged) if they differ."""
    stored = session.exec(
        select(PublishedFile).where(
            PublishedFile.report_id == report_id, PublishedFile.format == format
        )
    ).first()
    if stored is not None and hashlib.sha256(stored.content).hexdigest() != stored.sha256:
        logger.error(
            "Published report %s: the stored %s file does not match its sha256 %s; not served",
            report_id,
            format,
            stored.sha256,
        )
        raise TamperedFile(
            f"The {format.upper()} file of this published report does not match the checksum "
            "recorded when it was published, so it has not been served. The office has been "
            "told through the server's log; the report's page and its other files are unaffected."
        )
    return stored


def file_formats(session: Session, *, report_id: int) -> list[str]:
    return list(
        session.exec(
            select(PublishedFile.format)
            .where(PublishedFile.report_id == report_id)
            .order_by(PublishedFile.format)
        )
    )


def previous_published(session: Session, *, report: PublishedReport) -> PublishedReport | None:
    return session.exec(
        select(PublishedReport)
        .where(
            PublishedReport.plan_id == report.plan_id,
            PublishedReport.kind == report.kind,
            PublishedReport.as_at < report.as_at,
        )
        .order_by(PublishedReport.as_at.desc(), PublishedReport.id.desc())
        .limit(1)
    ).first()


@dataclass
class Change:
    ref: str
    title: str
    before: str
    after: str


@dataclass
class Comparison:
    new_completions: list[Change]
    rag_changes: list[Change]
    new_overdue: list[Change]
    new_actions: list[Change]

    @property
    def empty(self) -> bool:
        return not (
            self.new_completions or self.rag_changes or self.new_overdue or self.new_actions
        )


def _rows(model: BaseModel) -> dict[str, dict]:
    """Stage, RAG and overdue of each action, from either kind of report."""
    if isinstance(model, AppendixReport):
        rows = model.all_actions
    else:
        rows = model.actions
    return {
        row.ref: {"title": row.title, "stage": row.stage, "rag": row.rag, "overdue": row.overdue}
        for row in rows
    }


def _label(stage: str, rag: str | None) -> str:
    text = STAGE_LABELS[Stage(stage)]
    return f"{text}, {RAG_LABELS[rag]}" if rag else text


def compare_reports(previous: BaseModel, current: BaseModel) -> Comparison:
    before, after = _rows(previous), _rows(current)
    comparison = Comparison([], [], [], [])
    for ref, now in after.items():
        old = before.get(ref)
        if old is None:
            comparison.new_actions.append(
                Change(ref, now["title"], "", _label(now["stage"], now["rag"]))
            )
            continue
        if now["stage"] == "complete" and old["stage"] != "complete":
            comparison.new_completions.append(
                Change(ref, now["title"], _label(old["stage"], old["rag"]), "Complete")
            )
        if old["rag"] != now["rag"] and old["rag"] and now["rag"]:
            comparison.rag_changes.append(
                Change(
                    ref,
                    now["title"],
                    _label(old["stage"], old["rag"]),
                    _label(now["stage"], now["rag"]),
                )
            )
        if now["overdue"] and not old["overdue"]:
            comparison.new_overdue.append(
                Change(
                    ref,
                    now["title"],
                    _label(old["stage"], old["rag"]),
                    _label(now["stage"], now["rag"]),
                )
            )
    return comparison
