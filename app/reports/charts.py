"""Indicator charts drawn with matplotlib: SVG for pages and PDF, PNG for Word.

Published reports must re-render byte-for-byte, so a chart depends on its section alone:
- ids in the SVG come from a fixed salt (svg.hashsalt), and the creation date is left out;
- text stays text (svg.fonttype "none"): no glyph outlines, searchable, and the same whatever
  fonts the host has; layout is measured with DejaVu Sans, which matplotlib ships itself;
- month names are spelled here, never through the process locale.

No pyplot: each chart is its own Figure, so no figure state is shared between threads. The few
rcParams read while saving (svg.*) are set once, below, to constants; drawing is serialised by a
lock because matplotlib does not promise thread safety, and charts are cached by their data.
"""

import html
import re
import textwrap
import threading
from datetime import date, timedelta
from functools import lru_cache
from io import BytesIO

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from app.domain.indicators import format_number  # noqa: E402
from app.domain.timescales import uk_date  # noqa: E402
from app.domain.trajectory import Trajectory  # noqa: E402
from app.reports.indicators import IndicatorSection  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "plantrack-indicator-chart"
matplotlib.rcParams["svg.fonttype"] = "none"

FONT = "DejaVu Sans"
# GOV.UK Frontend colours, each at least 4.5:1 against white.
LINE = "#1d70b8"
TARGET = "#00703c"
CHANGE = "#505a5f"
TEXT = "#0b0c0c"
HIGHLIGHT = "#ffdd00"
WATERMARK = "#b1b4b6"
SIZE_INCHES = (8.0, 4.5)
PNG_DPI = 150
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ILLUSTRATIVE = "Illustrative data"

_lock = threading.Lock()


def _month_year(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def _axis_number(section: IndicatorSection, value: float) -> str:
    text = format_number(round(value, 6))
    return f"{text}%" if section.unit in ("percent", "rate_percent") else text


def _y_limits(section: IndicatorSection, ax, numbers: list[float]) -> None:
    if not section.zero_baseline or not numbers:
        return
    top = max(numbers) * 1.2 if max(numbers) > 0 else 1.0
    if section.unit in ("percent", "rate_percent") and max(numbers) <= 100:
        top = min(top, 110.0)
    ax.set_ylim(0, top)


def _text(**overrides) -> dict:
    return {"family": FONT, "color": TEXT, "parse_math": False} | overrides


def _draw(section: IndicatorSection) -> Figure:
    figure = Figure(figsize=SIZE_INCHES, dpi=100, layout="constrained")
    ax = figure.add_subplot()
    # An illustrative chart keeps room at the title's right for its label.
    width = 52 if section.is_illustrative else 70
    ax.set_title(
        textwrap.fill(section.title, width), loc="left", **_text(fontsize=13, weight="bold")
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel(section.axis_label, **_text(fontsize=10))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _axis_number(section, value)))
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9, colors=TEXT)

    values = section.values
    numbers = [value for _, _, value in values]
    if section.target is not None:
        numbers.append(section.target.value)
    if not values:
        ax.text(
            0.5,
            0.5,
            "No figures to show" if section.left_out else "No figures yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            **_text(fontsize=12),
        )
        ax.set_xticks([])
        ax.set_yticks([])
    elif len(values) == 1:
        _draw_bar(section, ax)
    else:
        _draw_line(section, ax)
    _y_limits(section, ax, numbers)

    if section.target is not None:
        label = f"Target: {section.format(section.target.value)}"
        if section.target.label:
            label += f" ({section.target.label})"
        ax.axhline(section.target.value, color=TARGET, linestyle="--", linewidth=1.5, zorder=1)
        ax.annotate(
            label,
            (0.99, section.target.value),
            xycoords=ax.get_yaxis_transform(),
            textcoords="offset points",
            xytext=(0, 3),
            ha="right",
            va="bottom",
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            **_text(fontsize=9, color=TARGET),
        )
    if section.left_out:
        ax.text(
            0.0 if values else 0.01,
            -0.2 if values else 0.02,
            _left_out(section),
            transform=ax.transAxes,
            ha="left",
            va="top" if values else "bottom",
            **_text(fontsize=8, color=CHANGE),
        )
    if section.is_illustrative:
        # Across the plot, behind the data, and boxed beside the title: never mistaken for fact.
        ax.text(
            0.5,
            0.5,
            ILLUSTRATIVE.upper(),
            transform=ax.transAxes,
            ha="center",
            va="center",
            rotation=18,
            zorder=0,
            alpha=0.45,
            **_text(fontsize=38, weight="bold", color=WATERMARK),
        )
        ax.text(
            0.99,
            1.02,
            ILLUSTRATIVE,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            bbox={"boxstyle": "square,pad=0.4", "facecolor": HIGHLIGHT, "edgecolor": TEXT},
            **_text(fontsize=11, weight="bold"),
        )
    return figure


