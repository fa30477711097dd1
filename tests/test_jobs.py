"""Report files off the request (app/jobs.py): one job per file and data version, made by the
worker's code, served at once when made, made again after a write, failed with a message that
can be tried again, taken again when its worker is killed, and queued ahead of a meeting."""

import io
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from docx import Document
from pypdf import PdfReader
from sqlalchemy import func
from sqlmodel import Session, select

from app.cli.worker import WORKER_NICENESS
from app.core.models import Action, JobState, Meeting, ReportJob
from app.domain.cycle import update_deadline
from app.domain.progress import get_plan
from app.jobs import MAX_ATTEMPTS, appendix_file, file_job, prepare_meeting_files
from app.reports.formats import FORMATS, Format
from tests.factories import make_update
from tests.report_files import download, run_jobs

SMALL = "reducing-reoffending-2022-25"  # 14 actions
APPENDIX = f"/plans/{SMALL}/reports/appendix"
AS_AT = {"as_at": "2023-03-31"}


def jobs_of(session: Session, slug: str) -> list[ReportJob]:
    plan = get_plan(session=session, slug=slug)
    return list(session.exec(select(ReportJob).where(ReportJob.plan_id == plan.id)))


def test_two_people_asking_at_once_make_one_job(session):
    plan = get_plan(session=session, slug=SMALL)
    wanted = appendix_file(session, plan, "pdf", as_at=date(2023, 3, 31), since=None)
    first, second = file_job(session, wanted), file_job(session, wanted)
    assert first.id == second.id and first.state == JobState.queued
    # A link naming the default "since" asks for the same file as one that leaves it out.
    named = appendix_file(session, plan, "pdf", as_at=date(2023, 3, 31), since=wanted.since)
    assert file_job(session, named).id == first.id
    assert len(jobs_of(session, SMALL)) == 1


