"""Lineage and access scoped by board: an action carried forward between two boards' plans names
the other plan (its title, its link) only to a reader who may read it, on the action page, in the
API's action JSON, in the appendix and its files and in the feed; the plan itself is not found."""

from sqlmodel import select

from app.core.models import Action, Board, Plan, PlanStatus, User
from app.domain.access import set_board_scope
from app.domain.updates import frozen_reason
from tests.api.conftest import bearer
from tests.conftest import sign_in

NEW = "reduced-offending-2018-21"  # the OMCDB's; its P3 came from OLD's P3
OLD = "reducing-offending-2015-18"  # moved to the PFCP here, so another board's
NEW_TITLE = "Staffordshire Strategic Framework for Reduced Offending 2018-21"
OLD_TITLE = "Staffordshire Strategic Framework for Reducing Offending 2015-18"
VIEWER = "board.member@plantrack.example"


def plan(session, slug: str) -> Plan:
    return session.exec(select(Plan).where(Plan.slug == slug)).one()


def move_old_plan_to_another_board(session) -> None:
    old = plan(session, OLD)
    old.board_id = session.exec(select(Board.id).where(Board.short_name == "PFCP")).one()
    session.add(old)
    session.commit()


def scope(session, boards: list[str]) -> None:
    person = session.exec(select(User).where(User.email == VIEWER)).one()
    set_board_scope(session, user=person, board_short_names=boards, by=None)
    session.commit()


def leaks(text: str, slug: str, title: str) -> bool:
    return f"/plans/{slug}" in text or title in text


def test_a_scoped_viewer_sees_no_title_or_link_of_a_plan_it_may_not_read(
    app_client, make_token, session
):
    move_old_plan_to_another_board(session)
    sign_in(app_client, "viewer")
    token = bearer(make_token(person=VIEWER))
    reads = {
        "page": f"/plans/{NEW}/actions/P3",
        "plan page": f"/plans/{NEW}",
        "appendix": f"/plans/{NEW}/reports/appendix?as_at=2018-09-30",
        "appendix csv": f"/plans/{NEW}/reports/appendix.csv?as_at=2018-09-30",
        "api action": f"/api/v1/plans/{NEW}/actions/P3",
        "api appendix": f"/api/v1/plans/{NEW}/reports/appendix?as_at=2018-09-30",
        "feed": f"/api/v1/plans/{NEW}/actions-as-at.csv?as_at=2018-09-30",
    }

    def read_all() -> dict[str, str]:
        answers = {name: app_client.get(path, headers=token) for name, path in reads.items()}
        assert all(answer.status_code == 200 for answer in answers.values()), answers
        return {name: answer.text for name, answer in answers.items()}

    # Not scoped: the plan it came from is named and linked, everywhere that names it.
    unscoped = read_all()
    for name in ("page", "plan page", "appendix", "appendix csv"):
        assert leaks(unscoped[name], OLD, OLD_TITLE), name
    action = app_client.get(reads["api action"], headers=token).json()
    assert [link["plan"] for link in action["carried_forward_from"]] == [OLD]
    assert action["carried_forward_from"][0]["plan_title"] == OLD_TITLE
    appendix = app_client.get(reads["api appendix"], headers=token).json()
    assert any(row["ref"] == "P3" for row in appendix["carried_forward_in"])
    assert leaks(app_client.get(f"/plans/{OLD}/actions/P3").text, NEW, NEW_TITLE)

    # Scoped to the OMCDB: the other board's plan is neither named nor linked, and not found.
    scope(session, ["OMCDB"])
    scoped = read_all()
    for name, text in scoped.items():
        assert not leaks(text, OLD, OLD_TITLE), name
    assert ">Carried forward from</dt>" not in scoped["page"]
    assert ">Carried forward from</dt>" in unscoped["page"]
    action = app_client.get(reads["api action"], headers=token).json()
    assert action["carried_forward_from"] == [] and action["ref"] == "P3"
    appendix = app_client.get(reads["api appendix"], headers=token).json()
    assert appendix["carried_forward_in"] == [] and appendix["carried_forward_note"] == ""
    assert app_client.get(f"/plans/{OLD}/actions/P3").status_code == 404
    assert app_client.get(f"/api/v1/plans/{OLD}/actions/P3", headers=token).status_code == 404

    # The other way: scoped to the board the old plan now belongs to, where it went is unnamed.
    scope(session, ["PFCP"])
    old_page = app_client.get(f"/plans/{OLD}/actions/P3")
    assert old_page.status_code == 200 and ">Carried forward to</dt>" not in old_page.text
    assert not leaks(old_page.text, NEW, NEW_TITLE)
    old_action = app_client.get(f"/api/v1/plans/{OLD}/actions/P3", headers=token).json()
    assert old_action["carried_forward_to"] == []
    assert app_client.get(f"/plans/{NEW}/actions/P3").status_code == 404


def test_a_refused_update_names_the_successor_only_to_who_may_read_it(session):
    old = plan(session, OLD)
    old.status = PlanStatus.active  # not closed: refused because it was carried forward
    action = session.exec(select(Action).where(Action.plan_id == old.id, Action.ref == "P3")).one()
    named = frozen_reason(session=session, plan=old, action=action)
    assert "carried forward to Reduced Offending 2018-21 (P3)" in named
    unnamed = frozen_reason(session=session, plan=old, action=action, plan_ids=frozenset({old.id}))
    assert "carried forward to another plan" in unnamed and "Reduced Offending" not in unnamed


def test_a_published_appendix_names_only_its_own_boards_plans(admin_client, session):
    """A published report is kept as it was and read by anyone who reads its plan: it names
    no other board's plan, even when the office publishes it."""
    before = admin_client.get(f"/plans/{NEW}/reports/appendix.csv?as_at=2018-09-30")
    assert OLD_TITLE in before.text  # the office's own copy names it while on the same board
    move_old_plan_to_another_board(session)
    published = admin_client.post(
        f"/plans/{NEW}/reports/appendix/publish",
        data={"csrf_token": admin_client.csrf, "as_at": "2018-09-30"},
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text[:300]
    report = published.headers["location"]
    for path in (report, f"{report}.csv", f"{report}.json"):
        answer = admin_client.get(path)
        assert answer.status_code == 200, path
        assert "P3" in answer.text and not leaks(answer.text, OLD, OLD_TITLE), path