def _draw_bar(section: IndicatorSection, ax) -> None:
    label, _period_end, value = section.values[0]
    ax.bar([0], [value], width=0.5, color=LINE, zorder=2)
    ax.set_xlim(-1, 1)
    ax.set_xticks([0], [label], **_text(fontsize=10))
    ax.set_xlabel("Period", **_text(fontsize=10))
    # Inside the top of the bar, clear of a target line drawn near it, unless the bar is too short.
    inside = value > 0 and (section.target is None or value >= 0.15 * section.target.value)
    ax.annotate(
        section.format(value),
        (0, value),
        textcoords="offset points",
        xytext=(0, -6 if inside else 5),
        ha="center",
        va="top" if inside else "bottom",
        **_text(fontsize=11, weight="bold", color="white" if inside else TEXT),
    )


def _draw_line(section: IndicatorSection, ax) -> None:
    ends = [period_end for _, period_end, _ in section.values]
    numbers = [value for _, _, value in section.values]
    ax.plot(ends, numbers, color=LINE, linewidth=2.5, marker="o", markersize=6, zorder=3)
    span = (ends[-1] - ends[0]).days
    padding = timedelta(days=max(30, span // 15))
    ax.set_xlim(ends[0] - padding, ends[-1] + padding)
    gaps = [(later - earlier).days for earlier, later in zip(ends, ends[1:], strict=False)]
    if len(ends) <= 8 and min(gaps) >= span / 10:
        ax.set_xticks(ends, [_month_year(end) for end in ends])
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda number, _: _month_year(mdates.num2date(number).date()))
        )
    ax.set_xlabel("Period ending", **_text(fontsize=10))
    if len(ends) <= 12:
        for end, value in zip(ends, numbers, strict=True):
            ax.annotate(
                section.format(value),
                (end, value),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                va="bottom",
                **_text(fontsize=9),
            )
    changed = section.definition_changed_on
    if changed is not None and ends[0] <= changed <= ends[-1]:
        ax.axvline(changed, color=CHANGE, linestyle=":", linewidth=1.5, zorder=1)
        ax.text(
            changed,
            0.02,
            f" Definition changed {uk_date(changed)}",
            transform=ax.get_xaxis_transform(),
            ha="left",
            va="bottom",
            **_text(fontsize=8, color=CHANGE),
        )


def _left_out(section: IndicatorSection) -> str:
    count = len(section.left_out)
    return (
        f"Not shown: {count} figure{'s' if count > 1 else ''} no chart can place (see the caption)."
    )


def chart_description(section: IndicatorSection) -> str:
    """What the chart shows, in words, for its accessible name."""
    section = section.drawable()
    if section.left_out:
        return f"{_described(section)} {_left_out(section)}"
    return _described(section)


def _described(section: IndicatorSection) -> str:
    kind = "Bar chart" if len(section.values) == 1 else "Line chart"
    prefix = f"{ILLUSTRATIVE}. " if section.is_illustrative else ""
    if not section.values:
        none = f"{prefix}{section.title}: no figures {'to show' if section.left_out else 'yet'}."
        return f"{none} {section.better_words.capitalize()}."
    figures = "; ".join(f"{label}: {section.format(value)}" for label, _, value in section.values)
    if len(section.values) > 12:
        first, last = section.values[0], section.values[-1]
        figures = (
            f"{len(section.values)} figures, from {section.format(first[2])} ({first[0]}) "
            f"to {section.format(last[2])} ({last[0]})"
        )
    target = f" Target: {section.format(section.target.value)}." if section.target else ""
    return f"{prefix}{kind} of {section.title}. {figures}.{target} {section.trend}"


