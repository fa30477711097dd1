"""Error pages, rendered as served: after the request's own database session has closed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.conftest import sign_in


def test_a_404_for_a_signed_in_user_whose_session_was_just_touched(own_app_client, own_database):
    engine = own_database[1]
    sign_in(own_app_client, "viewer")
    # The next request records activity (a commit) before the page turns out not to exist.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE auth_session SET last_seen_at = :t WHERE revoked_at IS NULL"),
            {"t": datetime.now(UTC) - timedelta(minutes=5)},
        )
    response = own_app_client.get("/plans/no-such-plan")
    assert response.status_code == 404
    assert "There is no plan called" in response.text
    assert "OMCDB member" in response.text  # the navigation still knows who is signed in


def test_a_readable_page_for_a_server_error_without_a_traceback(own_app_client, monkeypatch):
    import app.web.plan_pages

    def broken(**_kwargs):
        raise RuntimeError("simulated failure")

    sign_in(own_app_client, "viewer")
    monkeypatch.setattr(app.web.plan_pages, "read_plan_summaries", broken)
    response = own_app_client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text and "simulated failure" not in response.text
