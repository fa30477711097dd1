"""Issue 14's table, measured: every row printed beside its goal.

    .venv/bin/python benchmarks/pages_wrk.py            # about 6 minutes
    .venv/bin/python benchmarks/pages_wrk.py --quick    # shorter runs, rougher figures

Needs wrk (`apt-get install wrk`). A fresh SQLite database with the demo data, a generated plan
of 1,000 actions with 20 updates each, and a plan whose actions have 0, 20 and 539 updates is
made for the run (bulk inserts). Everything runs on loopback.

- Pages against a static file: wrk against uvicorn (one worker, then two workers with
  connections not kept alive), signed in (the session cookie passed with -H). Short runs
  alternate, static file then page, for several rounds; each ratio is the median static req/s
  over the median page req/s, so it holds on a noisy machine.
- Home page statements: counted in this process (the app under Starlette's test client, a
  before_cursor_execute listener on every engine), with 5 plans and with 15.
- The appendix PDF over HTTP: the PDF link is found on the appendix page and followed as a
  browser would: a PDF answer ends the wait; an HTML answer (a "Preparing PDF..." page) is
  polled, by its hx-get (with HX-Request, as HTMX sends it), its meta refresh or its PDF link,
  until a response is application/pdf. The static file's throughput is measured with wrk
  before and during the wait. This server is started with `plantrack serve` (the command that
  runs report jobs beside the web server, where it does).
- PDF render time in one process: app.reports called directly, pages counted with pypdf (or
  pdfinfo).
- An action's page after 539 updates against a fresh action and one with 20 updates.

The machine's load average is printed at the start, at each step and at the end.
"""

import argparse
import html
import io
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import httpx

# Libraries' notices about their own futures, here and in the servers started: not figures.
warnings.simplefilter("ignore")
os.environ.setdefault("PYTHONWARNINGS", "ignore")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, func, insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.core.models import Action, Plan, StatusUpdate, Theme  # noqa: E402
from benchmarks._concurrency import (  # noqa: E402
    ADMIN,
    free_port,
    running_server,
    served,
    signed_in_client,
)
from benchmarks._setup import fresh_database, generate_plan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO, DEMO_AS_AT = "reducing-offending-2015-18", "2018-03-31"
LARGE, LARGE_AS_AT = "generated-1000", "2021-03-31"
HISTORY = "action-history"
# refs of the history plan's actions and how many updates each has
HISTORY_ACTIONS = {"H0": 0, "H20": 20, "H539": 539}
WRK = shutil.which("wrk") or "/usr/bin/wrk"
CONNECTIONS = 4
PDF_TIMEOUT = 240.0  # seconds: give up waiting for a PDF after this

PAGES = {
    "demo dashboard": f"/plans/{DEMO}?as_at={DEMO_AS_AT}",
    "demo appendix page": f"/plans/{DEMO}/reports/appendix?as_at={DEMO_AS_AT}",
    "1,000-action appendix page": f"/plans/{LARGE}/reports/appendix?as_at={LARGE_AS_AT}",
    "1,000-action dashboard": f"/plans/{LARGE}?as_at={LARGE_AS_AT}",
}
GOALS = {
    "demo dashboard": 2.5,
    "demo appendix page": 2.5,
    "1,000-action appendix page": 10.0,
    "1,000-action dashboard": 10.0,
}
ACTION_PATH = {
    f"action, {n} updates": f"/plans/{HISTORY}/actions/{ref}" for ref, n in HISTORY_ACTIONS.items()
}
FRESH, TWENTY, LONG = ACTION_PATH
ACTION_PAGES = {FRESH: ACTION_PATH[FRESH], LONG: ACTION_PATH[LONG]}  # timed in turn


def static_path() -> str:
    found = sorted((ROOT / "static").rglob("govuk-frontend.min.js"))
    if not found:
        raise SystemExit("govuk-frontend.min.js is not under static/")
    return "/" + found[0].relative_to(ROOT).as_posix()


STATIC = static_path()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def note(message: str) -> None:
    print(message, flush=True)


def step(title: str) -> None:
    note(f"\n== {title} ({load()}, {datetime.now(UTC):%H:%M:%S} UTC)")


# --- wrk -------------------------------------------------------------------------------------


@dataclass
class WrkRun:
    rps: float
    requests: int
    bad: int  # responses wrk counts as errors (4xx/5xx) and socket errors


