"""Who may read which plans (app.domain.access): access scoped by board, a token's restriction
to plans, and the two together; the office sets a person's boards, audited."""

import json

import pytest
from sqlmodel import select

from app.core.models import AuditEvent, Board, Plan, PlanIndicator, User, UserBoard
from app.domain.access import (
    ScopeRejected,
    cookie_principal,
    list_account_access,
    may_read_board,
    may_read_indicator,
    may_read_plan,
    readable_board_ids,
    readable_indicator_keys,
    readable_plan_ids,
    set_board_scope,
    user_boards,
)
from app.domain.tokens import authenticate, create_token

VIEWER = "board.member@plantrack.example"
EDITOR = "iom.lead@plantrack.example"
OFFICE = "admin@plantrack.example"


def user(session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def board(session, short_name: str) -> Board:
    return session.exec(select(Board).where(Board.short_name == short_name)).one()


def plan_ids_of(session, *short_names: str) -> frozenset[int]:
    ids = {board(session, name).id for name in short_names}
    return frozenset(session.exec(select(Plan.id).where(Plan.board_id.in_(ids))))


def events(session) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.verb == "scope_user").order_by(AuditEvent.id)
        )
    )


def test_with_no_boards_a_person_reads_every_plan_as_before(session):
    principal = cookie_principal(user(session, VIEWER))
    assert readable_plan_ids(session, principal) is None
    assert readable_board_ids(session, principal) is None
    assert readable_indicator_keys(session, principal) is None


@pytest.mark.parametrize("email", [VIEWER, EDITOR])
def test_a_scoped_person_reads_only_their_boards_plans_boards_and_indicators(session, email):
    person = user(session, email)
    set_board_scope(session, user=person, board_short_names=["OMCDB"], by=None)
    principal = cookie_principal(person)
    omcdb = plan_ids_of(session, "OMCDB")
    assert len(omcdb) == 2
    assert readable_plan_ids(session, principal) == omcdb
    assert readable_board_ids(session, principal) == {board(session, "OMCDB").id}
    keys = set(
        session.exec(select(PlanIndicator.indicator_key).where(PlanIndicator.plan_id.in_(omcdb)))
    )
    assert keys and readable_indicator_keys(session, principal) == keys
    police = session.exec(select(Plan).where(Plan.slug == "police-and-crime-plan-2021-24")).one()
    assert not may_read_plan(session, principal, police)
    assert not may_read_board(session, principal, board(session, "PFCP"))
    assert may_read_board(session, principal, board(session, "OMCDB"))
    assert not may_read_indicator(session, principal, "confidence-in-police")
    assert may_read_indicator(session, principal, "reoffending-rate-adult")


def test_several_boards_add_up_and_a_plan_of_no_board_is_outside_every_scope(session):
    person = user(session, VIEWER)
    set_board_scope(session, user=person, board_short_names=["OMCDB", "PFCP"], by=None)
    readable = readable_plan_ids(session, cookie_principal(person))
    assert readable == plan_ids_of(session, "OMCDB", "PFCP")
    orphan = session.exec(select(Plan).where(Plan.slug == "managing-offenders-2018-21")).one()
    orphan.board_id = None
    session.add(orphan)
    session.flush()
    assert orphan.id not in readable_plan_ids(session, cookie_principal(person))
    assert may_read_plan(session, cookie_principal(user(session, OFFICE)), orphan)


def test_the_office_is_never_scoped_even_with_rows(session):
    office = user(session, OFFICE)
    # Rows left from when the account was an editor, say: the office still reads everything.
    session.add(UserBoard(user_id=office.id, board_id=board(session, "OMCDB").id))
    session.flush()
    assert readable_plan_ids(session, cookie_principal(office)) is None
    assert readable_board_ids(session, cookie_principal(office)) is None


def token_principal(session, secret: str):
    principal = authenticate(session, secret, use="test")
    assert principal is not None
    return principal


def make_token(session, name: str, *, person: str | None, plans: list[str]) -> str:
    return create_token(
        session,
        name=name,
        scope="read",
        expires_in_days=30,
        person_email=person,
        service=None if person else "A council's system",
        plan_slugs=plans,
        created_by=user(session, OFFICE),
    ).secret


