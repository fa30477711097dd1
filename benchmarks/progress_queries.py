"""Queries and time of a plan's progress as its actions grow: 50, 500 and 5,000 actions.

    .venv/bin/python benchmarks/progress_queries.py

The number of SQL statements must not grow with the number of actions (no query per row); the
time may grow with the rows read. Prints each size against the 50-action plan.
"""

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.domain.progress import get_plan, progress_as_at  # noqa: E402
from app.reports.appendix import build_appendix  # noqa: E402
from benchmarks._setup import best_of, fresh_database, generate_plan  # noqa: E402

SIZES = (50, 500, 5000)


AS_AT = date(2021, 3, 31)


def count_statements(engine, work) -> int:
    statements = []

    def listener(*_args) -> None:
        statements.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def measure(engine, size: int) -> tuple[int, float, int, float]:
    with Session(engine) as session:
        plan = get_plan(session=session, slug=f"plan-{size}")

        def progress():
            return progress_as_at(session=session, plan=plan, as_at=AS_AT)

        def appendix():
            return build_appendix(session, plan, AS_AT)

        return (
            count_statements(engine, progress),
            best_of(progress),
            count_statements(engine, appendix),
            best_of(appendix, repeat=3),
        )


def main() -> None:
    _, engine = fresh_database()
    for size in SIZES:
        generate_plan(engine, slug=f"plan-{size}", actions=size, updates_per_action=10)
    results = {size: measure(engine, size) for size in SIZES}
    base = results[SIZES[0]]
    print(
        f"{'actions':>8}{'progress SQL':>14}{'time':>11}{'x 50':>7}"
        f"{'appendix SQL':>14}{'time':>11}{'x 50':>7}"
    )
    for size, (pq, pt, aq, at) in results.items():
        print(
            f"{size:>8}{pq:>14}{pt * 1000:>8.1f} ms{pt / base[1]:>7.1f}"
            f"{aq:>14}{at * 1000:>8.1f} ms{at / base[3]:>7.1f}"
        )


if __name__ == "__main__":
    main()
