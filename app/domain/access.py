"""Who may read which plans: the one place every edge (the API today, pages later) asks.

A principal is whoever a request acts for: a person signed in with the browser's cookie, or an
API token (a person's, or a named service's). ``readable_plan_ids`` is the single rule; a later
limit (access scoped by board) narrows it here and every caller follows.
"""

from dataclasses import dataclass

from sqlmodel import Session

from app.core.models import ApiToken, Plan, Role, TokenScope, User


@dataclass(frozen=True)
class Principal:
    # The person; for a service's token a stand-in account that is never saved (id None).
    user: User
    token: ApiToken | None = None
    # The plans the token is restricted to; None: no restriction by the token.
    token_plan_ids: frozenset[int] | None = None

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def is_service(self) -> bool:
        return self.token is not None and self.token.user_id is None

    @property
    def may_write(self) -> bool:
        """A cookie session writes what its role allows; a token only if it is a write token."""
        return self.token is None or self.token.scope == TokenScope.write

    @property
    def is_office(self) -> bool:
        return self.user.role == Role.admin

    @property
    def actor(self) -> str:
        """How the audit trail names who acted: the person, and the token they used."""
        if self.token is None:
            return self.user.email
        if self.is_service:
            return f"token:{self.token.name}"
        return f"{self.user.email} (token {self.token.name})"


def cookie_principal(user: User) -> Principal:
    return Principal(user=user)


def readable_plan_ids(session: Session, principal: Principal) -> frozenset[int] | None:
    """The ids of the plans the principal may read; None means every plan.

    Today only a token's restriction to plans narrows it. (``session`` is for the rules still to
    come, such as access scoped by board, which need the database.)"""
    del session
    return principal.token_plan_ids


def may_read_plan(session: Session, principal: Principal, plan: Plan) -> bool:
    readable = readable_plan_ids(session, principal)
    return readable is None or plan.id in readable
