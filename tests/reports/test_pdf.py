"""The PDF is rendered from the page's HTML by WeasyPrint and read back with pypdf."""

import io
import os
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from app.domain.progress import get_plan
from app.reports.appendix import build_appendix
from app.reports.render_html import render_html
from app.reports.render_pdf import render_pdf


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_says_42_of_53_and_79_percent(demo_report):
    report = demo_report
    reader = PdfReader(io.BytesIO(render_pdf(report)))
    text = " ".join(text_of(reader).split())
    assert (
        "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%) have been completed"
        in text
    )

    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    count = len(pages)
    assert count > 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        assert "As at 31 March 2018" in page
        assert "Progress Tracking report" in page

    # A4 landscape: 297 x 210 mm.
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)

    # Every action is in the PDF, and the action table's header repeats on every page it spans.
    for row in report.all_actions:
        assert row.ref in text
    # Every page of the theme sections (from the first theme to "Completed since") starts its
    # table with the header again; some theme spans several pages, so the repeat is exercised.
    first = next(i for i, p in enumerate(pages) if "Latest commentary" in p)
    last = next(i for i, p in enumerate(pages) if "Completed since" in p and i > first)
    theme_pages = pages[first:last]
    assert all("Ref Action Lead Due Stage RAG" in p for p in theme_pages)
    assert len(theme_pages) > len(report.themes)

    # Tagged for accessibility, with the language and title set.
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).lower() == "en-gb"
    assert reader.metadata.title.startswith("Progress Tracking report")
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


# The command line's PDF export, in a process of its own, then what that process loaded.
EXPORT_WITHOUT_THE_WEB = """
import sys
from app.cli import app

app(
    ["report", "appendix", "--plan", "reducing-offending-2015-18", "--as-at", "2018-03-31",
     "--format", "pdf", "-o", sys.argv[1]],
    standalone_mode=False,
)
web = sorted(name for name in sys.modules if name == "app.web" or name.startswith("app.web."))
assert not web, f"the PDF export loaded {web}"
"""


def test_the_command_line_pdf_export_loads_no_web_module(engine, tmp_path):
    target = tmp_path / "appendix.pdf"
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_WITHOUT_THE_WEB, str(target)],
        capture_output=True,
        text=True,
        env=os.environ
        | {"PLANTRACK_DATABASE_URL": engine.url.render_as_string(hide_password=False)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(text_of(PdfReader(target)).split())
    assert "Of the 53 actions scheduled for delivery by 31 March 2018, 42 (79%)" in text


# --- Print-ready: no heading, caption or table header left at the foot of a page -------------

DEMO_PLANS_AS_AT = [
    ("reducing-offending-2015-18", date(2018, 3, 31)),
    ("reduced-offending-2018-21", date(2019, 5, 23)),
    ("managing-offenders-2018-21", date(2021, 3, 31)),
    ("police-and-crime-plan-2021-24", date(2023, 10, 10)),
]


class _Headings(HTMLParser):
    """The texts the PDF prints as headings (h1-h3, visible captions) and table header rows,
    read from the HTML WeasyPrint lays out."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.header_rows: list[str] = []
        self._open: list[str] = []  # the heading-like elements we are inside
        self._text: list[str] = []
        self._in_thead = False
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag in ("h1", "h2", "h3") or (tag == "caption" and "visually-hidden" not in classes):
            self._open.append(tag)
            self._text = []
        elif tag == "thead":
            self._in_thead = True
        elif tag == "tr" and self._in_thead:
            self._row = []

    def handle_endtag(self, tag):
        if self._open and tag == self._open[-1]:
            self._open.pop()
            self.headings.append(" ".join("".join(self._text).split()))
        elif tag == "thead":
            self._in_thead = False
        elif tag == "tr" and self._in_thead and self._row:
            self.header_rows.append(" ".join(" ".join(self._row).split()))

    def handle_data(self, data):
        if self._open:
            self._text.append(data)
        if self._in_thead and data.strip():
            self._row.append(data.strip())


def _page_bodies(reader: PdfReader, report) -> list[str]:
    """Each page's text without its running header and footer (WeasyPrint's margin boxes)."""
    running = " ".join(f"{report.title} As at {report.as_at_text}".split())
    bodies = []
    for page in reader.pages:
        lines = [" ".join(line.split()) for line in page.extract_text().splitlines()]
        lines = [
            line
            for line in lines
            if line and line != running and not line.startswith("Produced by plantrack on")
        ]
        bodies.append(" ".join(lines))
    return bodies


@pytest.mark.parametrize(("slug", "as_at"), DEMO_PLANS_AS_AT)
def test_no_page_ends_with_a_heading_or_a_table_header(session, slug, as_at):
    report = build_appendix(session, get_plan(session=session, slug=slug), as_at)
    parser = _Headings()
    parser.feed(render_html(report, for_pdf=True))
    headings = [text for text in parser.headings if text]
    assert "Summary by theme" in headings and "Stages" in headings
    assert any(text.startswith("1. ") for text in headings)  # the first theme
    assert any("Latest commentary" in row for row in parser.header_rows)

    reader = PdfReader(io.BytesIO(render_pdf(report)))
    bodies = _page_bodies(reader, report)
    assert len(bodies) > 2
    for number, body in enumerate(bodies, start=1):
        assert body, f"page {number} is blank"
        for text in headings:
            # A chart repeats its heading as its own title, which the PDF's text may give last:
            # a heading left at a page's foot is the only place its words are on that page.
            alone = body.endswith(text) and body.count(text) == 1
            assert not alone, f"page {number} ends with the heading {text!r}"
        for row in parser.header_rows:
            assert not body.endswith(row), f"page {number} ends with a table header: {row!r}"


def test_the_pdf_draws_the_progress_over_time_with_its_figures(demo_report):
    reader = PdfReader(io.BytesIO(render_pdf(demo_report)))
    text = " ".join(text_of(reader).split())
    assert "Progress over time" in text
    assert "Due by then (planned)" in text and "Completed by then" in text  # the chart's legend
    last = demo_report.trajectory.points[-1]
    assert f"{last.label} {last.due} {last.completed} {last.completed_of_due} (79%)" in text
