"""Reports published for a meeting: frozen, served as sent, compared, and the public view."""

import hashlib
import io
import threading
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

import app.core.db
from app import publishing
from app.core.models import (
    Action,
    Meeting,
    Plan,
    PublishedFile,
    PublishedReport,
    StatusUpdate,
    User,
)
from app.domain.progress import get_plan
from app.domain.updates import UpdateIn, record_update
from app.main import create_app
from app.publishing import (
    PublishError,
    compare_reports,
    load_model,
    previous_published,
    publish_report,
    published_file,
)
from app.reports.appendix import build_appendix
from app.reports.formats import FORMATS, Format
from tests.conftest import sign_in

SLUG = "reducing-offending-2015-18"
UPDATED_PLAN = "reduced-offending-2018-21"  # active, without approval: an update counts at once


@pytest.fixture
def plan(session):
    return get_plan(session=session, slug=SLUG)


@pytest.fixture
def meetings(session, plan):
    return session.exec(
        select(Meeting).where(Meeting.board_id == plan.board_id).order_by(Meeting.held_on)
    ).all()


def meeting_on(meetings, year, month):
    return next(m for m in meetings if (m.held_on.year, m.held_on.month) == (year, month))


def admin_user(session):
    return session.exec(select(User).where(User.role == "admin")).first()


def test_a_snapshot_keeps_its_figures_whatever_changes_later(session, plan, meetings):
    admin = admin_user(session)
    meeting = meeting_on(meetings, 2017, 12)
    report = build_appendix(session, plan, date(2017, 12, 31))
    published = publish_report(session, plan=plan, meeting=meeting, report=report, user=admin)
    stored_xlsx = published_file(session, report_id=published.id, format="xlsx").content

    # The data changes afterwards: a scheduled action in progress is back-dated to complete.
    ref = next(
        r.ref for r in report.all_actions if r.stage == "in_progress" and r.due_date <= report.as_at
    )
    action = session.exec(select(Action).where(Action.plan_id == plan.id, Action.ref == ref)).one()
    plan.status = "active"  # reopened (a closed plan takes no updates), to change its history
    session.add(plan)
    record_update(
        session,
        action=action,
        plan=plan,
        user=admin,
        today=date(2026, 1, 1),
        update_in=UpdateIn(
            stage="complete",
            rag=None,
            commentary="Done after all.",
            corrective_action="",
            effective_on=date(2017, 11, 1),
            expected_version=action.version,
        ),
    )
    live = build_appendix(session, plan, date(2017, 12, 31))
    assert live.totals.complete == report.totals.complete + 1

    frozen = load_model(published)
    assert frozen.totals == report.totals
    assert frozen.headline == report.headline != live.headline
    assert published_file(session, report_id=published.id, format="xlsx").content == stored_xlsx
    summary = load_workbook(io.BytesIO(stored_xlsx))["Summary"]
    assert any(report.headline == cell.value for row in summary.iter_rows() for cell in row)


def test_published_files_are_stored_with_their_hash_and_cannot_be_changed(session, plan, meetings):
    published = publish_report(
        session,
        plan=plan,
        meeting=meeting_on(meetings, 2018, 3),
        report=build_appendix(session, plan, date(2018, 3, 31)),
        user=admin_user(session),
    )
    files = session.exec(select(PublishedFile).where(PublishedFile.report_id == published.id)).all()
    assert {f.format for f in files} == {"pdf", "docx", "xlsx", "csv", "json"}
    for stored in files:
        assert hashlib.sha256(stored.content).hexdigest() == stored.sha256
    for statement in (
        "UPDATE published_report SET title = 'changed'",
        "DELETE FROM published_file",
        "UPDATE published_file SET content = :blank",
    ):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
            with session.begin_nested():
                session.execute(text(statement), {"blank": b""})