def wrk(url: str, seconds: float, *, cookie: str = "", close: bool = False) -> WrkRun:
    command = [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "60s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if close:
        command += ["-H", "Connection: close"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 120, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        bad += int(match.group(1))
    if match := re.search(r"Socket errors: (.*)", output):
        bad += sum(int(n) for n in re.findall(r"\d+", match.group(1)))
    return WrkRun(rps, requests, bad)


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


def check_page(base: str, path: str, cookie: str) -> tuple[int, float]:
    """The page answers 200 to the session cookie alone (as wrk sends it), not a redirect to
    sign in (wrk would count that as a success); returns its size and the seconds it took."""
    started = time.perf_counter()
    response = httpx.get(base + path, headers={"Cookie": cookie}, timeout=120)
    took = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}, not 200")
    return len(response.content), took


@dataclass
class Interleaved:
    static: dict[str, list[float]] = field(default_factory=dict)  # the static run before each
    page: dict[str, list[float]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def static_median(self, name: str) -> float:
        return statistics.median(self.static[name])

    def page_median(self, name: str) -> float:
        return statistics.median(self.page[name])

    def ratio(self, name: str) -> float:
        page = self.page_median(name)
        if not page:
            raise RuntimeError("no request for the page finished within its runs")
        return self.static_median(name) / page


def interleaved(
    base: str,
    client: httpx.Client,
    pages: dict[str, str],
    *,
    rounds: int,
    seconds: float,
    longest: float,
    close: bool = False,
    static: bool = True,
) -> Interleaved:
    """Short wrk runs, static file then page (or the pages alone), for each page in turn,
    ``rounds`` times. A slow page's runs last long enough for about eight of its requests (at
    most ``longest`` seconds, lengthened after a run that finished fewer): a run that ends
    before its first answer would count nothing."""
    cookie = cookie_header(client)
    result = Interleaved()
    durations = {}
    for name, path in pages.items():
        check_page(base, path, cookie)  # warms any cache
        result.sizes[name], took = check_page(base, path, cookie)
        took = min(took, check_page(base, path, cookie)[1])
        durations[name] = round(min(max(seconds, 8 * took), longest))
        result.static[name], result.page[name] = [], []
    quick_static = min(check_page(base, STATIC, cookie)[1] for _ in range(5))

    def drained() -> None:
        """Wait until the server has finished the page requests wrk left in flight (a static
        file answers about as fast as when idle): they would slow the next run."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if check_page(base, STATIC, cookie)[1] < 3 * quick_static + 0.005:
                return
            time.sleep(0.05)

    note(f"{'round':>5}  {'page':<28}{'static req/s':>14}{'page req/s':>12}{'run':>6}{'ratio':>8}")
    for n in range(1, rounds + 1):
        for name, path in pages.items():
            before = wrk(base + STATIC, seconds, cookie=cookie, close=close) if static else None
            page = wrk(base + path, durations[name], cookie=cookie, close=close)
            drained()
            ran = durations[name]
            if page.requests < 8 and durations[name] < longest:  # too few to count: longer
                durations[name] = min(longest, math.ceil(ran * 8 / max(page.requests, 1)))
            if (before and before.bad) or page.bad:
                note(f"   !! errors: static {before.bad if before else 0}, page {page.bad}")
            result.page[name].append(page.rps)
            line = f"{n:>5}  {name:<28}"
            if before:
                result.static[name].append(before.rps)
                line += f"{before.rps:>14.1f}{page.rps:>12.2f}{ran:>5}s"
                line += f"{before.rps / page.rps:>7.1f}x" if page.rps else f"{'–':>8}"
            else:
                line += f"{'':>14}{page.rps:>12.2f}{ran:>5}s"
            note(line)
    return result


# --- the data --------------------------------------------------------------------------------


def add_history_plan(engine) -> None:
    """A plan whose actions have 0, 20 and 539 updates, a day apart (bulk inserts)."""
    with Session(engine) as session:
        plan = Plan(
            slug=HISTORY,
            title="Actions with short and long histories",
            short_title=HISTORY,
            period_start=date(2019, 4, 1),
            period_end=date(2022, 3, 31),
            status="active",
        )
        session.add(plan)
        session.flush()
        theme = Theme(plan_id=plan.id, position=1, title="Theme 1")
        session.add(theme)
        session.flush()
        rows = []
        for position, (ref, count) in enumerate(HISTORY_ACTIONS.items(), start=1):
            action = Action(
                plan_id=plan.id,
                theme_id=theme.id,
                ref=ref,
                position=position,
                title=f"An action with {count} updates and a title of ordinary length",
                description="",
                due_date=date(2021, 3, 31),
                due_label="",
                provenance="illustrative",
                version=1,
            )
            session.add(action)
            session.flush()
            day = date(2019, 4, 1)
            for n in range(count):
                day += timedelta(days=1)
                rows.append(
                    dict(
                        action_id=action.id,
                        recorded_at=datetime.combine(day, datetime.min.time(), UTC),
                        effective_on=day,
                        stage="in_progress",
                        rag=("green", "amber", "red")[n % 3],
                        commentary=f"Update {n}: progress reported to the delivery group, "
                        "next steps agreed.",
                        corrective_action="Escalated to the board." if n % 3 == 2 else "",
                        review_state="approved",
                        review_note="",
                    )
                )
        session.execute(insert(StatusUpdate), rows)
        session.commit()


def build_database() -> tuple[str, Engine]:
    started = time.perf_counter()
    url, engine = fresh_database()
    generate_plan(engine, slug=LARGE, actions=1000, updates_per_action=20)
    add_history_plan(engine)
    note(f"database {url} built in {time.perf_counter() - started:.1f} s")
    return url, engine


# --- home page statements ----------------------------------------------------------------------


def home_statements() -> tuple[int, int, int, int]:
    """Statements for the home page with 5 plans and with 15: (plans, count, plans, count)."""
    from fastapi.testclient import TestClient

    from app.core.config import get_settings
    from app.core.db import get_engine

    url, engine = fresh_database()
    os.environ["PLANTRACK_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    from app.main import create_app

    def plans() -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Plan)).one()

    def count(client: TestClient) -> int:
        client.get("/")  # warm: the first view may do work once (a cache, a session's time)
        statements = []

        def listener(*_args, **_kwargs) -> None:
            statements.append(1)

        event.listen(Engine, "before_cursor_execute", listener)
        try:
            response = client.get("/", follow_redirects=False)
        finally:
            event.remove(Engine, "before_cursor_execute", listener)
        if response.status_code != 200:
            raise RuntimeError(f"the home page answered {response.status_code}")
        return len(statements)

    try:
        with TestClient(create_app()) as client:
            page = client.get("/sign-in").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            email, password = ADMIN
            signed = client.post(
                "/sign-in",
                data={"email": email, "password": password, "csrf_token": token},
                follow_redirects=False,
            )
            if signed.status_code != 303:
                raise RuntimeError(f"could not sign in: {signed.status_code}")
            for n in range(plans(), 5):
                generate_plan(engine, slug=f"home-extra-{n}", actions=20, updates_per_action=5)
            few_plans, few = plans(), count(client)
            for n in range(plans(), 15):
                generate_plan(engine, slug=f"home-extra-{n}", actions=20, updates_per_action=5)
            many_plans, many = plans(), count(client)
    finally:
        get_engine().dispose()
        engine.dispose()
        os.environ.pop("PLANTRACK_DATABASE_URL", None)
        get_settings.cache_clear()
        get_engine.cache_clear()
    return few_plans, few, many_plans, many


# --- the PDF over HTTP ---------------------------------------------------------------------


@contextmanager
def plantrack_serve(database_url: str) -> Iterator[str]:
    """`plantrack serve` on a free loopback port (with whatever it runs beside the web server);
    yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with served(
        command, database_url, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as base:
        yield base


def attribute_values(page: str, attribute: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'\b{attribute}="([^"]*)"', page)]


def pdf_link(page: str) -> tuple[str, bool] | None:
    """The appendix PDF's address on the appendix page (an hx-get or a link mentioning PDF),
    and whether HTMX requests it (an hx-get)."""
    for attribute in ("hx-get", "href"):
        for candidate in attribute_values(page, attribute):
            if "pdf" in candidate.lower() and "appendix" in candidate.lower():
                return candidate, attribute == "hx-get"
    for href, text in re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', page, re.S):
        if re.sub(r"<[^>]+>", "", text).strip().upper().startswith("PDF"):
            return html.unescape(href), False
    return None


def next_request(page: str) -> tuple[str | None, bool, float]:
    """Where a "Preparing..." page points next: (address or None for the same, HTMX?, wait)."""
    wait = 1.0
    if match := re.search(r'hx-trigger="[^"]*every\s+([\d.]+)(m?s)', page):
        wait = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
    hx = attribute_values(page, "hx-get")
    if hx:
        return next((u for u in hx if "pdf" in u.lower()), hx[0]), True, wait
    if match := re.search(
        r'http-equiv="refresh"\s+content="([\d.]+)\s*;\s*url=([^"]+)"', page, re.I
    ):
        return html.unescape(match.group(2)), False, float(match.group(1))
    links = [u for u in attribute_values(page, "href") if "pdf" in u.lower()]
    if links:
        return next((u for u in links if ".pdf" in u.lower()), links[0]), False, 0.0
    return None, False, wait


@dataclass
class PdfWait:
    first_response: float = 0.0  # seconds to the first response's headers
    file_ready: float = 0.0  # seconds until a response was the PDF itself
    size: int = 0
    requests: int = 0
    finished_at: float = 0.0  # time.monotonic() when the file had arrived
    error: str = ""


def follow_pdf(client: httpx.Client, address: str, htmx: bool, outcome: PdfWait) -> None:
    """Request the PDF as a browser would, following a "Preparing PDF..." page until the file."""
    started = time.perf_counter()
    try:
        while True:
            headers = {"HX-Request": "true"} if htmx else {}
            with client.stream(
                "GET", address, headers=headers, follow_redirects=True, timeout=PDF_TIMEOUT
            ) as response:
                if not outcome.first_response:
                    outcome.first_response = time.perf_counter() - started
                body = response.read()
            outcome.requests += 1
            kind = response.headers.get("content-type", "")
            if response.status_code == 200 and kind.startswith("application/pdf"):
                outcome.file_ready = time.perf_counter() - started
                outcome.size = len(body)
                break
            if response.status_code >= 400:
                raise RuntimeError(f"{address} answered {response.status_code}")
            if time.perf_counter() - started > PDF_TIMEOUT:
                raise TimeoutError(f"no PDF after {PDF_TIMEOUT:.0f} s")
            following, htmx_next, wait = next_request(body.decode("utf-8", "replace"))
            if redirect := response.headers.get("HX-Redirect"):  # HTMX goes there, whole page
                following, htmx_next, wait = redirect, False, 0.0
            if following:
                address = urljoin(str(response.url), following)
                htmx = htmx_next
            time.sleep(wait)
    except Exception as error:  # reported in the table, not raised in a thread
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.finished_at = time.monotonic()


@dataclass
class PdfOverHttp:
    wait: PdfWait
    address: str
    static_before: float
    static_during: float
    during_runs: int


def pdf_over_http(database_url: str, *, seconds: float) -> PdfOverHttp:
    with plantrack_serve(database_url) as base, closing(signed_in_client(base, *ADMIN)) as client:
        cookie = cookie_header(client)
        appendix = f"/plans/{LARGE}/reports/appendix?as_at={LARGE_AS_AT}"
        found = pdf_link(client.get(appendix).text)
        if found is None:
            found = f"/plans/{LARGE}/reports/appendix.pdf?as_at={LARGE_AS_AT}", False
            note("   no PDF link found on the appendix page: using " + found[0])
        address, htmx = urljoin(base + appendix, found[0]), found[1]
        note(f"   PDF link: {address.removeprefix(base)}{' (hx-get)' if htmx else ''}")
        before = [wrk(base + STATIC, seconds, cookie=cookie).rps for _ in range(2)]
        note(f"   static before the wait: {', '.join(f'{r:.1f}' for r in before)} req/s")
        outcome = PdfWait()
        waiting = threading.Thread(target=follow_pdf, args=(client, address, htmx, outcome))
        waiting.start()
        during = []
        while waiting.is_alive() or not during:
            run = wrk(base + STATIC, seconds, cookie=cookie)
            ended = time.monotonic()
            # a run that ended after the file arrived measured some time after the wait
            if not during or waiting.is_alive() or ended <= outcome.finished_at:
                during.append(run.rps)
        waiting.join()
        note(f"   static during the wait: {', '.join(f'{r:.1f}' for r in during)} req/s")
        return PdfOverHttp(
            outcome, address, statistics.median(before), statistics.median(during), len(during)
        )


# --- the PDF in one process ----------------------------------------------------------------


def pdf_pages(pdf: bytes) -> int:
    try:
        from pypdf import PdfReader

        return len(PdfReader(io.BytesIO(pdf)).pages)
    except ImportError:
        info = subprocess.run(
            ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@dataclass(frozen=True)
class PdfRun:
    seconds: float  # wall-clock
    cpu: float  # this process's CPU time: what the render cost, whatever else the machine ran
    pages: int


def appendix_pdf_renderer(engine, slug: str, as_at: str) -> Callable[[], PdfRun]:
    """Renders the plan's appendix PDF (its report model built once): times and pages."""
    from app.domain.progress import get_plan
    from app.reports.appendix import build_appendix
    from app.reports.formats import FORMATS

    with Session(engine) as session:
        plan = get_plan(session=session, slug=slug)
        report = build_appendix(session, plan, date.fromisoformat(as_at))

    def render() -> PdfRun:
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = FORMATS["pdf"].render(report)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        return PdfRun(took, cpu, pdf_pages(pdf))

    return render


# --- the table -------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    measured: str
    goal: str
    met: bool | None  # None: not measured


ROWS: list[Row] = []


def row(what: str, goal: str, measure: Callable[[], tuple[str, bool]]) -> None:
    try:
        measured, met = measure()
    except Exception as error:
        traceback.print_exc()
        measured, met = f"failed: {type(error).__name__}: {error}", None
    ROWS.append(Row(what, measured, goal, met))


def kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB"


def print_table() -> None:
    widths = [max(len(r.what) for r in ROWS), max(len(r.measured) for r in ROWS)]
    widths.append(max(len(r.goal) for r in ROWS))
    print(f"| {'what':<{widths[0]}} | {'measured':<{widths[1]}} | {'goal':<{widths[2]}} | met? |")
    print(f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 2)}|{'-' * (widths[2] + 2)}|------|")
    for r in ROWS:
        met = {True: "yes", False: "no", None: "–"}[r.met]
        print(
            f"| {r.what:<{widths[0]}} | {r.measured:<{widths[1]}} "
            f"| {r.goal:<{widths[2]}} | {met:<4} |"
        )


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = parser.parse_args()
    rounds, seconds, longest = (1, 2.0, 5.0) if args.quick else (3, 3.0, 6.0)
    began = time.monotonic()
    note(
        f"pages_wrk: {'quick, ' if args.quick else ''}{rounds} rounds of {seconds:g} s wrk runs, "
        f"-t1 -c{CONNECTIONS}; static file {STATIC}"
    )
    note(f"start: {load()} on {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")

    step("building the database")
    url, engine = build_database()

    one: Interleaved | None = None
    actions: Interleaved | None = None
    step(
        "one uvicorn worker, kept-alive connections: pages and action pages against the static file"
    )
    try:
        with (
            running_server(url, workers=1) as base,
            closing(signed_in_client(base, *ADMIN)) as client,
        ):
            one = interleaved(base, client, PAGES, rounds=rounds, seconds=seconds, longest=longest)
            note("action pages, a fresh action and one after 539 updates in turn:")
            actions = interleaved(
                base,
                client,
                ACTION_PAGES,
                rounds=rounds,
                seconds=seconds,
                longest=longest,
                static=False,
            )
            actions.sizes[TWENTY] = check_page(base, ACTION_PATH[TWENTY], cookie_header(client))[0]
    except Exception:
        traceback.print_exc()

    two: Interleaved | None = None
    step("two uvicorn workers, Connection: close")
    try:
        with (
            running_server(url, workers=2) as base,
            closing(signed_in_client(base, *ADMIN)) as client,
        ):
            two = interleaved(
                base, client, PAGES, rounds=rounds, seconds=seconds, longest=longest, close=True
            )
    except Exception:
        traceback.print_exc()

    def page_row(result: Interleaved | None, name: str, suffix: str) -> None:
        def measure() -> tuple[str, bool]:
            if result is None:
                raise RuntimeError("not measured (see above)")
            ratio = result.ratio(name)
            return (
                f"{ratio:.1f}x ({result.static_median(name):.0f} ÷ "
                f"{result.page_median(name):.2f} req/s, {kb(result.sizes[name])})",
                ratio <= GOALS[name],
            )

        row(f"static ÷ {name}{suffix}", f"≤ {GOALS[name]:g}x", measure)

    for name in PAGES:
        page_row(one, name, "")
    for name in PAGES:
        page_row(two, name, " (2 workers, Connection: close)")

    step("home page statements, 5 and 15 plans (in process)")

    def home() -> tuple[str, bool]:
        few_plans, few, many_plans, many = home_statements()
        note(f"   {few_plans} plans: {few} statements; {many_plans} plans: {many}")
        return f"{few} → {many} ({few_plans} → {many_plans} plans)", few == many

    row("statements for the home page, 5 → 15 plans", "equal", home)

    step("the 1,000-action appendix PDF over HTTP (plantrack serve), static file meanwhile")
    pdf_http: PdfOverHttp | None = None

    def wait_row() -> tuple[str, bool]:
        nonlocal pdf_http
        pdf_http = pdf_over_http(url, seconds=seconds)
        wait = pdf_http.wait
        if wait.error:
            raise RuntimeError(wait.error)
        share = pdf_http.static_during / pdf_http.static_before
        return (
            f"first response {wait.first_response:.1f} s, file {wait.file_ready:.1f} s "
            f"({kb(wait.size)}, {wait.requests} request{'s' * (wait.requests != 1)}); "
            f"static {pdf_http.static_before:.0f} → {pdf_http.static_during:.0f} req/s "
            f"meanwhile ({share:.2f})",
            wait.first_response < 1.0 and share >= 0.8,
        )

    row(
        "browser wait for a 1,000-action appendix PDF",
        "first response < 1 s; static during ÷ before ≥ 0.8",
        wait_row,
    )

    step("PDF render time in one process, 1,000 actions against the demo")

    def pdf_row() -> tuple[str, bool]:
        demo = appendix_pdf_renderer(engine, DEMO, DEMO_AS_AT)
        large = appendix_pdf_renderer(engine, LARGE, LARGE_AS_AT)
        # Interleaved, and the least of each one's CPU times taken: the render's own cost,
        # whatever else the machine ran meanwhile (a render's wall-clock time on this shared
        # machine varies by a third from one run to the next; it is printed beside it).
        runs: dict[str, list[PdfRun]] = {"demo": [], "1,000 actions": []}
        order = (demo, large, demo) if args.quick else (demo, large, demo, large, demo)
        for render in order:
            name = "demo" if render is demo else "1,000 actions"
            run = render()
            runs[name].append(run)
            note(f"   {name}: {run.cpu:.2f} s CPU, {run.seconds:.2f} s, {run.pages} pages")
        small = min(runs["demo"], key=lambda run: run.cpu)
        big = min(runs["1,000 actions"], key=lambda run: run.cpu)
        time_ratio, pages_ratio = big.cpu / small.cpu, big.pages / small.pages
        return (
            f"{time_ratio:.1f}x the CPU time for {pages_ratio:.1f}x the pages "
            f"({small.cpu / small.pages:.3f} → {big.cpu / big.pages:.3f} s a page; "
            f"{small.cpu:.1f} s, {small.pages} p → {big.cpu:.1f} s, {big.pages} p; "
            f"wall-clock {small.seconds / small.pages:.3f} → "
            f"{big.seconds / big.pages:.3f} s a page)",
            time_ratio <= pages_ratio,
        )

    row("1,000-action PDF ÷ demo PDF, in one process", "≤ pages ratio", pdf_row)

    def action_row() -> tuple[str, bool]:
        if actions is None:
            raise RuntimeError("not measured (see above)")
        sizes = actions.sizes
        return (
            f"{kb(sizes[LONG])}, {sizes[LONG] / sizes[FRESH]:.1f}x the size and "
            f"{actions.page_median(FRESH) / actions.page_median(LONG):.1f}x the time of a fresh "
            f"action ({kb(sizes[FRESH])}); {sizes[LONG] / sizes[TWENTY]:.2f}x the size at 20 "
            "updates",
            sizes[LONG] <= 1.1 * sizes[TWENTY],
        )

    row(
        "action page after 539 updates", "constant size (≤ 1.1x the page at 20 updates)", action_row
    )
    engine.dispose()

    step("results")
    print_table()
    note(f"\nend: {load()}; took {(time.monotonic() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
