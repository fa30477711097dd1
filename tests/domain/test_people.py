from sqlmodel import func, select

from app.core.models import Organisation, Person
from app.domain.people import Directory
from tests.factories import make_organisation


def count(session, table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_names_are_matched_ignoring_case_and_runs_of_spaces(session):
    directory = Directory(session)
    police = directory.find_organisation("Police")
    assert police is not None
    assert directory.find_organisation("  staffordshire   POLICE ") is police
    assert directory.organisation("police") is police
    assert directory.find_organisation("Constabulary") is None
    assert directory.created == {}


def test_a_new_organisation_and_role_are_created_once_and_counted(session):
    organisations, people = count(session, Organisation), count(session, Person)
    directory = Directory(session)
    made = directory.organisation("  New   Charity ")
    assert (made.short_name, made.name) == ("New Charity", "New Charity")
    assert directory.organisation("new charity") is made
    lead = directory.person(made.id, "Chief  Executive")
    assert lead.role == "Chief Executive"
    assert directory.person(made.id, "chief executive") is lead
    assert directory.find_person(made.id, "Treasurer") is None
    assert directory.created == {"organisations": 1, "people": 1}
    assert (count(session, Organisation), count(session, Person)) == (organisations + 1, people + 1)
    # A second directory reads what the first created.
    again = Directory(session)
    assert again.find_organisation("NEW CHARITY") is made
    assert again.get_person(lead.id) is lead and again.get_organisation(made.id) is made


def test_a_new_organisation_takes_the_fields_given(session):
    made = Directory(session).organisation("NC", name="New Charity", kind="voluntary")
    assert (made.short_name, made.name, made.kind) == ("NC", "New Charity", "voluntary")


def test_a_long_name_is_cut_to_the_width_of_its_columns(session):
    long_name = "A" * 250
    directory = Directory(session)
    made = directory.organisation(long_name)
    assert (len(made.short_name), len(made.name)) == (60, 200)
    assert len(directory.person(made.id, "R" * 250).role) == 200


def test_the_same_role_at_two_organisations_is_two_people(session):
    first, second = make_organisation(session), make_organisation(session)
    directory = Directory(session)
    assert directory.person(first.id, "Lead") is not directory.person(second.id, "Lead")