_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(url\(#|href="#)([^")]+)')
_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>.*?</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _presentation_attributes(match: re.Match) -> str:
    """style="fill: #fff; stroke-width: 0.8" as fill="#fff" stroke-width="0.8": the same drawing,
    with no inline style for the pages' Content-Security-Policy to refuse. Every property
    matplotlib writes (fill, stroke*, font-*, text-anchor, opacity) is an SVG attribute too."""
    declarations = (part.partition(":") for part in match[1].split(";"))
    return "".join(
        f' {name.strip()}="{value.strip()}"' for name, _colon, value in declarations if name.strip()
    )


def _svg_element(svg: str, section: IndicatorSection) -> str:
    """The indicator's <svg> element, fit to be inlined in HTML (see _inline_svg)."""
    prefix = re.sub(r"[^A-Za-z0-9-]", "-", f"chart-{section.key}-v{section.version}-")
    return _inline_svg(svg, prefix, chart_description(section))


def _inline_svg(svg: str, prefix: str, description: str) -> str:
    """The <svg> element alone, fit to be inlined in HTML: no XML prologue, its ids made unique
    to this chart by ``prefix`` (several charts share a page), an accessible name and a fluid
    width."""
    svg = svg[svg.index("<svg") :]
    svg = _METADATA.sub("", svg)
    # matplotlib's one rule (*{stroke-linejoin: round; stroke-linecap: butt}), as attributes of
    # the root, which every element inherits; then each style attribute as attributes.
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    svg = _STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    svg = _ID.sub(lambda match: f'id="{prefix}{match[1]}"', svg)
    svg = _REFERENCE.sub(lambda match: f"{match[1]}{prefix}{match[2]}", svg)
    description = html.escape(description, quote=True)
    opening_end = svg.index(">") + 1
    # Without width and height attributes the chart keeps its viewBox's proportions at any
    # width (browsers and WeasyPrint alike); report.css's pt-chart caps it at its drawn size.
    opening = _SIZE.sub("", svg[:opening_end]).replace(
        "<svg ",
        f'<svg role="img" aria-label="{description}" focusable="false" class="pt-chart" '
        'stroke-linejoin="round" stroke-linecap="butt" ',
        1,
    )
    return f"{opening}\n <title>{description}</title>{svg[opening_end:]}".rstrip() + "\n"


@lru_cache(maxsize=256)
def _render(section_json: str, file_format: str) -> bytes:
    section = IndicatorSection.model_validate_json(section_json)
    buffer = BytesIO()
    with _lock:
        figure = _draw(section)
        if file_format == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            figure.savefig(
                buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}, facecolor="white"
            )
    if file_format == "svg":
        return _svg_element(buffer.getvalue().decode("utf-8"), section).encode("utf-8")
    return buffer.getvalue()


def chart_svg(section: IndicatorSection) -> str:
    """The chart as an <svg> element to inline in a page or PDF: the same data always gives the
    same bytes. Whatever the section holds, a figure no axis can place is left out, and the
    chart says so."""
    return _render(section.drawable().model_dump_json(), "svg").decode("utf-8")


def chart_png(section: IndicatorSection) -> bytes:
    """The chart as a PNG image (1200 x 675 pixels) for Word."""
    return _render(section.drawable().model_dump_json(), "png")


# --- A plan's progress over time ---------------------------------------------------------------

DUE_LABEL = "Due by then (planned)"
COMPLETED_LABEL = "Completed by then"


def _draw_trajectory(trajectory: Trajectory) -> Figure:
    """Two lines, told apart by marker and dash as well as colour, each point labelled with its
    number while there are few enough to read."""
    points = trajectory.points
    figure = Figure(figsize=SIZE_INCHES, dpi=100, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Actions due and completed over time", loc="left", **_text(fontsize=13))
    days = [point.on for point in points]
    due = [point.due for point in points]
    completed = [point.completed for point in points]
    ax.plot(days, due, color=LINE, linewidth=2.5, marker="o", markersize=6, label=DUE_LABEL)
    ax.plot(
        days,
        completed,
        color=TARGET,
        linewidth=2.5,
        linestyle="--",
        marker="s",
        markersize=6,
        label=COMPLETED_LABEL,
    )
    top = max([*due, *completed, trajectory.total, 1])
    ax.set_ylim(0, top * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Actions", **_text(fontsize=10))
    span = max((days[-1] - days[0]).days, 1)
    padding = timedelta(days=max(20, span // 20))
    ax.set_xlim(days[0] - padding, days[-1] + padding)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda number, _: _month_year(mdates.num2date(number).date()))
    )
    if len(points) <= 12:
        for day, value in zip(days, due, strict=True):
            ax.annotate(
                str(value),
                (day, value),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                va="bottom",
                **_text(fontsize=9, color=LINE),
            )
        for day, value in zip(days, completed, strict=True):
            ax.annotate(
                str(value),
                (day, value),
                textcoords="offset points",
                xytext=(0, -9),
                ha="center",
                va="top",
                **_text(fontsize=9, color=TARGET),
            )
    ax.legend(loc="upper left", frameon=False, prop={"family": FONT, "size": 10})
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure


@lru_cache(maxsize=256)
def _render_trajectory(trajectory: Trajectory, file_format: str) -> bytes:
    buffer = BytesIO()
    with _lock:
        figure = _draw_trajectory(trajectory)
        if file_format == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            figure.savefig(
                buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}, facecolor="white"
            )
    if file_format == "svg":
        # One progress chart a page: a fixed prefix keeps the bytes the same in every process.
        svg = _inline_svg(
            buffer.getvalue().decode("utf-8"), "progress-chart-", trajectory.description
        )
        return svg.encode("utf-8")
    return buffer.getvalue()


def trajectory_svg(trajectory: Trajectory) -> str:
    """The plan's progress over time as an <svg> element for a page or PDF; "" with no points.
    The same figures always give the same bytes."""
    if not trajectory.points:
        return ""
    return _render_trajectory(trajectory, "svg").decode("utf-8")


def trajectory_png(trajectory: Trajectory) -> bytes:
    """The same chart as a PNG image for Word."""
    return _render_trajectory(trajectory, "png")
