"""Load on a real server: several writers recording status updates at once, and a crowd signing
in at the same moment. Used by benchmarks/concurrent_writers.py (figures) and by
tests/web/test_concurrent_writes.py (counts: no 5xx, nothing lost). Only loopback is used;
every loop is bounded in requests and time.
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.db import make_engine
from app.core.models import Action, Plan, StatusUpdate

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin@plantrack.example", "demo-admin-password")
# Every demo account: the sign-in crowd uses them in turn.
ACCOUNTS = [
    ADMIN,
    ("prevention.lead@plantrack.example", "demo-prevention-password"),
    ("diversion.lead@plantrack.example", "demo-diversion-password"),
    ("omrr.lead@plantrack.example", "demo-resettlement-password"),
    ("early-intervention.lead@plantrack.example", "demo-early-intervention-password"),
    ("iom.lead@plantrack.example", "demo-iom-lead-password"),
    ("board.member@plantrack.example", "demo-viewer-password"),
]
PLAN = "reduced-offending-2018-21"  # an active plan without approval: updates count at once


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(command: list[str], database_url: str, port: int, **popen) -> Iterator[str]:
    """A server started with ``command`` (listening on ``port``), once its /healthz answers;
    yields its base URL, and stops it afterwards (killed if it will not stop)."""
    server = subprocess.Popen(
        command, cwd=ROOT, env=os.environ | {"PLANTRACK_DATABASE_URL": database_url}, **popen
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"{' '.join(command[1:4])} did not start")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def uvicorn_command(port: int, *options: str) -> list[str]:
    """The command that serves the app with uvicorn on a loopback port."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]


@contextmanager
def running_server(database_url: str, *, workers: int = 1) -> Iterator[str]:
    """uvicorn serving the app on a free loopback port; yields its base URL."""
    port = free_port()
    command = uvicorn_command(port, "--workers", str(workers), "--log-level", "warning")
    with served(command, database_url, port) as base:
        yield base


def signed_in_client(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    if response.status_code != 303 or response.headers["location"].startswith("/sign-in"):
        raise RuntimeError(f"could not sign in as {email}: {response.status_code}")
    client.csrf = csrf_of(client.get("/").text)  # type: ignore[attr-defined]
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@dataclass
class Outcome:
    """What a batch of requests came to."""

    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged requests
    statuses: dict[int, int] = field(default_factory=dict)
    lock_errors: int = 0  # answers that mention a locked database
    acknowledged: int = 0  # updates the server said it recorded
    lost: int = 0  # acknowledged but not in the database afterwards

    def add(self, status: int, seconds: float, body: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(seconds)
        if "locked" in body.lower():
            self.lock_errors += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p95(self) -> float:
        return self.percentile(0.95)


def writer_actions(database_url: str, count: int) -> list[tuple[str, int]]:
    """``count`` actions of the plan (ref, current version), one for each writer."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Action.ref, Action.version)
                .join(Plan, Plan.id == Action.plan_id)
                .where(Plan.slug == PLAN)
                .order_by(Action.position)
                .limit(count)
            ).all()
    finally:
        engine.dispose()
    return list(rows)


def updates_recorded(database_url: str, marker: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return session.exec(
                select(func.count())
                .select_from(StatusUpdate)
                .where(StatusUpdate.commentary.like(f"%{marker}%"))
            ).one()
    finally:
        engine.dispose()


def run_writers(
    base: str, database_url: str, *, writers: int, per_writer: int, seconds: float = 60
) -> Outcome:
    """``writers`` people at once, each recording ``per_writer`` updates on an action of their
    own (so none conflicts with another), as fast as the server answers."""
    marker = f"load-{uuid.uuid4().hex[:12]}"
    actions = writer_actions(database_url, writers)
    clients = [signed_in_client(base, *ADMIN) for _ in range(writers)]
    outcome = Outcome()
    lock = threading.Lock()
    start = threading.Barrier(writers)
    deadline = time.monotonic() + seconds

    def write(client: httpx.Client, ref: str, version: int) -> None:
        start.wait()
        for n in range(per_writer):
            if time.monotonic() > deadline:
                break
            began = time.perf_counter()
            response = client.post(
                f"/plans/{PLAN}/actions/{ref}/updates",
                data={
                    "csrf_token": client.csrf,  # type: ignore[attr-defined]
                    "version": str(version),
                    "stage": "in_progress",
                    "rag": "amber" if n % 2 else "green",
                    "commentary": f"Progress {n} ({marker})",
                    "corrective_action": "",
                    "effective_on": "2021-03-31",
                },
                follow_redirects=False,
            )
            elapsed = time.perf_counter() - began
            with lock:
                outcome.add(response.status_code, elapsed, response.text)
                if response.status_code == 303:
                    outcome.acknowledged += 1
            if response.status_code == 303:
                version += 1

    threads = [
        threading.Thread(target=write, args=(client, ref, version))
        for client, (ref, version) in zip(clients, actions, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    outcome.lost = outcome.acknowledged - updates_recorded(database_url, marker)
    return outcome


def run_sign_ins(base: str, *, people: int) -> Outcome:
    """``people`` sign-ins at the same moment (the demo accounts in turn)."""
    outcome = Outcome()
    lock = threading.Lock()
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(people)]
    tokens = [csrf_of(client.get("/sign-in").text) for client in clients]
    start = threading.Barrier(people)

    def sign_in(index: int) -> None:
        email, password = ACCOUNTS[index % len(ACCOUNTS)]
        start.wait()
        began = time.perf_counter()
        response = clients[index].post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": tokens[index]},
            follow_redirects=False,
        )
        with lock:
            outcome.add(response.status_code, time.perf_counter() - began, response.text)
            if response.status_code == 303:
                outcome.acknowledged += 1

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return outcome
