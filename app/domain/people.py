"""Owners: organisations and the roles within them. One find-or-create, one rule for matching.

Names are matched ignoring case and runs of spaces ("Staffordshire  police" is
"Staffordshire Police"), wherever a name comes from: the seed data, a spreadsheet or the
command line. A role is matched within its organisation.
"""

from sqlmodel import Session, select

from app.core.models import Organisation, Person


def name_key(name: str) -> str:
    """The form in which two names are compared."""
    return " ".join(name.split()).casefold()


class Directory:
    """Every organisation and person, read once (two queries), then found or created on demand."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._organisations: dict[str, Organisation] = {}
        for organisation in session.exec(select(Organisation).order_by(Organisation.id)):
            self._organisations.setdefault(name_key(organisation.short_name), organisation)
            self._organisations.setdefault(name_key(organisation.name), organisation)
        self._people: dict[tuple[int, str], Person] = {
            (person.organisation_id, name_key(person.role)): person
            for person in session.exec(select(Person).order_by(Person.id))
        }
        self.created: dict[str, int] = {}

    def find_organisation(self, name: str) -> Organisation | None:
        """By short name or full name."""
        return self._organisations.get(name_key(name))

    def organisation(self, name: str, **fields) -> Organisation:
        """The organisation of that short or full name, created (name as given) when new."""
        found = self.find_organisation(name)
        if found is None:
            clean = " ".join(name.split())
            values = {"short_name": clean[:60], "name": clean[:200]} | fields
            found = Organisation(**values)
            self.session.add(found)
            self.session.flush()
            self._count("organisations")
            for key in (found.short_name, found.name):
                self._organisations.setdefault(name_key(key), found)
        return found

    def find_person(self, organisation_id: int, role: str) -> Person | None:
        return self._people.get((organisation_id, name_key(role)))

    def person(self, organisation_id: int, role: str) -> Person:
        """The person holding that role at the organisation, created when new."""
        found = self.find_person(organisation_id, role)
        if found is None:
            found = Person(organisation_id=organisation_id, role=" ".join(role.split())[:200])
            self.session.add(found)
            self.session.flush()
            self._count("people")
            self._people[(organisation_id, name_key(role))] = found
        return found

    def _count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1