def test_the_pdf_is_prepared_then_the_link_serves_it_at_once(client, session):
    waiting = client.get(f"{APPENDIX}.pdf", params=AS_AT)
    assert waiting.status_code == 202
    assert "Preparing PDF…" in waiting.text
    assert 'role="status"' in waiting.text and 'aria-live="polite"' in waiting.text
    status_url = f"{APPENDIX}.pdf/status?as_at=2023-03-31"
    assert f'hx-get="{status_url}"' in waiting.text.replace("&amp;", "&")
    assert "Check again" in waiting.text
    assert "Preparing PDF…" in client.get(status_url).text

    assert run_jobs(session) == 1
    ready = client.get(status_url).text
    assert "Download the PDF (" in ready and "hx-get" not in ready
    response = client.get(f"{APPENDIX}.pdf", params=AS_AT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Progress Tracking" in text and "31 March 2023" in text
    assert run_jobs(session) == 0  # the second person gets the same file, made once
    assert client.get(f"{APPENDIX}.pdf", params=AS_AT).content == response.content


def test_the_highlight_reports_word_file_is_made_by_the_worker(client, session):
    response = download(client, f"/plans/{SMALL}/reports/highlight.docx", session, params=AS_AT)
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('-highlight-2023-03-31.docx"')
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text.startswith("Highlight report")
    assert [j.state for j in jobs_of(session, SMALL)] == [JobState.done]


def test_a_new_update_makes_the_next_request_prepare_a_new_file(client, session):
    before = download(client, f"{APPENDIX}.docx", session, params=AS_AT)
    assert before.status_code == 200
    plan = get_plan(session=session, slug=SMALL)
    action = session.exec(select(Action).where(Action.plan_id == plan.id)).first()
    make_update(session, action, effective_on=date(2023, 3, 1), commentary="Zebra crossings")
    session.commit()

    assert client.get(f"{APPENDIX}.docx", params=AS_AT).status_code == 202
    after = download(client, f"{APPENDIX}.docx", session, params=AS_AT)
    assert after.status_code == 200 and after.content != before.content
    text = "\n".join(
        cell.text for table in Document(io.BytesIO(after.content)).tables for cell in table._cells
    )
    assert "Zebra crossings" in text
    # The file of the old data is gone: it could never be served again.
    assert [j.state for j in jobs_of(session, SMALL)] == [JobState.done]


def test_a_failing_file_says_so_and_can_be_tried_again(admin, session, monkeypatch):
    def broken(report):
        raise ValueError("the fonts are missing")

    monkeypatch.setitem(FORMATS, "pdf", Format("application/pdf", broken, False))
    assert admin.get(f"{APPENDIX}.pdf", params=AS_AT).status_code == 202
    assert run_jobs(session) == MAX_ATTEMPTS  # tried again, then given up
    status = admin.get(f"{APPENDIX}.pdf/status", params=AS_AT).text
    assert "The PDF could not be made." in status
    assert "failed 3 times; the last error was ValueError: the fonts are missing" in status
    assert "Try again" in status and "hx-get" not in status
    page = admin.get(f"{APPENDIX}.pdf", params=AS_AT)
    assert page.status_code == 202 and "Try again" in page.text

    monkeypatch.undo()
    retried = admin.post(
        f"{APPENDIX}.pdf?as_at=2023-03-31",
        data={"csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == f"{APPENDIX}.pdf?as_at=2023-03-31"
    assert "Preparing PDF…" in admin.get(retried.headers["location"]).text
    response = download(admin, f"{APPENDIX}.pdf", session, params=AS_AT)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert [(j.state, j.attempts) for j in jobs_of(session, SMALL)] == [(JobState.done, 1)]


def test_the_meetings_files_are_queued_once_its_update_deadline_passes(admin, session):
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    meetings = session.exec(
        select(Meeting)
        .where(Meeting.board_id == plan.board_id, Meeting.cancelled_at.is_(None))
        .order_by(Meeting.held_on)
    ).all()
    meeting = meetings[2]
    deadline = update_deadline(meeting)

    assert prepare_meeting_files(session, plan=plan, today=deadline) is None
    assert jobs_of(session, plan.slug) == []

    prepared = prepare_meeting_files(session, plan=plan, today=deadline + timedelta(days=1))
    assert prepared.meeting.id == meeting.id
    assert sorted((j.kind, j.format) for j in prepared.jobs) == [
        ("appendix", "docx"),
        ("appendix", "pdf"),
        ("highlight", "docx"),
        ("highlight", "pdf"),
    ]
    again = prepare_meeting_files(session, plan=plan, today=deadline + timedelta(days=2))
    assert {j.id for j in again.jobs} == {j.id for j in prepared.jobs}
    # The highlight report's link for that meeting asks for the very file queued.
    link = f"/plans/{plan.slug}/reports/highlight.pdf?meeting={meeting.id}&as_at={meeting.held_on}"
    assert admin.get(link).status_code == 202
    assert len(jobs_of(session, plan.slug)) == 4


# --- A real worker, killed ---------------------------------------------------------------------


def wait_for(condition, seconds: float = 180):
    """Poll ``condition`` until it holds (returning its value), for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still not so after {seconds} s")


def job_state(engine, job_id: int) -> tuple[str, int]:
    with Session(engine) as session:
        job = session.get(ReportJob, job_id)
        return job.state, job.attempts


def start_worker(url: str, log) -> subprocess.Popen:
    environment = os.environ | {
        "PLANTRACK_DATABASE_URL": url,
        "PLANTRACK_JOB_LEASE_SECONDS": "2",
        "PLANTRACK_WORKER_POLL_SECONDS": "0.1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"], env=environment, stdout=log, stderr=log
    )


def test_two_asking_at_the_same_moment_on_their_own_connections_make_one_job(own_database):
    _, engine = own_database
    barrier = threading.Barrier(2)

    def ask() -> int:
        with Session(engine) as session:
            plan = get_plan(session=session, slug=SMALL)
            wanted = appendix_file(session, plan, "pdf", as_at=date(2022, 9, 30), since=None)
            barrier.wait(timeout=30)
            return file_job(session, wanted).id

    with ThreadPoolExecutor(2) as pool:
        ids = [future.result(timeout=60) for future in [pool.submit(ask), pool.submit(ask)]]
    assert ids[0] == ids[1]
    with Session(engine) as session:
        rows = session.exec(select(ReportJob).where(ReportJob.as_at == date(2022, 9, 30))).all()
        assert [job.id for job in rows] == ids[:1]
        session.delete(rows[0])  # the module's database is shared by the worker tests below
        session.commit()


def test_a_killed_workers_job_is_taken_again_by_another(own_database, tmp_path):
    url, engine = own_database
    with Session(engine) as session:
        plan = get_plan(session=session, slug="reducing-offending-2015-18")  # 53 actions
        wanted = appendix_file(session, plan, "pdf", as_at=date(2018, 3, 31), since=None)
        job_id = file_job(session, wanted).id

    with open(tmp_path / "worker.log", "w") as log:
        first = start_worker(url, log)
        try:
            # The PDF takes a worker seconds (more in a fresh process): killed in the middle.
            wait_for(lambda: job_state(engine, job_id) == ("running", 1))
            # Background work yields the processor to the web workers.
            ours = os.getpriority(os.PRIO_PROCESS, 0)
            expected = min(19, ours + WORKER_NICENESS)
            assert os.getpriority(os.PRIO_PROCESS, first.pid) == expected
        finally:
            first.kill()
            first.wait()
        assert job_state(engine, job_id) == ("running", 1)

        second = start_worker(url, log)
        try:
            state = wait_for(lambda: (s := job_state(engine, job_id))[0] != "running" and s)
        finally:
            second.terminate()  # SIGTERM: it stops cleanly
            assert second.wait(timeout=120) == 0
    assert state == ("done", 2), (tmp_path / "worker.log").read_text()
    with Session(engine) as session:
        content = session.get(ReportJob, job_id).content
        assert session.exec(select(func.count()).select_from(ReportJob)).one() == 1
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Reducing" in text


def test_serve_runs_a_worker_of_its_own_and_stops_it(own_database, tmp_path):
    url, engine = own_database
    with Session(engine) as session:
        plan = get_plan(session=session, slug=SMALL)
        wanted = appendix_file(session, plan, "docx", as_at=date(2023, 3, 31), since=None)
        job_id = file_job(session, wanted).id
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(tmp_path / "serve.log", "w") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=os.environ | {"PLANTRACK_DATABASE_URL": url},
            stdout=log,
            stderr=log,
        )
        try:
            children = Path(f"/proc/{serve.pid}/task/{serve.pid}/children")
            worker = int(wait_for(lambda: children.read_text().split())[0])
            state = wait_for(lambda: (s := job_state(engine, job_id))[0] == "done" and s)
        finally:
            serve.terminate()
            assert serve.wait(timeout=120) == 0, (tmp_path / "serve.log").read_text()
    assert state == ("done", 1)
    assert not os.path.exists(f"/proc/{worker}")  # stopped with the server
