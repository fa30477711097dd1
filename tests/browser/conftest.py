"""Browser tests: the real app under uvicorn, driven by Debian's Chromium through Playwright.

One server and one browser serve the whole session; every test gets a new browser context (its
own cookies). The server's database is shared by all browser tests, so each test that writes
updates a different action and none depends on another's order.

Chromium is /usr/bin/chromium (Debian's package; `.ci/run` installs it). Playwright never
downloads a browser here. When Chromium is missing the tests are skipped on a laptop, and fail
loudly in CI (CI set), where they must run.
"""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from benchmarks._concurrency import uvicorn_command
from tests.browser.helpers import sign_in_through_page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]


def _chromium_missing_reason() -> str | None:
    if CHROMIUM.exists():
        return None
    return f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')"


@pytest.hookimpl(trylast=True)  # after -m/-k deselection: judge only the tests that will run
def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing_reason()
    if reason is None:
        return
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"{reason}: the browser tests must run in CI. Install it (apt-get install chromium)."
        )
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=f"{reason}; install it to run the browser tests"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    database_url: str
    log_path: Path
    # A real OpenID Connect provider on loopback, the server's single sign-on ("Test ID").
    identity_provider: str = ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test shows the end of the server's log (a 500's traceback is there)."""
    report = yield
    server = item.funcargs.get("server") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(server, Server) and server.log_path.exists():
        lines = server.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in lines if not line.startswith("INFO:")]
        report.sections.append(
            ("uvicorn log (last 40 lines that are not access logs)", "\n".join(errors[-40:]))
        )
    return report


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[str]:
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as provider:
        yield f"http://localhost:{provider.server_port}"


@pytest.fixture(scope="session")
def server(tmp_path_factory, identity_provider) -> Iterator[Server]:
    """The real app, served by uvicorn in a subprocess over a fresh, seeded SQLite file."""
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.domain.seed import load_seed
    from tests.conftest import migrate

    directory = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{directory / 'plantrack-browser.db'}"
    migrate(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        load_seed(session)
        session.commit()
    engine.dispose()

    port = _free_port()
    env = os.environ | {
        "PLANTRACK_DATABASE_URL": database_url,
        "PLANTRACK_ENVIRONMENT": "development",
        "PLANTRACK_COOKIE_SECURE": "false",  # served over plain http on 127.0.0.1
        "PLANTRACK_SMTP_HOST": "127.0.0.1",
        "PLANTRACK_SMTP_PORT": str(_free_port()),  # nothing listens: nothing is ever mailed
        "PLANTRACK_BASE_URL": f"http://127.0.0.1:{port}",
        "PLANTRACK_OIDC_PROVIDERS": "test",
        "PLANTRACK_OIDC_TEST_ISSUER": identity_provider,
        "PLANTRACK_OIDC_TEST_CLIENT_ID": "plantrack-browser-tests",
        "PLANTRACK_OIDC_TEST_CLIENT_SECRET": "browser-tests-secret",
        "PLANTRACK_OIDC_TEST_LABEL": "Test ID",
        "PLANTRACK_OIDC_TEST_ALLOWED_DOMAINS": "plantrack.example",
    }
    log_path = directory / "uvicorn.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        uvicorn_command(port),
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not answer /healthz in 30 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield Server(
            base_url=base_url,
            database_url=database_url,
            log_path=log_path,
            identity_provider=identity_provider,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def browser(server) -> Iterator:
    from playwright.sync_api import sync_playwright

    reason = _chromium_missing_reason()
    if reason:  # only reached when collection did not already skip or refuse
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: the browser tests must run in CI.")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def signed_in_states(browser, server) -> Callable[[str], dict]:
    """Each account's cookies after one real sign-in, reused by later contexts (sign-ins are
    cheap, but this keeps the suite quick; sessions stay valid for 30 idle minutes)."""
    states: dict[str, dict] = {}

    def state_for(email: str) -> dict:
        if email not in states:
            context = browser.new_context(base_url=server.base_url)
            try:
                page = context.new_page()
                sign_in_through_page(page, server.base_url, email)
                states[email] = context.storage_state()
            finally:
                context.close()
        return states[email]

    return state_for


@pytest.fixture
def new_context(browser, server, signed_in_states) -> Iterator[Callable]:
    """new_context(email=None): a fresh browser context, signed in as that account if given.
    Every context made in a test is closed after it."""
    contexts = []

    def make(email: str | None = None):
        options = {
            "base_url": server.base_url,
            "locale": "en-GB",
            "viewport": {"width": 1280, "height": 1000},
        }
        if email:
            options["storage_state"] = signed_in_states(email)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_as(new_context) -> Callable:
    """page_as(email): a new page in a new context signed in as that account."""

    def make(email: str | None = None):
        return new_context(email).new_page()

    return make


@pytest.fixture(scope="session")
def page_values(server) -> dict[str, str]:
    """A demo value for every name in a page's path (see helpers.demo_page_values)."""
    from tests.browser.helpers import demo_page_values

    return demo_page_values(server.database_url)
