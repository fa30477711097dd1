"""The PDF is rendered from the page's HTML by WeasyPrint and read back with pypdf."""

import io
import os
import subprocess
import sys

from pypdf import PdfReader

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
