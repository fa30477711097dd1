"""The outcome-indicator part of a report: one typed section per indicator a plan has chosen.

A section holds everything its chart, caption and data table are drawn from, so a published
report that stores its sections re-renders the same charts whatever happens to the indicator
afterwards.
"""

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, computed_field
from sqlmodel import Session

from app.core.models import Indicator, IndicatorValue, Plan
from app.domain.indicators import (
    EARLIEST_PERIOD_END,
    LATEST_PERIOD_END,
    format_number,
    is_figure,
    is_period_end,
    read_indicator_versions,
    read_plan_indicator_keys,
    read_values_by_key,
    read_versions_by_key,
    version_as_at,
)
from app.domain.timescales import uk_date

# unit -> (axis label, suffix after a figure)
UNITS = {
    "percent": ("Percent (%)", "%"),
    "rate_percent": ("Rate (%)", "%"),
    "count": ("Number", ""),
    "days": ("Days", " days"),
}
# Measures whose size is read from zero: a truncated axis would exaggerate a change.
ZERO_BASELINE_UNITS = {"percent", "rate_percent", "count", "days"}

# Which way is better, in the words every format prints after the trend.
BETTER_WORDS = {
    "higher": "higher is better",
    "lower": "lower is better",
    "neither": "neither higher nor lower is better",
}
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
}  # fmt: skip

# "April 2012 to March 2013 cohort": a period that is itself a range, ending in a year.
_RANGE_LABEL = re.compile(r"^(?P<start>\D*\d{4}) to (?P<end>\D*\d{4})(?P<suffix> \w+)?$")


def is_drawable(period_end: date, value: float) -> bool:
    """Whether a stored figure can go on a chart and in a report: figures recorded before
    periods and sizes were checked may hold a year such as 0024, or no real number."""
    return is_period_end(period_end) and is_figure(value)


def _in_period(label: str) -> str:
    """A period named mid-sentence: "in June 2022", "in Q1 2023/24", "in the year to March 2018",
    "for the April 2012 to March 2013 cohort"."""
    if label.endswith(" cohort"):
        return f"for the {label}"
    first = label.split(" ", 1)[0]
    if first[:1].isupper() and first.lower() not in _MONTHS and not first.startswith("Q"):
        return f"in the {first.lower()}{label[len(first) :]}"
    return f"in {label}"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    suffix = UNITS[unit][1] if unit in UNITS else f" {unit}"
    return f"{format_number(value)}{suffix}"


