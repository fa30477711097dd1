import json
import os
import subprocess
import sys

import pytest


def test_progress_json_for_the_demo_framework(plantrack):
    result = plantrack(
        "progress", "--plan", "reducing-offending-2015-18", "--as-at", "2018-03-31", "--json"
    )
    assert result.returncode == 0, result.stderr
    progress = json.loads(result.stdout)
    assert progress["scheduled"] == 53
    assert progress["complete"] == 42
    assert progress["in_progress"] == 11
    assert progress["not_started"] == 0
    assert progress["overdue"] == 0
    assert progress["percent_complete"] == 79
    assert progress["total"] == 53
    assert len(progress["by_theme"]) == 3
    assert sum(theme["complete"] for theme in progress["by_theme"]) == 42


def test_a_closed_plan_is_read_as_at_its_end_date_without_as_at(plantrack):
    # The same rule as the web and the API (app/domain/as_at.py), not "as at today".
    result = plantrack("progress", "--plan", "reducing-offending-2015-18", "--json")
    assert result.returncode == 0, result.stderr
    progress = json.loads(result.stdout)
    assert progress["as_at"] == "2018-03-31"
    assert progress["scheduled"] == 53
    assert progress["complete"] == 42
    assert progress["in_progress"] == 11
    assert progress["carried_forward"] == 0
    assert progress["percent_complete"] == 79


def test_the_appendix_of_a_closed_plan_is_as_at_its_end_date_without_as_at(plantrack):
    result = plantrack(
        "report", "appendix", "--plan", "reducing-offending-2015-18", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    appendix = json.loads(result.stdout)
    assert appendix["as_at"] == "2018-03-31"
    assert appendix["headline"].startswith(
        "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%) have been completed"
    )


@pytest.mark.parametrize(
    "dates, message",
    [
        (
            ["--since", "2018-04-01"],
            "'Changes since' (1 April 2018) must be before the as-at date (31 March 2018).",
        ),
        (
            ["--as-at", "2017-12-31", "--since", "2017-12-31"],
            "'Changes since' (31 December 2017) must be before the as-at date (31 December 2017).",
        ),
    ],
    ids=["since after the default as-at", "since on the as-at date"],
)
def test_a_since_not_before_the_as_at_date_is_a_one_line_error(plantrack, dates, message):
    result = plantrack(
        "report", "appendix", "--plan", "reducing-offending-2015-18", "--format", "csv", *dates
    )
    assert result.returncode == 2
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""


def test_the_appendix_is_written_whole_to_a_file(plantrack, tmp_path):
    target = tmp_path / "appendix.html"
    target.write_text("last quarter's appendix")
    result = plantrack(
        "report", "appendix", "--plan", "reducing-offending-2015-18", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"Wrote {target} (")
    assert "42 (79%) have been completed" in target.read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["appendix.html"]


def test_an_appendix_that_cannot_be_written_gets_a_one_line_error(plantrack, tmp_path):
    target = tmp_path / "no-such-folder" / "appendix.html"
    result = plantrack(
        "report", "appendix", "--plan", "reducing-offending-2015-18", "-o", str(target)
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: could not write {target}: No such file or directory\n"


def test_progress_as_text_prints_the_headline(plantrack):
    result = plantrack("progress", "--plan", "reducing-offending-2015-18", "--as-at", "2018-03-31")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Of the 53 actions scheduled for delivery by 31 March 2018")


@pytest.mark.parametrize(
    "arguments, code, message",
    [
        (
            ["--plan", "no-such-plan", "--as-at", "2018-03-31"],
            2,
            "no plan with slug 'no-such-plan'",
        ),
        (
            ["--plan", "reducing-offending-2015-18", "--as-at", "31/03/2018"],
            2,
            "--as-at: '31/03/2018' is not a date in the form YYYY-MM-DD",
        ),
        (
            ["--plan", "reducing-offending-2015-18", "--as-at", "2018-02-30"],
            2,
            "'2018-02-30' is not a date",
        ),
    ],
    ids=["unknown plan", "UK-style date", "impossible date"],
)
def test_bad_input_gets_a_clear_error_not_a_traceback(plantrack, arguments, code, message):
    result = plantrack("progress", *arguments)
    assert result.returncode == code
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr + result.stdout


def test_seed_is_idempotent(plantrack):
    result = plantrack("seed")
    assert result.returncode == 0, result.stderr
    assert "nothing to do" in result.stdout


def test_a_database_without_tables_gets_told_to_upgrade(tmp_path):
    environment = os.environ | {"PLANTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "progress", "--plan", "x"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 1
    assert "run `plantrack db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr
