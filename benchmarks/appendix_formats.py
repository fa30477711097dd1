"""How long each format of the appendix takes, relative to the HTML render of the same report.

    .venv/bin/python benchmarks/appendix_formats.py

Prints, for the demo appendix (53 actions) and a generated plan of 1,000 actions with 20
updates each, the time to build the report model and to render each format, with the ratio of
each to the HTML render. A fresh SQLite database is made for the run.
"""

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from app.domain.progress import get_plan  # noqa: E402
from app.reports.appendix import build_appendix  # noqa: E402
from app.reports.formats import FORMATS  # noqa: E402
from benchmarks._setup import best_of, fresh_database, generate_plan  # noqa: E402


def measure(engine, slug: str, as_at: date, repeat: int) -> dict[str, float]:
    with Session(engine) as session:
        plan = get_plan(session=session, slug=slug)
        timings = {"model": best_of(lambda: build_appendix(session, plan, as_at), repeat)}
        report = build_appendix(session, plan, as_at)
    for name, output in FORMATS.items():
        timings[name] = best_of(lambda output=output: output.render(report), repeat)
    return timings


def main() -> None:
    _, engine = fresh_database()
    generate_plan(engine, slug="generated-1000", actions=1000, updates_per_action=20)
    demo = measure(engine, "reducing-offending-2015-18", date(2018, 3, 31), repeat=5)
    large = measure(engine, "generated-1000", date(2021, 3, 31), repeat=2)
    print(
        f"{'step':<8}{'demo (53 actions)':>20}{'x HTML':>9}{'1,000 actions x 20':>22}{'x HTML':>9}"
    )
    for step in demo:
        print(
            f"{step:<8}{demo[step] * 1000:>17.1f} ms{demo[step] / demo['html']:>9.1f}"
            f"{large[step] * 1000:>19.1f} ms{large[step] / large['html']:>9.1f}"
        )
    print(
        f"\n1,000-action plan against the demo: model x{large['model'] / demo['model']:.1f}, "
        f"HTML x{large['html'] / demo['html']:.1f}, PDF x{large['pdf'] / demo['pdf']:.1f}"
    )


if __name__ == "__main__":
    main()
