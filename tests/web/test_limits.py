"""Limits on what a request may carry, enforced before anything parses it: 1 MB for an ordinary
form, 8 MB on the three upload routes, counted as the bytes arrive, and a bounded number of
fields; the server's memory stays flat under a flood."""

import asyncio
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from app.web.middleware import FORM_LIMIT, UPLOAD_LIMIT, UPLOAD_ROUTES
from tests.conftest import csrf_from

SLUG = "reduced-offending-2018-21"
MEGABYTE = 1024 * 1024
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_an_anonymous_oversized_form_is_refused_with_a_readable_413(app_client):
    response = app_client.post(
        "/sign-in",
        content=b"email=" + b"x" * (FORM_LIMIT + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "What was sent is too large" in response.text  # the page's title
    assert "1 MB for this form" in response.text


def test_the_limit_counts_the_bytes_that_arrive_not_the_declared_length(app_client):
    def body():  # sent chunked: no Content-Length at all
        for _ in range(3):
            yield b"x" * (FORM_LIMIT // 2)

    response = app_client.post(
        "/sign-in", content=body(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_the_limit_comes_before_the_csrf_check_and_json_gets_json(app_client):
    page = app_client.post("/plans/x/public", content=b"x" * (FORM_LIMIT + 1))
    assert page.status_code == 413  # not 403: nothing was parsed
    api = app_client.post("/api/v1/plans", content=b"{}" + b" " * FORM_LIMIT)
    assert api.status_code == 413
    assert "larger than plantrack accepts" in api.json()["detail"]  # problem details


def test_too_many_fields_are_refused(app_client):
    csrf = csrf_from(app_client.get("/sign-in").text)
    fields = "&".join(f"f{n}=1" for n in range(500))
    urlencoded = app_client.post(
        "/sign-in",
        content=f"csrf_token={csrf}&{fields}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert urlencoded.status_code == 413
    assert "Too many fields" in urlencoded.text
    multipart = app_client.post(
        "/sign-in", data={f"f{n}": "1" for n in range(500)}, files={"f": ("a.txt", b"a")}
    )
    assert multipart.status_code == 413
    files = app_client.post(
        "/sign-in", files=[("f", (f"{n}.txt", b"a")) for n in range(3)], data={"a": "b"}
    )
    assert files.status_code == 413 and "Too many files" in files.text


def test_ordinary_forms_within_the_limit_are_untouched(admin):
    response = admin.post(
        f"/plans/{SLUG}/reports/highlight/publish",
        data={"csrf_token": admin.csrf, "activity": "x" * 60_000},
    )
    # The handler's own answer (its limit on the edited text), not the edge's.
    assert response.status_code == 400 and "50,000 characters" in response.text


def test_the_upload_routes_are_routes_of_the_app(app_client):
    posts = {
        route.path
        for route in iter_route_contexts(app_client.app.routes)
        if "POST" in (route.methods or ())
    }
    assert set(UPLOAD_ROUTES) <= posts


def test_an_upload_route_takes_a_file_up_to_its_own_limit_and_says_so_above(admin):
    # 6 MB: past the import's 5 MB, within the edge's 8 MB: the import's own words.
    response = admin.post(
        f"/plans/{SLUG}/import/preview",
        data={"csrf_token": admin.csrf},
        files={"file": ("big.csv", b"Ref,Action\n" + b"x" * (6 * MEGABYTE))},
    )
    assert response.status_code == 400
    assert "the largest file accepted is 5 MB" in response.text
    refused = admin.post(
        f"/plans/{SLUG}/import/preview",
        data={"csrf_token": admin.csrf},
        files={"file": ("huge.csv", b"x" * UPLOAD_LIMIT)},
    )
    assert refused.status_code == 413


def test_an_import_confirm_form_carrying_a_5_mb_file_gets_through(admin):
    chunk = "A" * (512 * 1024)
    fields = {"csrf_token": admin.csrf, "filename": "plan.csv", "file_data": [chunk] * 13}
    # 6.5 MB of base64 (a 5 MB file), sent as the confirm form is: multipart.
    response = admin.post(f"/plans/{SLUG}/import", data=fields, files={"none": ("", b"")})
    assert response.status_code == 400  # the import's answer about the file, not the edge's
    assert "What was sent is too large" not in response.text


def test_a_text_field_larger_than_a_part_may_be_is_refused_on_an_upload_route(admin):
    response = admin.post(
        "/indicators/upload",
        data={"csrf_token": admin.csrf, "note": "x" * (MEGABYTE + 1)},
        files={"file": ("values.csv", b"indicator,period,period_end,value,note\n")},
    )
    assert response.status_code == 413


def test_the_app_never_reads_past_the_limit():
    """Driven over ASGI: the client would send 100 MB; the edge stops pulling just past 1 MB."""
    from app.main import create_app

    app = create_app()
    chunk = b"x" * 65536
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pulled < 100 * MEGABYTE}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sign-in",
        "raw_path": b"/sign-in",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=x"), (b"host", b"test")],
        "server": ("test", 80),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    # In a thread of its own: an event loop left running in this one (Playwright's, when the
    # browser tests ran first) would refuse asyncio.run.
    runner = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    runner.start()
    runner.join(timeout=60)
    assert sent and sent[0]["status"] == 413
    assert pulled <= FORM_LIMIT + len(chunk)


# --- The measured attack, against uvicorn -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


@pytest.fixture(scope="module")
def uvicorn_server(tmp_path_factory):
    """The app under uvicorn. No request here reaches the database (the edge refuses first)."""
    directory = tmp_path_factory.mktemp("limits")
    port = _free_port()
    env = os.environ | {"PLANTRACK_DATABASE_URL": f"sqlite:///{directory / 'unused.db'}"}
    log = (directory / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (directory / "uvicorn.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
        yield process.pid, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _flood(port: int, headers: str, parts) -> bytes:
    """Send the request's head, then its parts until the server answers (at most 30 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(headers.encode())
        deadline = time.monotonic() + 30
        for part in parts:
            if select.select([connection], [], [], 0)[0] or time.monotonic() > deadline:
                break
            try:
                connection.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = connection.recv(65536)
            if not data:
                break
            answer += data
        return answer


def _fields(count: int, size: int, *, chunked: bool):
    value = b"x" * size
    for number in range(count):
        part = (
            f'--flood\r\nContent-Disposition: form-data; name="f{number}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_flood_of_large_fields_leaves_the_server_memory_flat(uvicorn_server, chunked):
    """The measured attack: 950 fields of 1 MB in one anonymous multipart POST /sign-in grew
    the server from 163 MB to 1.1 GB. Now it is refused at 1 MB and the peak barely moves."""
    pid, port = uvicorn_server
    before = _peak_memory_kb(pid)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {950 * MEGABYTE}"
    head = (
        "POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=flood\r\n"
        f"{length}\r\n\r\n"
    )
    answer = _flood(port, head, _fields(950, MEGABYTE, chunked=chunked))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    grown_mb = (_peak_memory_kb(pid) - before) / 1024
    assert grown_mb < 40, f"the server's peak memory grew by {grown_mb:.0f} MB"
