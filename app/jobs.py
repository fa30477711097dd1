"""Report files off the request: PDF and Word files made by a worker, kept as a cache.

Rendering a PDF takes from a second (the demo) to half a minute (a 1,000-action plan); done in
the web request it held a server thread and the person's browser for all of it. Here a request
for a PDF or Word file finds the file or asks for it: ``file_job`` looks up the job for the file
*as the data stands* (its key holds the plan's data version, app/core/data_version.py), and
queues one when there is none. A worker (``plantrack worker``, or the one ``plantrack serve``
starts) takes queued jobs one at a time (``run_one``), renders them with the same builders and
renderers as before (the same bytes), and stores the file in the job's row. A done row *is* the
cached file: the next person asking for that file, until the data changes, gets it at once.

One table, both databases. The issue preferred Procrastinate on PostgreSQL. It cannot run on
SQLite, the default, so SQLite would still need a queue of its own: two queues to build, test
and reason about, for one kind of job. What Procrastinate would add (retries, locks, a worker
loop) is small here, and the file cache needs a table anyway, keyed by what the file shows, so
the queue *is* that table:

* Enqueueing is idempotent: the key is unique, so two people asking at once make one job
  (an insert that does nothing on a conflict).
* A worker claims the oldest queued job with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
  PostgreSQL (workers on many hosts never take the same job or wait on each other) and under
  SQLite's write lock (BEGIN IMMEDIATE, app/core/db.py) on SQLite, where one writer at a time
  is the rule anyway.
* A claimed job carries a lease (``leased_until``), renewed by a heartbeat thread while the
  file renders. A worker that is killed stops renewing it; once it lapses another worker takes
  the job again. Each claim counts an attempt; after ``MAX_ATTEMPTS`` (a render that raises, or
  a worker that keeps dying) the job fails with a readable message, shown where the file would
  be, with a button to try again. A worker finishes only while its attempt still holds the job
  (the attempt number fences it), so a worker that lost its lease cannot overwrite a newer one.
* A file is rendered from one consistent read (a snapshot: REPEATABLE READ on PostgreSQL, a
  read transaction on SQLite) in which the data version is checked again: a job whose data
  changed before it ran is dropped (whoever still wants the file asks for the new version).
  When a file is done, the plan's files of other data versions, which nobody can be served
  again, are deleted.

The table is not exported by backups (app/domain/backup.py): every file can be made again.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.data_version import data_version
from app.core.db import own_transaction, writing
from app.core.models import JobState, Meeting, Plan, ReportJob
from app.domain.access import board_plan_ids
from app.domain.as_at import comparison
from app.domain.cycle import cycle_for_meeting, next_meeting
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS, file_name
from app.reports.highlight import build_highlight
from app.reports.highlight_formats import HIGHLIGHT_FORMATS

logger = logging.getLogger("plantrack")

MAX_ATTEMPTS = 3
JOB_FORMATS = ("pdf", "docx")  # the formats made by a worker; the others are cheap, made at once
FORMAT_LABELS = {"pdf": "PDF", "docx": "Word file"}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReportFile:
    """A file someone may ask for: everything that decides its content but the data version."""

    plan_id: int
    kind: str  # appendix | highlight
    format: str  # pdf | docx
    as_at: date
    since: date | None = None  # the appendix's "changes since", resolved
    meeting_id: int | None = None  # the highlight report's meeting

    def key(self, version: str) -> str:
        since = self.since.isoformat() if self.since else "-"
        meeting = self.meeting_id if self.meeting_id is not None else "-"
        return (
            f"{self.plan_id}/{self.kind}.{self.format}/as_at={self.as_at.isoformat()}"
            f"/since={since}/meeting={meeting}/v={version}"
        )


def appendix_file(
    session: Session, plan: Plan, format: str, *, as_at: date, since: date | None
) -> ReportFile:
    """The appendix file for the dates (already checked); "since" resolved by the one rule, so
    a link that names the default date and one that leaves it out share a file."""
    resolved = comparison(session, plan, as_at, since).since
    return ReportFile(plan.id, "appendix", format, as_at, since=resolved)


def highlight_file(
    plan: Plan, format: str, *, meeting: Meeting | None, as_at: date | None
) -> ReportFile:
    """The highlight report file for a meeting: as at ``as_at``, else the meeting's date (as
    build_highlight has it)."""
    as_at = as_at or (meeting.held_on if meeting else date.today())
    return ReportFile(
        plan.id, "highlight", format, as_at, meeting_id=meeting.id if meeting else None
    )


# --- Asking for a file ------------------------------------------------------------------------


def _find(session: Session, key: str, *, with_content: bool) -> ReportJob | None:
    query = select(ReportJob).where(ReportJob.key == key)
    if not with_content:
        query = query.options(defer(ReportJob.content))
    return session.exec(query).first()


def file_job(session: Session, wanted: ReportFile, *, with_content: bool = False) -> ReportJob:
    """The job for the file as the data stands now: done (the file), queued, running or failed.
    Queues one when there is none; two asking at once get the same one. A read when the job
    exists; otherwise a short write transaction of its own, beside the request's."""
    key = wanted.key(data_version(session, wanted.plan_id))
    found = _find(session, key, with_content=with_content)
    if found is not None:
        return found
    with own_transaction(session) as own:
        connection = own.connection()
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(
            insert(ReportJob.__table__)
            .values(
                key=key,
                plan_id=wanted.plan_id,
                kind=wanted.kind,
                format=wanted.format,
                as_at=wanted.as_at,
                since=wanted.since,
                meeting_id=wanted.meeting_id,
                data_version=key.rsplit("/v=", 1)[1],
                state=JobState.queued.value,
                attempts=0,
                created_at=_now(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        # Read in this transaction: the request's own may not see what was just committed.
        found = _find(own, key, with_content=with_content)
    return found


def retry_job(session: Session, wanted: ReportFile) -> None:
    """Queue a failed file again, its attempts counted afresh; any other job is left as it is.
    (Ask file_job in a new transaction for the state: the caller's may predate this one.)"""
    key = wanted.key(data_version(session, wanted.plan_id))
    with own_transaction(session) as own:
        own.connection().execute(
            update(ReportJob)
            .where(ReportJob.key == key, ReportJob.state == JobState.failed.value)
            .values(state=JobState.queued.value, attempts=0, error=None, finished_at=None)
        )


# --- The worker -------------------------------------------------------------------------------


def _session(bind: Engine | Connection) -> Session:
    """A session of the worker's own. On a connection (a test's, in its transaction) its
    commits are savepoints of that transaction."""
    return Session(bind, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _lease() -> timedelta:
    return timedelta(seconds=get_settings().job_lease_seconds)


def _claim(bind: Engine | Connection) -> tuple[int, int] | None | bool:
    """Take the oldest job that is queued, or running under a lease that has lapsed: (its id,
    this attempt's number). None when there is nothing to do; False when a job was failed for
    having had all its attempts (look again)."""
    with _session(bind) as session, writing(session):
        now = _now()
        job = session.exec(
            select(ReportJob)
            .options(defer(ReportJob.content))
            .where(
                or_(
                    ReportJob.state == JobState.queued.value,
                    and_(ReportJob.state == JobState.running.value, ReportJob.leased_until < now),
                )
            )
            .order_by(ReportJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            session.rollback()
            return None
        if job.state == JobState.running and job.attempts >= MAX_ATTEMPTS:
            job.state = JobState.failed.value
            job.error = (
                f"The worker making this file stopped before it finished, {job.attempts} "
                "times: it may be too large to make, or the workers are being stopped."
            )
            job.leased_until = None
            job.finished_at = now
            session.commit()
            logger.warning("report job %s failed: %s", job.id, job.error)
            return False
        job.state = JobState.running.value
        job.attempts += 1
        job.leased_until = now + _lease()
        claimed = (job.id, job.attempts)
        session.commit()
    return claimed


def _mine(job_id: int, attempt: int):
    """The job still held by this attempt (the fence against a worker that lost its lease)."""
    return and_(
        ReportJob.id == job_id,
        ReportJob.attempts == attempt,
        ReportJob.state == JobState.running.value,
    )


def _write(bind: Engine | Connection, statement) -> int:
    with _session(bind) as session, writing(session):
        count = session.connection().execute(statement).rowcount
        session.commit()
    return count


@contextmanager
def _heartbeat(bind: Engine | Connection, job_id: int, attempt: int) -> Iterator[None]:
    """Renew the lease every third of it while the block runs. Not on a caller's connection
    (a test's transaction): no other worker can see that job, and a connection is one thread's."""
    if not isinstance(bind, Engine):
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        interval = _lease().total_seconds() / 3
        while not stop.wait(interval):
            try:
                renewed = _write(
                    bind,
                    update(ReportJob)
                    .where(_mine(job_id, attempt))
                    .values(leased_until=_now() + _lease()),
                )
            except Exception:  # the next beat tries again; the lease has time to spare
                logger.exception("could not renew the lease of report job %s", job_id)
                continue
            if not renewed:
                return

    thread = threading.Thread(target=beat, name=f"report-job-{job_id}-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass
class Rendered:
    content: bytes
    media_type: str
    file_name: str


def _render(bind: Engine | Connection, job_id: int) -> Rendered | None:
    """The job's file, from one consistent read of the data; None when the data has changed
    since it was queued (the job is stale)."""
    with _session(bind) as session:
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        job = session.exec(
            select(ReportJob).options(defer(ReportJob.content)).where(ReportJob.id == job_id)
        ).one()
        if data_version(session, job.plan_id) != job.data_version:
            return None
        plan = session.get(Plan, job.plan_id)
        if job.kind == "appendix":
            # One file serves every reader of the plan, so, like a published appendix, it
            # names only plans of the plan's own board (app.domain.access.board_plan_ids).
            report = build_appendix(
                session,
                plan,
                job.as_at,
                since=job.since,
                plan_ids=board_plan_ids(session, plan),
            )
            output, name = FORMATS[job.format], file_name(report, job.format)
        else:
            meeting = session.get(Meeting, job.meeting_id) if job.meeting_id else None
            report = build_highlight(session, plan, meeting, as_at=job.as_at)
            output = HIGHLIGHT_FORMATS[job.format]
            name = f"{plan.slug}-highlight-{report.as_at.isoformat()}.{job.format}"
        session.rollback()  # the snapshot is let go before the slow part
    return Rendered(output.render(report), output.media_type, name)


def _finish(bind: Engine | Connection, job_id: int, attempt: int, rendered: Rendered) -> None:
    with _session(bind) as session, writing(session):
        connection = session.connection()
        done = connection.execute(
            update(ReportJob)
            .where(_mine(job_id, attempt))
            .values(
                state=JobState.done.value,
                content=rendered.content,
                media_type=rendered.media_type,
                file_name=rendered.file_name,
                leased_until=None,
                error=None,
                finished_at=_now(),
            )
        ).rowcount
        if done:
            plan_id = session.exec(select(ReportJob.plan_id).where(ReportJob.id == job_id)).one()
            # Files of any other version of the plan's data can never be served again.
            connection.execute(
                delete(ReportJob).where(
                    ReportJob.plan_id == plan_id,
                    ReportJob.data_version != data_version(session, plan_id),
                    ReportJob.state.in_([JobState.done.value, JobState.failed.value]),
                )
            )
        session.commit()


def _failed(bind: Engine | Connection, job_id: int, attempt: int, error: Exception) -> None:
    reason = f"{type(error).__name__}: {error}"[:500]
    last = attempt >= MAX_ATTEMPTS
    message = (
        f"Making this file failed {attempt} times; the last error was {reason}"
        if last
        else f"Attempt {attempt} failed ({reason}); it will be tried again."
    )
    _write(
        bind,
        update(ReportJob)
        .where(_mine(job_id, attempt))
        .values(
            state=(JobState.failed if last else JobState.queued).value,
            leased_until=None,
            error=message,
            finished_at=_now() if last else None,
        ),
    )


def run_one(bind: Engine | Connection) -> bool:
    """Take one job and make its file (or fail it, or drop it as stale). False when there was
    nothing to do. What `plantrack worker` runs in a loop; tests run it in-process."""
    claimed = _claim(bind)
    while claimed is False:
        claimed = _claim(bind)
    if claimed is None:
        return False
    job_id, attempt = claimed
    logger.info("report job %s: attempt %s", job_id, attempt)
    with _heartbeat(bind, job_id, attempt):
        try:
            rendered = _render(bind, job_id)
        except Exception as error:
            logger.exception("report job %s failed on attempt %s", job_id, attempt)
            _failed(bind, job_id, attempt, error)
            return True
    if rendered is None:
        _write(bind, delete(ReportJob).where(_mine(job_id, attempt)))
        logger.info("report job %s dropped: its data has changed since it was queued", job_id)
        return True
    _finish(bind, job_id, attempt, rendered)
    logger.info("report job %s done (%s bytes)", job_id, len(rendered.content))
    return True


def work(engine: Engine, *, stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Run jobs until ``stop`` is set, looking for new ones every ``poll_seconds`` when idle. A
    job in hand is finished first. A database that cannot be reached is tried again."""
    poll = get_settings().worker_poll_seconds if poll_seconds is None else poll_seconds
    while not stop.is_set():
        try:
            busy = run_one(engine)
        except Exception:
            logger.exception("the report worker could not take a job; trying again")
            busy = False
        if not busy:
            stop.wait(poll)


# --- Prepared ahead ---------------------------------------------------------------------------


@dataclass
class Prepared:
    meeting: Meeting
    deadline: date
    jobs: list[ReportJob]


def meeting_files(session: Session, plan: Plan, meeting: Meeting, deadline: date):
    """The files a meeting's papers need: its highlight report, and the appendix as at the
    update deadline, each as PDF and Word."""
    for format in JOB_FORMATS:
        yield highlight_file(plan, format, meeting=meeting, as_at=None)
        yield appendix_file(session, plan, format, as_at=deadline, since=None)


def prepare_meeting_files(session: Session, *, plan: Plan, today: date) -> Prepared | None:
    """Once the update deadline of the plan's board's next meeting has passed (the meeting
    still ahead), queue that meeting's files, so they are ready before anyone asks. None before
    the deadline, or with no meeting ahead. Idempotent: files already made for the data as it
    stands are left alone; after a late update, the new version's files are queued."""
    meeting = next_meeting(session, board_id=plan.board_id, today=today) if plan.board_id else None
    if meeting is None:
        return None
    cycle = cycle_for_meeting(session, meeting=meeting)
    if not cycle.can_escalate(today):
        return None
    wanted = meeting_files(session, plan, meeting, cycle.deadline)
    jobs = [file_job(session, each) for each in wanted]
    return Prepared(meeting=meeting, deadline=cycle.deadline, jobs=jobs)