def test_a_file_changed_behind_the_triggers_is_never_served(admin, session, plan, meetings, caplog):
    """Whoever can get round the triggers (the owner of a PostgreSQL database, anyone with the
    SQLite file) still cannot make plantrack serve a file other than the one published."""
    published = publish_report(
        session,
        plan=plan,
        meeting=meeting_on(meetings, 2018, 3),
        report=build_appendix(session, plan, date(2018, 3, 31)),
        user=admin_user(session),
    )
    assert admin.get(f"/published/{published.id}.pdf").status_code == 200
    if session.get_bind().dialect.name == "sqlite":
        triggers = session.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'published_file'"
            )
        ).scalars()
        for name in list(triggers):
            session.execute(text(f'DROP TRIGGER "{name}"'))  # rolled back with the test
    else:
        session.execute(text("ALTER TABLE published_file DISABLE TRIGGER ALL"))
    session.execute(
        text(
            "UPDATE published_file SET content = :forged WHERE report_id = :id AND format = 'pdf'"
        ),
        {"forged": b"%PDF-forged", "id": published.id},
    )
    session.expire_all()

    response = admin.get(f"/published/{published.id}.pdf")

    assert response.status_code == 500
    assert "does not match the checksum" in response.text
    assert b"%PDF-forged" not in response.content
    assert any("does not match its sha256" in record.getMessage() for record in caplog.records)
    assert admin.get(f"/published/{published.id}.csv").status_code == 200


def test_a_meeting_gets_one_report_of_each_kind(session, plan, meetings):
    meeting = meeting_on(meetings, 2018, 3)
    report = build_appendix(session, plan, date(2018, 3, 31))
    publish_report(session, plan=plan, meeting=meeting, report=report, user=admin_user(session))
    with pytest.raises(PublishError, match="already been published"):
        publish_report(session, plan=plan, meeting=meeting, report=report, user=admin_user(session))


def test_a_duplicate_published_meanwhile_is_refused_and_the_transaction_goes_on(
    session, plan, meetings, monkeypatch
):
    """Another worker publishes while this one renders the files: the database's unique
    constraint refuses the second, and only its insert is undone (the caller's transaction,
    with the other worker's report in it, carries on)."""
    meeting = meeting_on(meetings, 2018, 3)
    report = build_appendix(session, plan, date(2018, 3, 31))
    rendering = publishing.stored_formats

    def published_by_someone_else_meanwhile(kind):
        session.add(
            PublishedReport(
                plan_id=plan.id,
                meeting_id=meeting.id,
                kind=kind,
                title="The other worker's",
                as_at=report.as_at,
                published_at=datetime.now(UTC),
                model_json=report.model_dump_json(),
            )
        )
        session.flush()
        return rendering(kind)

    monkeypatch.setattr(publishing, "stored_formats", published_by_someone_else_meanwhile)
    with pytest.raises(PublishError, match="a moment ago"):
        publish_report(session, plan=plan, meeting=meeting, report=report, user=None)
    assert session.in_transaction()
    stored = session.exec(
        select(PublishedReport).where(
            PublishedReport.plan_id == plan.id, PublishedReport.meeting_id == meeting.id
        )
    ).all()
    assert [r.title for r in stored] == ["The other worker's"]


def test_the_comparison_lists_exactly_the_changes_between_two_snapshots(session, plan, meetings):
    admin = admin_user(session)
    first = publish_report(
        session,
        plan=plan,
        meeting=meeting_on(meetings, 2017, 12),
        report=build_appendix(session, plan, date(2017, 12, 31)),
        user=admin,
    )
    second = publish_report(
        session,
        plan=plan,
        meeting=meeting_on(meetings, 2018, 3),
        report=build_appendix(session, plan, date(2018, 3, 31)),
        user=admin,
    )
    assert previous_published(session, report=second).id == first.id
    old, new = load_model(first), load_model(second)
    comparison = compare_reports(old, new)
    before = {r.ref: r for r in old.all_actions}
    expected_completions = {
        r.ref
        for r in new.all_actions
        if r.stage == "complete" and before[r.ref].stage != "complete"
    }
    expected_rag = {
        r.ref for r in new.all_actions if r.rag and before[r.ref].rag and r.rag != before[r.ref].rag
    }
    assert {c.ref for c in comparison.new_completions} == expected_completions
    assert {c.ref for c in comparison.rag_changes} == expected_rag
    assert expected_completions and expected_rag
    assert comparison.new_actions == []