class IndicatorMeasure(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: float
    label: str = ""


class IndicatorSection(BaseModel):
    """One indicator as a report shows it: its definition as at the report's date and its
    values up to that date, as (period label, period end, value), in period order."""

    model_config = ConfigDict(frozen=True)

    key: str
    version: int
    title: str
    unit: str
    better: str
    geography: str = ""
    data_source: str
    lag_note: str = ""
    baseline: IndicatorMeasure | None = None
    target: IndicatorMeasure | None = None
    is_illustrative: bool = False
    values: list[tuple[str, date, float]] = []
    # When each value was published, in the order of values (empty in reports stored before
    # publication dates were recorded).
    published: list[date] = []
    # The report's date: only values published by then are held.
    known_at: date | None = None
    definition_changed_on: date | None = None
    # Stored figures no chart or report can show (a period ending in the year 24, say), each
    # described; the caption says they were left out, and the office withdraws them.
    left_out: list[str] = []

    def drawable(self) -> "IndicatorSection":
        """This section with only what a chart can draw: any other figure (and a target no
        chart can scale to) moved to left_out, described. The same section if there is none."""
        keep = [is_drawable(item[1], item[2]) for item in self.values]
        values = [item for item, kept in zip(self.values, keep, strict=True) if kept]
        published = (
            [day for day, kept in zip(self.published, keep, strict=False) if kept]
            if self.published
            else []
        )
        odd = [
            f"{label} (period ending {period_end.isoformat()}): {self._odd(value)}"
            for label, period_end, value in self.values
            if not is_drawable(period_end, value)
        ]
        target = self.target
        if target is not None and not is_figure(target.value):
            odd.append(f"the target: {self._odd(target.value)}")
            target = None
        if not odd:
            return self
        return self.model_copy(
            update={
                "values": values,
                "published": published,
                "target": target,
                "left_out": [*self.left_out, *odd],
            }
        )

    def _odd(self, value: float) -> str:
        return self.format(value) if is_figure(value) else f"{value:g}"

    @property
    def axis_label(self) -> str:
        return UNITS.get(self.unit, (self.unit.replace("_", " ").capitalize(), ""))[0]

    @property
    def zero_baseline(self) -> bool:
        return self.unit in ZERO_BASELINE_UNITS

    def format(self, value: float | None) -> str:
        """A figure with its unit, as the table and chart print it: 63%, 1,962, 74 days."""
        return format_value(value, self.unit)

    def rows(self) -> list[tuple[str, date, float, date | None]]:
        """(period label, period end, value, date published or None) for the table of figures."""
        published = self.published if len(self.published) == len(self.values) else []
        return [
            (label, period_end, value, published[index] if published else None)
            for index, (label, period_end, value) in enumerate(self.values)
        ]

    @computed_field
    @property
    def better_words(self) -> str:
        """ "higher is better", "lower is better" or "neither higher nor lower is better"."""
        return BETTER_WORDS.get(self.better, BETTER_WORDS["neither"])

    @computed_field
    @property
    def trend(self) -> str:
        """The latest change in words, with the better direction: "Up from 63% in June 2022 to
        67% in July 2023, higher is better." Every format prints this sentence."""
        if not self.values:
            known = f" published by {uk_date(self.known_at)}" if self.known_at else " yet"
            return f"No figures{known}; {self.better_words}."
        *_, (label, _, value) = self.values
        if len(self.values) == 1:
            return (
                f"{self.format(value)} {_in_period(label)}, the only figure so far; "
                f"{self.better_words}."
            )
        before_label, _, before = self.values[-2]
        if value == before:
            return (
                f"Unchanged at {self.format(value)} {_in_period(before_label)} and "
                f"{_in_period(label)}, {self.better_words}."
            )
        return (
            f"{'Up' if value > before else 'Down'} from {self.format(before)} "
            f"{_in_period(before_label)} to {self.format(value)} {_in_period(label)}, "
            f"{self.better_words}."
        )

    @property
    def period_range(self) -> str:
        if not self.values:
            return ""
        first, last = self.values[0][0], self.values[-1][0]
        if len(self.values) == 1 or first == last:
            return first
        start, end = _RANGE_LABEL.match(first), _RANGE_LABEL.match(last)
        if start and end and start["suffix"] == end["suffix"]:
            suffix = f"{start['suffix']}s" if start["suffix"] else ""
            return f"{start['start']}–{end['end']}{suffix}"
        if " to " in first or " to " in last:
            return f"{first} – {last}"
        return f"{first} to {last}"

    @computed_field
    @property
    def caption(self) -> str:
        """Measure, period, data source and publication lag, in sentences."""
        measure = ", ".join(part for part in (self.title, self.geography) if part)
        period = self.period_range
        none = "no figures to show" if self.left_out else "no figures yet"
        sentences = [f"{measure}, {period}." if period else f"{measure}: {none}."]
        sentences.append(f"Source: {self.data_source.rstrip('.')}.")
        if self.lag_note:
            sentences.append(self.lag_note.rstrip(".") + ".")
        if self.known_at:
            sentences.append(f"Figures as published by {uk_date(self.known_at)}.")
        if self.definition_changed_on:
            sentences.append(f"The definition changed on {uk_date(self.definition_changed_on)}.")
        if self.is_illustrative:
            sentences.append("Illustrative data, not real figures.")
        if self.left_out:
            sentences.append(
                f"Left out, as no chart can show {'it' if len(self.left_out) == 1 else 'them'} "
                f"(periods must end between {uk_date(EARLIEST_PERIOD_END)} and "
                f"{uk_date(LATEST_PERIOD_END)}): {'; '.join(self.left_out)}."
            )
        return " ".join(sentences)


def section_for(
    indicator: Indicator,
    values: list[IndicatorValue],
    *,
    definition_changed_on: date | None,
    known_at: date | None = None,
) -> IndicatorSection:
    return IndicatorSection(
        key=indicator.key,
        version=indicator.version,
        title=indicator.title,
        unit=indicator.unit,
        better=indicator.better,
        geography=indicator.geography,
        data_source=indicator.data_source,
        lag_note=indicator.lag_note,
        baseline=(
            IndicatorMeasure(value=indicator.baseline_value, label=indicator.baseline_label)
            if indicator.baseline_value is not None
            else None
        ),
        target=(
            IndicatorMeasure(value=indicator.target_value, label=indicator.target_label)
            if indicator.target_value is not None
            else None
        ),
        is_illustrative=indicator.is_illustrative,
        values=[(value.period_label, value.period_end, value.value) for value in values],
        published=[value.published_on for value in values],
        known_at=known_at,
        definition_changed_on=definition_changed_on,
    ).drawable()


def _changed_on(version: Indicator) -> date | None:
    return version.valid_from if version.version > 1 else None


def build_indicator_sections(session: Session, plan: Plan, as_at: date) -> list[IndicatorSection]:
    """The plan's chosen indicators in its order, each as defined on as_at, with the values
    published by as_at (the rule is app.domain.indicators.known_by). Three queries, however many
    indicators and values."""
    keys = read_plan_indicator_keys(session, plan)
    versions = read_versions_by_key(session, keys)
    values = read_values_by_key(session, keys, as_at=as_at)
    sections = []
    for key in keys:
        indicator = version_as_at(versions[key], as_at)
        if indicator is None:
            continue
        sections.append(
            section_for(
                indicator,
                values[key],
                definition_changed_on=_changed_on(indicator),
                known_at=as_at,
            )
        )
    return sections


def build_indicator_section(
    session: Session, key: str, *, as_at: date | None = None
) -> IndicatorSection | None:
    """One indicator as at a date (None: its current definition and every value)."""
    indicator = version_as_at(read_indicator_versions(session, key), as_at)
    if indicator is None:
        return None
    values = read_values_by_key(session, [key], as_at=as_at)[key]
    return section_for(
        indicator, values, definition_changed_on=_changed_on(indicator), known_at=as_at
    )
