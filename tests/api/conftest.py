"""API tests act as clients do: with a bearer token made by the office."""

import pytest
from sqlmodel import select

from app.core.models import User
from app.domain.tokens import create_token


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def make_token(session):
    """make_token(name, scope, holder e-mail or None for a service, plans=...) -> its secret."""
    office = session.exec(select(User).where(User.email == "admin@plantrack.example")).one()

    def make(name="client", scope="read", person=None, plans=(), days=30) -> str:
        created = create_token(
            session,
            name=name,
            scope=scope,
            expires_in_days=days,
            person_email=person,
            service=None if person else f"{name} service",
            plan_slugs=list(plans),
            created_by=office,
        )
        session.commit()
        return created.secret

    return make
