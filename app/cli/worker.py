"""plantrack worker: the report files (PDF and Word), made off the request (app/jobs.py)."""

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer

from app.core.config import get_settings
from app.core.db import get_engine
from app.jobs import work

# How much lower a worker's priority is than the web workers' (os.nice).
WORKER_NICENESS = 10


def worker(
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll",
            help="Seconds between looks for new jobs when idle (default "
            "PLANTRACK_WORKER_POLL_SECONDS, 0.5).",
        ),
    ] = None,
) -> None:
    """Make report files (PDF and Word) as they are asked for, until stopped (SIGTERM or
    Ctrl-C: the file in hand is finished first). Run as many as you like, on any host that
    reaches the database; a job whose worker dies is taken again when its lease lapses."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()

    def stopping(signum, _frame) -> None:
        logging.getLogger("plantrack").info("worker: %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    # Background work yields the processor to people waiting on pages: on a server shared
    # with the web workers, a long PDF must not slow everyone else's requests.
    os.nice(WORKER_NICENESS)
    typer.echo("Worker started: making report files until stopped.", err=True)
    work(get_engine(), stop=stop, poll_seconds=poll)
    typer.echo("Worker stopped.", err=True)


def _stop_with_parent() -> None:
    """In the worker's process, before it starts: on Linux, SIGTERM it when its parent (the
    server) dies, however that happens (a server killed outright cannot stop it itself)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (AttributeError, OSError):  # not Linux: serve's finally still stops it
        pass


PR_SET_PDEATHSIG = 1


def start_worker() -> subprocess.Popen | None:
    """`plantrack serve`'s own worker: a `plantrack worker` process beside the server."""
    if not get_settings().serve_worker:
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"], preexec_fn=_stop_with_parent
    )


def exit_on_sigterm() -> None:
    """SIGTERM ends the server by an exception, so what follows (stopping the worker) runs:
    uvicorn stops gracefully, then raises the signal again to the handler it found."""

    def leave(_signum, _frame) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)


def stop_worker(process: subprocess.Popen | None, *, wait_seconds: float = 60) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # it finishes the file in hand
    try:
        process.wait(timeout=wait_seconds)
    except subprocess.TimeoutExpired:
        process.kill()  # its job is taken again when the lease lapses
        process.wait()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
