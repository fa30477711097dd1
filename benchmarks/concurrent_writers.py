"""A deadline afternoon: many people saving at once, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/concurrent_writers.py

Starts uvicorn (one worker) on loopback over a fresh database with the demo data and measures:
1 writer and 8 writers recording status updates at once (each on an action of their own, 40
updates each), and 16 people signing in at the same moment. Prints, for each: requests, 5xx,
answers mentioning a locked database, acknowledged updates missing afterwards (lost), p50 and
p95, and p95 with 8 writers against p95 with 1. PostgreSQL is measured when
PLANTRACK_TEST_POSTGRES_URL names a server (a database is made for the run and dropped).
"""

import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core.db import make_engine  # noqa: E402
from app.domain.seed import load_seed  # noqa: E402
from benchmarks._concurrency import run_sign_ins, run_writers, running_server  # noqa: E402
from benchmarks._setup import fresh_database, migrate  # noqa: E402

PER_WRITER = 40


@contextmanager
def postgres_database(server_url: str):
    name = f"plantrack_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            load_seed(session)
            session.commit()
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(label: str, url: str) -> list[tuple]:
    rows = []
    with running_server(url) as base:
        one = run_writers(base, url, writers=1, per_writer=PER_WRITER)
        eight = run_writers(base, url, writers=8, per_writer=PER_WRITER)
        crowd = run_sign_ins(base, people=16)
    for name, outcome in (("1 writer", one), ("8 writers", eight), ("16 sign-ins", crowd)):
        rows.append((label, name, outcome))
    ratio = eight.p95 / one.p95 if one.p95 else float("nan")
    rows.append((label, "p95(8) / p95(1)", ratio))
    return rows


def main() -> None:
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    sqlite_url, engine = fresh_database()
    engine.dispose()
    results = measure("SQLite", sqlite_url)
    postgres = os.environ.get("PLANTRACK_TEST_POSTGRES_URL")
    if postgres:
        with postgres_database(postgres) as url:
            results += measure("PostgreSQL", url)
    header = (
        f"{'database':<11}{'load':<17}{'requests':>9}{'5xx':>6}{'locked':>8}{'lost':>6}"
        f"{'p50 ms':>9}{'p95 ms':>9}"
    )
    print(header)
    for label, name, outcome in results:
        if isinstance(outcome, float):
            print(f"{label:<11}{name:<17}{outcome:>58.1f}")
            continue
        print(
            f"{label:<11}{name:<17}{outcome.requests:>9}{outcome.server_errors:>6}"
            f"{outcome.lock_errors:>8}{outcome.lost:>6}{outcome.p50 * 1000:>9.1f}"
            f"{outcome.p95 * 1000:>9.1f}"
        )


if __name__ == "__main__":
    main()