def test_a_persons_token_is_limited_by_the_persons_scope_too(session):
    person = user(session, VIEWER)
    set_board_scope(session, user=person, board_short_names=["OMCDB"], by=None)
    omcdb = plan_ids_of(session, "OMCDB")
    unrestricted = token_principal(session, make_token(session, "all", person=VIEWER, plans=[]))
    assert readable_plan_ids(session, unrestricted) == omcdb
    own = token_principal(
        session, make_token(session, "own", person=VIEWER, plans=["reduced-offending-2018-21"])
    )
    assert readable_plan_ids(session, own) == {
        session.exec(select(Plan.id).where(Plan.slug == "reduced-offending-2018-21")).one()
    }
    # A token restricted to another board's plan reads nothing: the person could not.
    beyond = token_principal(
        session,
        make_token(session, "beyond", person=VIEWER, plans=["police-and-crime-plan-2021-24"]),
    )
    assert readable_plan_ids(session, beyond) == frozenset()
    assert readable_board_ids(session, beyond) == frozenset()
    assert readable_indicator_keys(session, beyond) == frozenset()


def test_a_token_restricted_to_plans_reads_their_boards_and_a_service_has_no_person_scope(
    session,
):
    secret = make_token(session, "svc", person=None, plans=["police-and-crime-plan-2021-24"])
    principal = token_principal(session, secret)
    assert readable_board_ids(session, principal) == {board(session, "PFCP").id}
    assert "confidence-in-police" in readable_indicator_keys(session, principal)
    service = token_principal(session, make_token(session, "svc-all", person=None, plans=[]))
    assert readable_plan_ids(session, service) is None


def test_setting_a_scope_is_audited_with_the_boards_before_and_after(session):
    office, person = user(session, OFFICE), user(session, EDITOR)
    set_board_scope(session, user=person, board_short_names=["PFCP", "OMCDB", " "], by=office)
    assert [b.short_name for b in user_boards(session, person)] == ["OMCDB", "PFCP"]
    set_board_scope(session, user=person, board_short_names=["OMCDB"], by=office)
    set_board_scope(session, user=person, board_short_names=["OMCDB"], by=office)  # no change
    set_board_scope(session, user=person, board_short_names=[], by=office)
    recorded = events(session)
    assert [
        (json.loads(e.before_json)["boards"], json.loads(e.after_json)["boards"]) for e in recorded
    ] == [
        ([], ["OMCDB", "PFCP"]),
        (["OMCDB", "PFCP"], ["OMCDB"]),
        (["OMCDB"], []),
    ]
    assert all(e.entity_id == person.id and e.actor == OFFICE for e in recorded)
    assert "every plan" in recorded[-1].summary
    assert readable_plan_ids(session, cookie_principal(person)) is None


def test_an_unknown_board_or_an_admin_is_refused_and_nothing_is_written(session):
    person = user(session, VIEWER)
    set_board_scope(session, user=person, board_short_names=["OMCDB"], by=None)
    with pytest.raises(ScopeRejected) as refused:
        set_board_scope(session, user=person, board_short_names=["PFCP", "NOSUCH"], by=None)
    assert refused.value.errors == {"boards": "There is no board called 'NOSUCH'."}
    assert [b.short_name for b in user_boards(session, person)] == ["OMCDB"]
    with pytest.raises(ScopeRejected, match="only a viewer or an editor"):
        set_board_scope(session, user=user(session, OFFICE), board_short_names=["OMCDB"], by=None)
    assert len(events(session)) == 1


def test_the_office_sees_every_account_with_its_boards(session):
    set_board_scope(session, user=user(session, VIEWER), board_short_names=["OMCDB"], by=None)
    rows = {row.user.email: row for row in list_account_access(session)}
    assert rows[VIEWER].is_scoped and [b.short_name for b in rows[VIEWER].boards] == ["OMCDB"]
    assert not rows[EDITOR].is_scoped and rows[EDITOR].boards == []
    assert not rows[OFFICE].is_scoped
