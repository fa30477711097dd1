"""An outcome indicator in a Word file: heading, trend in words, the chart as a picture with its
alternative text, the table of the figures beneath and the caption.

The picture's alternative text is the chart's description (the same words as the page's
aria-label), set on the inline picture's docPr `descr`, where Word keeps "Alt Text".
"""

import io
from datetime import date

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm, Pt

from app.domain.timescales import uk_date
from app.reports.charts import chart_description, chart_png
from app.reports.indicators import IndicatorSection
from app.reports.safety import xml_safe


def add_indicator(document: Document, section: IndicatorSection, *, level: int = 2) -> None:
    section = section.drawable()
    # The heading, the trend and the chart stay together, never split at a page's foot.
    document.add_heading(
        xml_safe(section.title), level=level
    ).paragraph_format.keep_with_next = True
    document.add_paragraph(xml_safe(section.trend)).paragraph_format.keep_with_next = True
    document.add_picture(io.BytesIO(chart_png(section)), width=Cm(15))
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    docpr = document.inline_shapes[-1]._inline.docPr
    docpr.set("descr", xml_safe(chart_description(section)))
    docpr.set("title", xml_safe(f"Chart: {section.title}"))
    add_figures_table(document, section)
    caption = document.add_paragraph(xml_safe(section.caption))
    for run in caption.runs:
        run.font.size = Pt(9)


def add_figures_table(document: Document, section: IndicatorSection) -> None:
    """The chart's figures as a table: period, period ending, published and the value."""
    label = document.add_paragraph(xml_safe(f"{section.title}: the figures"))
    label.runs[0].bold = True
    label.paragraph_format.keep_with_next = True
    rows = section.rows()
    header = ("Period", "Period ending", "Published", section.axis_label)
    table = document.add_table(rows=1, cols=len(header), style="Table Grid")
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].paragraph_format.keep_with_next = True
    # Repeated at the top of every page the table runs onto.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    if not rows:
        cells = table.add_row().cells
        cells[0].text = "No figures yet."
        return
    for period, period_end, value, published in rows:
        cells = table.add_row().cells
        cells[0].text = xml_safe(period)
        cells[1].text = uk_date(period_end)
        cells[2].text = uk_date(published) if published else ""
        cells[3].text = section.format(value)
    for measure, name in ((section.baseline, "Baseline"), (section.target, "Target")):
        if measure is not None:
            cells = table.add_row().cells
            cells[0].text = xml_safe(f"{name}{f' ({measure.label})' if measure.label else ''}")
            cells[3].text = section.format(measure.value)


def add_indicators_section(
    document: Document, sections: list[IndicatorSection], as_at: date
) -> None:
    """The "Outcome indicators" part of a report, when it has any."""
    if not sections:
        return
    document.add_heading("Outcome indicators", level=1).paragraph_format.keep_with_next = True
    document.add_paragraph(
        f"The figures published by {uk_date(as_at)}: a figure published later is not shown, "
        "whatever its period."
    )
    for section in sections:
        add_indicator(document, section)
