"""Shared set-up for the benchmarks: a fresh, migrated SQLite database with the demo data and
a generated plan of any size. Benchmarks print ratios; nothing here is a timed test."""

import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import insert
from sqlmodel import Session, select

from app.core.db import make_engine
from app.core.migrations import alembic_config
from app.core.models import Action, Plan, StatusUpdate, Theme
from app.domain.seed import load_seed


def migrate(url: str) -> None:
    config = alembic_config()
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def fresh_database() -> tuple[str, object]:
    path = Path(tempfile.mkdtemp(prefix="plantrack-bench-")) / "bench.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session)
        session.commit()
    return url, engine


def generate_plan(
    engine, *, slug: str, actions: int, updates_per_action: int, seed: int = 1
) -> None:
    """A plan of ``actions`` actions in 5 themes, each with ``updates_per_action`` updates."""
    rng = random.Random(seed)
    start = date(2019, 4, 1)
    with Session(engine) as session:
        plan = Plan(
            slug=slug,
            title=f"Generated plan of {actions} actions",
            short_title=slug,
            period_start=start,
            period_end=date(2022, 3, 31),
            status="active",
        )
        session.add(plan)
        session.flush()
        themes = [Theme(plan_id=plan.id, position=i, title=f"Theme {i}") for i in range(1, 6)]
        session.add_all(themes)
        session.flush()
        session.execute(
            insert(Action),
            [
                dict(
                    plan_id=plan.id,
                    theme_id=themes[i % 5].id,
                    ref=f"G{i}",
                    position=i,
                    title=f"Generated action {i} with a title of ordinary length for a plan",
                    description="",
                    due_date=start + timedelta(days=rng.randint(90, 1090)),
                    due_label="",
                    provenance="illustrative",
                    version=1,
                )
                for i in range(1, actions + 1)
            ],
        )
        ids = session.exec(select(Action.id).where(Action.plan_id == plan.id)).all()
        rows = []
        for action_id in ids:
            day = start
            for n in range(updates_per_action):
                day = day + timedelta(days=rng.randint(10, 50))
                last = n == updates_per_action - 1
                stage = "complete" if last and rng.random() < 0.5 else "in_progress"
                rag = None if stage != "in_progress" else rng.choice(["green", "amber", "red"])
                rows.append(
                    dict(
                        action_id=action_id,
                        recorded_at=datetime.combine(day, datetime.min.time(), UTC),
                        effective_on=day,
                        stage=stage,
                        rag=rag,
                        commentary=f"Update {n}: progress reported to the delivery group, "
                        "next steps agreed.",
                        corrective_action="Escalated to the board." if rag == "red" else "",
                        review_state="approved",
                        review_note="",
                    )
                )
        session.execute(insert(StatusUpdate), rows)
        session.commit()


def best_of(function, repeat: int = 5) -> float:
    """The fastest of several runs, in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)
