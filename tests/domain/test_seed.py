import shutil
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.core.models import Action, Board, Indicator, Plan, StatusUpdate, User
from app.domain.people import Directory
from app.domain.seed import SEED_DIRECTORY, SeedError, load_seed


def test_loading_the_seed_again_creates_nothing(session):
    before = session.exec(select(func.count()).select_from(StatusUpdate)).one()
    assert load_seed(session) == {}
    assert session.exec(select(func.count()).select_from(StatusUpdate)).one() == before


def test_the_demo_has_its_four_plans_and_users(session):
    slugs = set(session.exec(select(Plan.slug)))
    assert {
        "reducing-offending-2015-18",
        "reduced-offending-2018-21",
        "managing-offenders-2018-21",
        "police-and-crime-plan-2021-24",
    } <= slugs
    roles = [user.role for user in session.exec(select(User))]
    assert roles.count("admin") >= 1 and roles.count("viewer") >= 1 and roles.count("editor") >= 4


def test_carried_forward_actions_link_to_their_originals(session):
    refresh = session.exec(select(Plan).where(Plan.slug == "reduced-offending-2018-21")).one()
    carried = session.exec(
        select(Action).where(Action.plan_id == refresh.id, Action.carried_forward_from_id != None)  # noqa: E711
    ).all()
    assert len(carried) == 11
    for action in carried:
        original = session.get(Action, action.carried_forward_from_id)
        assert original.ref == action.ref
        assert session.get(Plan, original.plan_id).slug == "reducing-offending-2015-18"


@pytest.fixture
def broken_seed(tmp_path) -> Path:
    copy = tmp_path / "seed_data"
    shutil.copytree(SEED_DIRECTORY, copy)
    return copy


def add_changed_plan(seed: Path, old: str, new: str) -> None:
    """Turn one demo plan into a new one (not loaded yet) whose first ``old`` reads ``new``."""
    plan_file = seed / "plans" / "reduced-offending-2018-21.yaml"
    plan_file.write_text(
        plan_file.read_text()
        .replace("slug: reduced-offending-2018-21", "slug: a-new-plan", 1)
        .replace(old, new, 1)
    )


def test_a_bad_seed_file_is_refused_with_its_place_and_nothing_is_written(session, broken_seed):
    add_changed_plan(broken_seed, "due: ", "due: Q5 2018/19 #")
    before = session.exec(select(func.count()).select_from(Plan)).one()
    with pytest.raises(SeedError, match="Q5 2018/19"):
        load_seed(session, broken_seed)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Plan)).one() == before


def test_an_unknown_key_in_a_seed_file_is_an_error(session, broken_seed):
    users = broken_seed / "users.yaml"
    users.write_text(users.read_text().replace("role:", "rôle:", 1))
    with pytest.raises(SeedError, match="users"):
        load_seed(session, broken_seed)


def test_an_organisation_missing_from_organisations_yaml_is_an_error(session, broken_seed):
    # Known to the database (an import made it) but not listed in the seed: still unknown.
    Directory(session).organisation("Imported Charity")
    add_changed_plan(broken_seed, "lead_organisation: ", "lead_organisation: Imported Charity #")
    with pytest.raises(SeedError, match="unknown organisation 'Imported Charity'"):
        load_seed(session, broken_seed)
    session.rollback()


def test_seed_names_are_matched_as_every_name_is(session, broken_seed):
    """Ignoring case and runs of spaces, by short or full name, as app.domain.people does."""
    add_changed_plan(
        broken_seed, "lead_organisation: ", "lead_organisation: staffordshire  POLICE #"
    )
    created = load_seed(session, broken_seed)
    assert "organisations" not in created and created["plans"] == 1
    session.rollback()


def test_the_demo_cites_its_documents_by_title_never_by_file_name(session):
    """Sources print document titles ("Police, Fire and Crime Panel report, 10 October 2023"),
    never the name of the file they were read from ("seeds/002")."""
    printed = [
        *session.exec(select(Indicator.data_source)),
        *session.exec(select(Plan.source)),
        *session.exec(select(Plan.description)),
        *session.exec(select(Action.description)),
        *session.exec(select(Board.description)),
    ]
    assert len(printed) > 100
    assert [text for text in printed if "seeds/" in (text or "")] == []
    assert any(
        "Police, Fire and Crime Panel report, 10 October 2023" in (text or "") for text in printed
    )
