"""The appendix page served over HTTP, against a static file from the same server.

    .venv/bin/python benchmarks/report_page_http.py

Starts uvicorn on a free local port over a fresh SQLite database with the demo data, signs in,
and times sequential requests (bounded: 200 each) for a static CSS file, the plan dashboard,
the appendix page and the appendix as CSV and PDF. Prints medians and each against the static
file.
"""

import re
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.db import make_engine  # noqa: E402
from app.jobs import run_one  # noqa: E402
from benchmarks._concurrency import running_server  # noqa: E402
from benchmarks._setup import fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def median_ms(client: httpx.Client, path: str, count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def main() -> None:
    url, engine = fresh_database()
    engine.dispose()
    with running_server(url) as base, httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post(
            "/sign-in",
            data={
                "email": "board.member@plantrack.example",
                "password": "demo-viewer-password",
                "csrf_token": token,
            },
        )
        slug = "reducing-offending-2015-18"
        paths = {
            "static CSS file": ("/static/css/plantrack.css", 200),
            "plan dashboard": (f"/plans/{slug}?as_at=2018-03-31", 200),
            "appendix page": (f"/plans/{slug}/reports/appendix?as_at=2018-03-31", 200),
            "appendix CSV": (f"/plans/{slug}/reports/appendix.csv?as_at=2018-03-31", 100),
            "appendix PDF": (f"/plans/{slug}/reports/appendix.pdf?as_at=2018-03-31", 5),
        }
        # The PDF is made by a worker (app/jobs.py): the first request queues it; made here with
        # the worker's code, the timed requests are the link answering with the made file.
        first_pdf = client.get(paths["appendix PDF"][0])
        if first_pdf.status_code == 202:
            worker_engine = make_engine(url)
            while run_one(worker_engine):
                pass
            worker_engine.dispose()
        results = {name: median_ms(client, path, count) for name, (path, count) in paths.items()}
    static = results["static CSS file"]
    print(f"{'request':<18}{'median':>12}{'x static file':>15}")
    for name, value in results.items():
        print(f"{name:<18}{value:>9.1f} ms{value / static:>15.1f}")


if __name__ == "__main__":
    main()
