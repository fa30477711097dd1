"""Downloading a PDF or Word file through the pages, now that a worker makes them: when the
page says the file is being prepared, run the worker's own code (app.jobs.run_one) here, in the
test's transaction, and ask again."""

from sqlmodel import Session

from app.jobs import run_one


def run_jobs(target) -> int:
    """Run every queued job with the worker's code; the number run. ``target``: the test's
    session (its connection, so the jobs see what its transaction holds) or an engine."""
    bind = target.connection() if isinstance(target, Session) else target
    count = 0
    while run_one(bind):
        count += 1
    return count


def download(client, url: str, target, **kwargs):
    """GET a report file; if it is being prepared, make it as the worker would and GET again."""
    response = client.get(url, **kwargs)
    if response.status_code == 202 and "Preparing" in response.text:
        assert run_jobs(target) >= 1
        response = client.get(url, **kwargs)
    return response
