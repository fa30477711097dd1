"""Owners: organisations and the roles within them. One find-or-create, one rule for matching.

Names are matched ignoring case and runs of spaces ("Staffordshire  police" is
"Staffordshire Police"), wherever a name comes from: the seed data, a spreadsheet or the
command line. A role is matched within its organisation.
"""

from sqlmodel import Session, select

from app.core.models import Organisation, Person

# Names are cut to the width of the columns that hold them.
_SHORT_NAME_LENGTH = Organisation.__table__.c.short_name.type.length
_NAME_LENGTH = Organisation.__table__.c.name.type.length
_ROLE_LENGTH = Person.__table__.c.role.type.length


def name_key(name: str) -> str:
    """The form in which two names are compared."""
    return " ".join(name.split()).casefold()


class Directory:
    """Every organisation and person, read once (two queries), then found or created on demand."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._organisations: dict[str, Organisation] = {}
        self._organisations_by_id: dict[int, Organisation] = {}
        for organisation in session.exec(select(Organisation).order_by(Organisation.id)):
            self._remember_organisation(organisation)
        self._people: dict[tuple[int, str], Person] = {}
        self._people_by_id: dict[int, Person] = {}
        for person in session.exec(select(Person).order_by(Person.id)):
            self._remember_person(person)
        self.created: dict[str, int] = {}

    def _remember_organisation(self, organisation: Organisation) -> None:
        self._organisations.setdefault(name_key(organisation.short_name), organisation)
        self._organisations.setdefault(name_key(organisation.name), organisation)
        self._organisations_by_id[organisation.id] = organisation

    def _remember_person(self, person: Person) -> None:
        self._people.setdefault((person.organisation_id, name_key(person.role)), person)
        self._people_by_id[person.id] = person

    def get_organisation(self, organisation_id: int | None) -> Organisation | None:
        return self._organisations_by_id.get(organisation_id)

    def get_person(self, person_id: int | None) -> Person | None:
        return self._people_by_id.get(person_id)

    def find_organisation(self, name: str) -> Organisation | None:
        """By short name or full name."""
        return self._organisations.get(name_key(name))

    def organisation(self, name: str, /, **fields) -> Organisation:
        """The organisation of that short or full name, created when new: named as given, unless
        ``fields`` say otherwise (the seed gives a full name and a kind)."""
        found = self.find_organisation(name)
        if found is None:
            clean = " ".join(name.split())
            values = {"short_name": clean[:_SHORT_NAME_LENGTH], "name": clean[:_NAME_LENGTH]}
            found = Organisation(**(values | fields))
            self.session.add(found)
            self.session.flush()
            self._count("organisations")
            self._remember_organisation(found)
        return found

    def find_person(self, organisation_id: int, role: str) -> Person | None:
        return self._people.get((organisation_id, name_key(role)))

    def person(self, organisation_id: int, role: str) -> Person:
        """The person holding that role at the organisation, created when new."""
        found = self.find_person(organisation_id, role)
        if found is None:
            clean = " ".join(role.split())
            found = Person(organisation_id=organisation_id, role=clean[:_ROLE_LENGTH])
            self.session.add(found)
            self.session.flush()
            self._count("people")
            self._remember_person(found)
        return found

    def _count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1
