"""Who may read which plans: the one place every edge (pages, files, the API, the feed) asks.

A principal is whoever a request acts for: a person signed in with the browser's cookie, or an
API token (a person's, or a named service's). ``readable_plan_ids`` is the single rule, and
everything else (boards, meetings, published reports, indicators) follows from it:

- **Access scoped by board.** The office may limit a viewer or an editor to the plans of some
  boards (``user_board`` rows); a person with no rows reads every plan. The office (admin) is
  never scoped, whatever rows it has. A plan that belongs to no board is outside every scope.
- **A token's restriction to plans.** A token reads only its plans, and never more than its
  holder could: a person's token is limited by the person's scope too (the intersection).
  A service's token has no person, so only its own restriction applies.

What a principal may not read is answered as not found (404), never forbidden (403), so that a
scoped person cannot learn that another board's plan, report or meeting exists.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from app.core.models import (
    ApiToken,
    Board,
    Plan,
    PlanIndicator,
    Role,
    TokenScope,
    User,
    UserBoard,
)
from app.domain.audit import record_event


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


# --- The rule ---------------------------------------------------------------------------------


def scoped_board_ids(session: Session, user: User) -> frozenset[int] | None:
    """The boards a person is limited to; None: not scoped (the office, a service's stand-in,
    or a person with no boards chosen)."""
    if user.id is None or user.role == Role.admin:
        return None
    boards = frozenset(session.exec(select(UserBoard.board_id).where(UserBoard.user_id == user.id)))
    return boards or None


def readable_plan_ids(session: Session, principal: Principal) -> frozenset[int] | None:
    """The ids of the plans the principal may read; None means every plan: the person's
    scope by board, narrowed further by a token's restriction to plans."""
    readable = principal.token_plan_ids
    boards = scoped_board_ids(session, principal.user)
    if boards is not None:
        in_scope = frozenset(session.exec(select(Plan.id).where(Plan.board_id.in_(boards))))
        readable = in_scope if readable is None else readable & in_scope
    return readable


def readable_board_ids(session: Session, principal: Principal) -> frozenset[int] | None:
    """The ids of the boards (their pages and meetings) the principal may read; None: every
    board. A scoped person reads the boards of their scope; a token restricted to plans reads
    the boards that own those plans."""
    boards = scoped_board_ids(session, principal.user)
    if principal.token_plan_ids is not None:
        owning = frozenset(
            session.exec(
                select(Plan.board_id).where(
                    Plan.id.in_(principal.token_plan_ids), Plan.board_id.is_not(None)
                )
            )
        )
        boards = owning if boards is None else boards & owning
    return boards


def readable_indicator_keys(session: Session, principal: Principal) -> frozenset[str] | None:
    """The indicators the principal may read: those a readable plan shows; None: every one."""
    plan_ids = readable_plan_ids(session, principal)
    if plan_ids is None:
        return None
    return frozenset(
        session.exec(select(PlanIndicator.indicator_key).where(PlanIndicator.plan_id.in_(plan_ids)))
    )


def among(plan_ids: frozenset[int] | None, plan_id: int | None) -> bool:
    """Whether a plan is among ``plan_ids`` (from ``readable_plan_ids``; None: every plan).
    Everything that names another plan (carried forward from or to it, its predecessor) names
    it only if this holds: a scoped reader never sees the title or the link of a plan it may
    not read."""
    return plan_ids is None or plan_id in plan_ids


def board_plan_ids(session: Session, plan: Plan) -> frozenset[int]:
    """The plans a report published for ``plan`` may name: its board's (a plan with no board:
    itself). A published report is kept as it was and read by anyone who may read its plan,
    a person scoped to the plan's board among them, so it names no other board's plan."""
    if plan.board_id is None:
        return frozenset({plan.id})
    return frozenset(session.exec(select(Plan.id).where(Plan.board_id == plan.board_id)))


def may_read_plan(session: Session, principal: Principal, plan: Plan) -> bool:
    readable = readable_plan_ids(session, principal)
    return readable is None or plan.id in readable


def may_read_board(session: Session, principal: Principal, board: Board) -> bool:
    readable = readable_board_ids(session, principal)
    return readable is None or board.id in readable


def may_read_indicator(session: Session, principal: Principal, key: str) -> bool:
    readable = readable_indicator_keys(session, principal)
    return readable is None or key in readable


# --- The office sets a person's scope ---------------------------------------------------------


class ScopeRejected(ValueError):
    """A scope that cannot be set; ``errors`` maps the field (``boards``) to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def user_boards(session: Session, user: User) -> list[Board]:
    """The boards a person is limited to, by short name (empty: not scoped)."""
    return list(
        session.exec(
            select(Board)
            .join(UserBoard, UserBoard.board_id == Board.id)
            .where(UserBoard.user_id == user.id)
            .order_by(Board.short_name)
        )
    )


@dataclass(frozen=True)
class AccountAccess:
    user: User
    boards: list[Board]  # empty: every plan (or the office: never scoped)

    @property
    def is_scoped(self) -> bool:
        return bool(self.boards) and self.user.role != Role.admin


def list_account_access(session: Session) -> list[AccountAccess]:
    """Every account with the boards it is limited to, for the office's page: two queries."""
    users = list(session.exec(select(User).order_by(User.email)))
    boards: dict[int, list[Board]] = {}
    for user_id, board in session.exec(
        select(UserBoard.user_id, Board)
        .join(Board, Board.id == UserBoard.board_id)
        .order_by(Board.short_name)
    ):
        boards.setdefault(user_id, []).append(board)
    return [AccountAccess(user=user, boards=boards.get(user.id, [])) for user in users]


def set_board_scope(
    session: Session,
    *,
    user: User,
    board_short_names: list[str] | tuple[str, ...],
    by: User | None,
    actor: str | None = None,
) -> list[Board]:
    """Limit a viewer or editor to these boards' plans (an empty list: every plan again).
    Audited with the boards before and after; nothing is written if anything is wrong, or if
    nothing changes."""
    names = list(dict.fromkeys(name.strip() for name in board_short_names if name.strip()))
    if names and user.role == Role.admin:
        raise ScopeRejected(
            {
                "boards": f"{user.email} is in the office (an admin), who reads every plan: "
                "only a viewer or an editor can be limited to boards."
            }
        )
    found = {
        board.short_name: board
        for board in session.exec(select(Board).where(Board.short_name.in_(names)))
    }
    unknown = [name for name in names if name not in found]
    if unknown:
        raise ScopeRejected(
            {
                "boards": "There is no board called "
                + ", ".join(f"'{name}'" for name in unknown)
                + "."
            }
        )
    chosen = sorted(found.values(), key=lambda board: board.short_name)
    before = [board.short_name for board in user_boards(session, user)]
    after = [board.short_name for board in chosen]
    if before == after:
        return chosen
    chosen_ids = {board.id for board in chosen}
    rows = session.exec(select(UserBoard).where(UserBoard.user_id == user.id)).all()
    for row in rows:
        if row.board_id not in chosen_ids:
            session.delete(row)
    for board_id in chosen_ids - {row.board_id for row in rows}:
        session.add(UserBoard(user_id=user.id, board_id=board_id))
    session.flush()
    summary = (
        f"Limited {user.email} to the plans of {', '.join(after)}"
        if after
        else f"Removed the limit by board on {user.email}: every plan"
    )
    record_event(
        session,
        user=by,
        actor=actor,
        verb="scope_user",
        entity_type="user",
        entity_id=user.id,
        summary=summary,
        before={"email": user.email, "boards": before},
        after={"email": user.email, "boards": after},
    )
    return chosen


def get_account(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
