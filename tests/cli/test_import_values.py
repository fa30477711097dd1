"""`plantrack import values`: indicator values from a CSV file, each with its published date."""

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlmodel import Session, select

from app.core.models import Indicator, IndicatorValue

KEY = "days-recorded-crime-to-charge"


@pytest.fixture
def plantrack(own_database):
    """The real command against a database of this module's own: the import commits."""
    url, _engine = own_database

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *arguments],
            capture_output=True,
            text=True,
            env=os.environ | {"PLANTRACK_DATABASE_URL": url},
            timeout=120,
        )

    return run


def stored(engine) -> list[tuple[date, date]]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(IndicatorValue.period_end, IndicatorValue.published_on)
                .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                .where(Indicator.key == KEY)
                .order_by(IndicatorValue.period_end)
            )
        )


def test_values_are_imported_with_their_published_date_or_today(plantrack, own_database, tmp_path):
    engine = own_database[1]
    before = stored(engine)
    csv = tmp_path / "values.csv"
    csv.write_text(
        "indicator,period,period_end,value,Date published\n"
        f"{KEY},Q2 2023/24,30/09/2023,70,10/11/2023\n"
        f"{KEY},Q3 2023/24,31/12/2023,68,\n"
    )
    checked = plantrack("import", "values", str(csv), "--dry-run")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "row 2: days-recorded-crime-to-charge, Q2 2023/24" in checked.stdout
    assert "published 2023-11-10" in checked.stdout
    assert stored(engine) == before

    result = plantrack("import", "values", str(csv))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Imported 2 values." in result.stdout
    assert stored(engine)[-2:] == [
        (date(2023, 9, 30), date(2023, 11, 10)),
        (date(2023, 12, 31), date.today()),
    ]


def test_a_value_published_before_its_period_ends_is_refused_and_nothing_written(
    plantrack, own_database, tmp_path
):
    engine = own_database[1]
    before = stored(engine)
    csv = tmp_path / "values.csv"
    csv.write_text(
        "indicator,period_end,value,published\n"
        f"{KEY},2024-03-31,65,2024-04-02\n"
        f"{KEY},2024-06-30,64,2024-06-01\n"
    )
    result = plantrack("import", "values", str(csv))
    assert result.returncode == 2
    assert "row 3, published: The date published, 1 June 2024, is before the period ends" in (
        result.stdout
    )
    assert "nothing was imported" in result.stderr + result.stdout
    assert stored(engine) == before
