"""The layers of DESIGN.md hold: import-linter's contract passes on the tree, and it would fail
on an upward import (so the check in `make test` can catch one)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_tree(tmp_path) -> Path:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_its_layers(copy_of_the_tree):
    result = lint_imports(copy_of_the_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "complaint"),
    [
        (
            "app/domain/progress.py",
            "import app.reports.appendix",
            "app.domain is not allowed to import app.reports",
        ),
        (
            "app/domain/status.py",
            "import app.web.templating",
            "app.domain is not allowed to import app.web",
        ),
        (
            "app/reports/render_csv.py",
            "import app.web.templating",
            "app.reports is not allowed to import app.web",
        ),
        (
            "app/core/models.py",
            "import app.domain.status",
            "app.core is not allowed to import app.domain",
        ),
        (
            "app/web/plan_pages.py",
            "import app.api.router",
            "app.web is not allowed to import app.api",
        ),
    ],
)
def test_a_planted_upward_import_breaks_the_contract(copy_of_the_tree, module, planted, complaint):
    target = copy_of_the_tree / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the test\n")
    result = lint_imports(copy_of_the_tree)
    assert result.returncode != 0
    assert complaint in " ".join(result.stdout.split())
