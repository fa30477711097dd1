"""PDF and Word files of a report, made by a worker (app/jobs.py): served at once when made for
the data as it stands, else a "Preparing" page whose status replaces itself (HTMX) with the
download link; a failure says so, with a button to try again. Shared by the appendix's routes
(plan_pages) and the highlight report's (report_pages), which check the plan may be read."""

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.core.models import JobState, Plan
from app.jobs import FORMAT_LABELS, ReportFile, file_job, retry_job
from app.web.templating import templates

REPORT_NAMES = {"appendix": "Progress Tracking report", "highlight": "highlight report"}


def _size(length: int) -> str:
    if length < 1024 * 1024:
        return f"{max(1, round(length / 1024)):,} KB"
    return f"{length / 1024 / 1024:.1f} MB"


def _context(request: Request, plan: Plan, wanted: ReportFile, job) -> dict:
    query = f"?{request.url.query}" if request.url.query else ""
    path = request.url.path.removesuffix("/status")
    return {
        "plan": plan,
        "job": job,
        "label": FORMAT_LABELS[wanted.format],
        "report_name": REPORT_NAMES[wanted.kind],
        "report_url": f"/plans/{plan.slug}/reports/{wanted.kind}{query}",
        "file_url": f"{path}{query}",
        "status_url": f"{path}/status{query}",
        "size": _size(len(job.content)) if job.state == JobState.done and job.content else "",
        "description": (
            "Files are made in the background, so large reports never keep you waiting on a "
            "blank page. This one is made from the report's data as it stands now."
        ),
    }


def report_file(request: Request, session: Session, plan: Plan, wanted: ReportFile) -> Response:
    """The file when it is made; else the page that waits for it (202: accepted, in hand)."""
    job = file_job(session, wanted, with_content=True)
    if job.state == JobState.done:
        return Response(
            job.content,
            media_type=job.media_type,
            headers={"Content-Disposition": f'attachment; filename="{job.file_name}"'},
        )
    return templates.TemplateResponse(
        request,
        "reports/preparing.html",
        _context(request, plan, wanted, job),
        status_code=202,
    )


def file_status(request: Request, session: Session, plan: Plan, wanted: ReportFile) -> Response:
    """The status element alone, for the page's polling: preparing, the link, or the failure."""
    job = file_job(session, wanted, with_content=True)  # once done, polling stops
    html = templates.env.get_template("reports/_file_status.html").render(
        request=request, **_context(request, plan, wanted, job)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def retry_file(request: Request, session: Session, wanted: ReportFile) -> Response:
    """Queue a failed file again, then back to the page that waits for it."""
    retry_job(session, wanted)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{request.url.path}{query}", status_code=303)