def test_publishing_through_the_pages(admin, session, plan, meetings):
    meeting = meeting_on(meetings, 2018, 3)
    response = admin.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"as_at": "2018-03-31", "meeting": meeting.id, "csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    page = admin.get(location)
    assert "exactly as it was published" in page.text
    assert "42 (79%)" in page.text
    pdf = admin.get(location + ".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    board = admin.get("/boards/OMCDB").text
    assert location in board
    again = admin.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"as_at": "2018-03-31", "meeting": meeting.id, "csrf_token": admin.csrf},
    )
    assert again.status_code == 409


def test_a_highlight_is_published_with_the_offices_wording(admin, session):
    plan = get_plan(session=session, slug="reduced-offending-2018-21")
    meeting = session.exec(select(Meeting).where(Meeting.held_on == date(2019, 5, 23))).first()
    response = admin.post(
        f"/plans/{plan.slug}/reports/highlight/publish",
        data={
            "meeting": meeting.id,
            "activity": "IOM model launched on 1 April.",
            "planned": "Dashboard to OMCDB.",
            "csrf_token": admin.csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = admin.get(response.headers["location"]).text
    assert "IOM model launched on 1 April." in page and "Dashboard to OMCDB." in page
    docx = admin.get(response.headers["location"] + ".docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")


def test_viewers_cannot_publish(viewer):
    from tests.conftest import csrf_from

    csrf = csrf_from(viewer.get("/").text)
    response = viewer.post(
        f"/plans/{SLUG}/reports/appendix/publish", data={"as_at": "2018-03-31", "csrf_token": csrf}
    )
    assert response.status_code == 403


class TestPublicView:
    @pytest.fixture
    def public_report(self, session, plan, meetings):
        plan.is_public = True
        session.add(plan)
        published = publish_report(
            session,
            plan=plan,
            meeting=meeting_on(meetings, 2018, 3),
            report=build_appendix(session, plan, date(2018, 3, 31)),
            user=admin_user(session),
        )
        private_plan = get_plan(session=session, slug="police-and-crime-plan-2021-24")
        private = publish_report(
            session,
            plan=private_plan,
            meeting=None,
            report=build_appendix(session, private_plan, date(2023, 10, 10)),
            user=admin_user(session),
        )
        session.flush()
        return published, private

    def test_anonymous_readers_see_the_public_plan_and_its_published_reports(
        self, app_client, public_report
    ):
        published, _ = public_report
        page = app_client.get(f"/public/plans/{SLUG}")
        assert page.status_code == 200
        assert "Prevention" in page.text and "Diversion" in page.text
        assert "P3" not in page.text  # actions are not a top level
        assert f"/public/published/{published.id}" in page.text
        report = app_client.get(f"/public/published/{published.id}")
        assert report.status_code == 200 and "42 (79%)" in report.text
        assert app_client.get(f"/public/published/{published.id}.pdf").content.startswith(b"%PDF")
        assert app_client.get(f"/public/published/{published.id}/changes").status_code == 200

    def test_nothing_unpublished_or_private_is_public(self, app_client, public_report):
        published, private = public_report
        hidden = [
            "/public/plans/police-and-crime-plan-2021-24",
            "/public/plans/no-such-plan",
            f"/public/published/{private.id}",
            f"/public/published/{private.id}.pdf",
            f"/public/published/{private.id}/changes",
            f"/public/published/{published.id}.exe",
        ]
        for path in hidden:
            assert app_client.get(path).status_code == 404, path
        signed_in_only = [
            "/",
            f"/plans/{SLUG}",
            f"/plans/{SLUG}/actions/P3",
            f"/plans/{SLUG}/reports/appendix",
            f"/plans/{SLUG}/reports/appendix.pdf",
            f"/plans/{SLUG}/reports/highlight",
            f"/published/{published.id}",
            f"/published/{published.id}.pdf",
            f"/published/{published.id}/changes",
            "/boards",
            "/boards/OMCDB",
        ]
        for path in signed_in_only:
            response = app_client.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/sign-in"
            ), path
        assert app_client.get("/api/v1/plans").status_code == 401


def test_the_office_turns_the_public_view_on_and_off(admin, app_client, session):
    from tests.conftest import csrf_from

    slug = "police-and-crime-plan-2021-24"
    assert app_client.get(f"/public/plans/{slug}").status_code == 404
    csrf = csrf_from(admin.get(f"/plans/{slug}").text)
    admin.post(f"/plans/{slug}/public", data={"public": "yes", "csrf_token": csrf})
    assert app_client.get(f"/public/plans/{slug}").status_code == 200
    admin.post(f"/plans/{slug}/public", data={"public": "no", "csrf_token": csrf})
    assert app_client.get(f"/public/plans/{slug}").status_code == 404


def test_an_update_saved_while_a_report_is_published_does_not_wait_for_its_files(
    own_database, monkeypatch
):
    """The files are rendered before the publication's write transaction begins: an update
    saved while the PDF is being made is recorded at once (on SQLite a write transaction holds
    the whole database, and a large plan's PDF takes seconds), and the publication completes."""
    url, engine = own_database
    monkeypatch.setattr(app.core.db, "get_engine", lambda: engine)
    rendering, saved = threading.Event(), threading.Event()
    released_by_the_save: list[bool] = []
    pdf = FORMATS["pdf"]

    def held_render(report):
        rendering.set()
        released_by_the_save.append(saved.wait(20))  # False: the update waited for the render
        return pdf.render(report)

    monkeypatch.setitem(FORMATS, "pdf", Format(pdf.media_type, held_render, pdf.is_text))
    with Session(engine) as session:
        ref, version = session.exec(
            select(Action.ref, Action.version)
            .join(Plan, Plan.id == Action.plan_id)
            .where(Plan.slug == UPDATED_PLAN)
            .order_by(Action.ref)
        ).first()
    web = create_app()
    with TestClient(web) as office, TestClient(web) as lead:
        office_csrf, lead_csrf = sign_in(office, "admin"), sign_in(lead, "admin")
        published: list = []
        publishing_thread = threading.Thread(
            target=lambda: published.append(
                office.post(
                    f"/plans/{SLUG}/reports/appendix/publish",
                    data={"as_at": "2018-03-31", "csrf_token": office_csrf},
                    follow_redirects=False,
                )
            )
        )
        publishing_thread.start()
        assert rendering.wait(60)
        update = lead.post(
            f"/plans/{UPDATED_PLAN}/actions/{ref}/updates",
            data={
                "csrf_token": lead_csrf,
                "version": str(version),
                "stage": "in_progress",
                "rag": "amber",
                "commentary": "Saved while the appendix was being published",
                "corrective_action": "",
                "effective_on": "2021-03-31",
            },
            follow_redirects=False,
        )
        saved.set()
        publishing_thread.join(120)

    assert update.status_code == 303, update.text[:500]
    assert released_by_the_save == [True]
    assert published[0].status_code == 303, published[0].text[:500]
    with Session(engine) as session:
        assert session.exec(
            select(StatusUpdate).where(
                StatusUpdate.commentary == "Saved while the appendix was being published"
            )
        ).one()
        report = session.exec(select(PublishedReport)).one()
        assert published[0].headers["location"] == f"/published/{report.id}"
        formats = set(session.exec(select(PublishedFile.format)))
        assert formats == {"pdf", "docx", "xlsx", "csv", "json"}
