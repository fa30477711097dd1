"""Outcome indicators: definitions kept as versions, their dated values, a plan's choice of them.

A changed definition is a new Indicator row (version + 1, superseding the one before, valid from
a date), never an edit in place, so a report as at an earlier date still shows the definition
it was made with and can say when the definition changed.

The values of an indicator are one series per key: a value belongs to the version that was
current when it was recorded, and a period can hold only one value across all versions.

Each value records the date it was published, and what was known on a date is the values
published by then (`known_by`): a report as at 1 June 2018 does not show the proven reoffending
rate of a cohort ending March 2017, published in January 2019. A value is never published before
its period ends (a check in the database), so "published by the date" also means "for a period
that had ended by then".

A recorded figure is never overwritten by a new one for its period, but the office may correct a
figure that was wrong (its value or note, in place) or withdraw it with a reason (the row is
removed, so charts and reports no longer show it). Both are audited with the figure before and
after, and the audit log, append-only in the database, is where the indicator's page reads the
withdrawn figures and the corrections from.
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from app.core.models import (
    AuditEvent,
    Better,
    Indicator,
    IndicatorValue,
    Plan,
    PlanIndicator,
    User,
)
from app.domain.audit import record_event
from app.domain.timescales import Timescale, read_timescale, uk_date

# --- Reading -------------------------------------------------------------------------------------


def known_by(as_at: date):
    """The one rule of what was known on a date: the values published on or before it."""
    return IndicatorValue.published_on <= as_at


def latest_versions(indicators: list[Indicator]) -> dict[str, Indicator]:
    """The highest version of each key among the given rows."""
    latest: dict[str, Indicator] = {}
    for indicator in indicators:
        if indicator.key not in latest or indicator.version > latest[indicator.key].version:
            latest[indicator.key] = indicator
    return latest


def version_as_at(versions: list[Indicator], as_at: date | None) -> Indicator | None:
    """The version in force on a date: the latest one whose valid_from is on or before it (the
    first version, with no valid_from, is in force from the beginning). None means today's."""
    ordered = sorted(versions, key=lambda indicator: indicator.version)
    if not ordered:
        return None
    if as_at is None:
        return ordered[-1]
    in_force = [v for v in ordered if v.valid_from is None or v.valid_from <= as_at]
    return in_force[-1] if in_force else ordered[0]


def list_latest_indicators(session: Session, keys: frozenset[str] | None = None) -> list[Indicator]:
    """The current definition of every indicator (among ``keys``; None: every one), by title."""
    query = select(Indicator)
    if keys is not None:
        query = query.where(Indicator.key.in_(keys))
    latest = latest_versions(list(session.exec(query)))
    return sorted(latest.values(), key=lambda indicator: (indicator.title.lower(), indicator.key))


def read_latest_indicator(session: Session, key: str) -> Indicator | None:
    return session.exec(
        select(Indicator).where(Indicator.key == key).order_by(Indicator.version.desc()).limit(1)
    ).first()


def read_indicator_versions(session: Session, key: str) -> list[Indicator]:
    """Every version of one indicator, oldest first."""
    return list(
        session.exec(select(Indicator).where(Indicator.key == key).order_by(Indicator.version))
    )


def read_indicator_values(
    session: Session, key: str, *, as_at: date | None = None
) -> list[IndicatorValue]:
    """The series of one indicator across all its versions, in period order; as_at: only the
    values published by then."""
    query = (
        select(IndicatorValue)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.key == key)
    )
    if as_at is not None:
        query = query.where(known_by(as_at))
    return list(session.exec(query.order_by(IndicatorValue.period_end, IndicatorValue.id)))


def read_values_by_key(
    session: Session, keys: list[str], *, as_at: date | None = None
) -> dict[str, list[IndicatorValue]]:
    """The series of several indicators in one query, each in period order; as_at: only the
    values published by then."""
    series: dict[str, list[IndicatorValue]] = {key: [] for key in keys}
    if not keys:
        return series
    query = (
        select(Indicator.key, IndicatorValue)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.key.in_(keys))
    )
    if as_at is not None:
        query = query.where(known_by(as_at))
    for key, value in session.exec(query.order_by(IndicatorValue.period_end, IndicatorValue.id)):
        series[key].append(value)
    return series


def read_plan_indicator_keys(session: Session, plan: Plan) -> list[str]:
    """The keys of the indicators a plan has chosen, in the plan's order."""
    return list(
        session.exec(
            select(PlanIndicator.indicator_key)
            .where(PlanIndicator.plan_id == plan.id)
            .order_by(PlanIndicator.position, PlanIndicator.indicator_key)
        )
    )


def read_plan_indicators(
    session: Session, plan: Plan, *, as_at: date | None = None
) -> list[Indicator]:
    """A plan's chosen indicators, in its order, each as defined on as_at (None: today's)."""
    keys = read_plan_indicator_keys(session, plan)
    versions = read_versions_by_key(session, keys)
    chosen = [version_as_at(versions[key], as_at) for key in keys]
    return [indicator for indicator in chosen if indicator is not None]


def read_versions_by_key(session: Session, keys: list[str]) -> dict[str, list[Indicator]]:
    versions: dict[str, list[Indicator]] = {key: [] for key in keys}
    if not keys:
        return versions
    for indicator in session.exec(
        select(Indicator).where(Indicator.key.in_(keys)).order_by(Indicator.key, Indicator.version)
    ):
        versions[indicator.key].append(indicator)
    return versions


def read_plans_by_indicator(
    session: Session, plan_ids: frozenset[int] | None = None
) -> dict[str, list[Plan]]:
    """For each indicator key, the plans that chose it (among ``plan_ids``; None: every plan),
    by title."""
    plans: dict[str, list[Plan]] = {}
    query = (
        select(PlanIndicator.indicator_key, Plan)
        .join(Plan, Plan.id == PlanIndicator.plan_id)
        .order_by(Plan.title)
    )
    if plan_ids is not None:
        query = query.where(Plan.id.in_(plan_ids))
    rows = session.exec(query)
    for key, plan in rows:
        plans.setdefault(key, []).append(plan)
    return plans


# --- Definitions and their changes --------------------------------------------------------------

# What a revision may change, and how the history names each field.
DEFINITION_FIELDS = {
    "title": "Title",
    "unit": "Unit",
    "better": "Which direction is better",
    "data_source": "Data source",
    "lag_note": "Publication lag",
    "geography": "Geography",
    "baseline_value": "Baseline",
    "baseline_label": "Baseline period",
    "target_value": "Target",
    "target_label": "Target date",
    "is_illustrative": "Illustrative data",
}
# The longest text each field may hold: the width of the column that stores it.
TEXT_LIMITS = {
    name: Indicator.__table__.c[name].type.length
    for name in (
        "title",
        "unit",
        "data_source",
        "lag_note",
        "geography",
        "baseline_label",
        "target_label",
    )
}
_REQUIRED = {"title", "unit", "data_source"}


class IndicatorError(ValueError):
    """A definition or value that cannot be saved; errors maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


class UnknownIndicator(LookupError):
    pass


def definition_of(indicator: Indicator) -> dict:
    return {name: getattr(indicator, name) for name in DEFINITION_FIELDS}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: object
    after: object


@dataclass(frozen=True)
class DefinitionChange:
    """Version `version` replaced version `version - 1` from `valid_from`."""

    version: int
    valid_from: date | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def summary(self) -> str:
        changed = ", ".join(change.label.lower() for change in self.changes) or "no fields"
        when = f" on {uk_date(self.valid_from)}" if self.valid_from else ""
        return f"Definition changed{when} (version {self.version}): {changed}."


def definition_changes(session: Session, key: str) -> list[DefinitionChange]:
    """Each revision of an indicator's definition, oldest first, with the fields it changed."""
    versions = read_indicator_versions(session, key)
    history = []
    for before, after in zip(versions, versions[1:], strict=False):
        old, new = definition_of(before), definition_of(after)
        history.append(
            DefinitionChange(
                version=after.version,
                valid_from=after.valid_from,
                changes=[
                    FieldChange(name, DEFINITION_FIELDS[name], old[name], new[name])
                    for name in DEFINITION_FIELDS
                    if old[name] != new[name]
                ],
            )
        )
    return history


def _clean_definition_changes(current: Indicator, changes: dict) -> dict:
    unknown = sorted(set(changes) - set(DEFINITION_FIELDS))
    if unknown:
        raise IndicatorError({name: f"'{name}' is not part of a definition" for name in unknown})
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for name, value in changes.items():
        if name in TEXT_LIMITS:
            text = " ".join(str(value or "").split())
            if name in _REQUIRED and not text:
                errors[name] = f"Enter the {DEFINITION_FIELDS[name].lower()}"
            elif len(text) > TEXT_LIMITS[name]:
                errors[name] = (
                    f"{DEFINITION_FIELDS[name]} must be {TEXT_LIMITS[name]} characters or fewer"
                )
            cleaned[name] = text
        elif name == "better":
            if value not in {b.value for b in Better}:
                errors[name] = "Choose whether higher or lower is better, or neither"
            cleaned[name] = str(value)
        elif name in ("baseline_value", "target_value"):
            if value is None or value == "":
                cleaned[name] = None
            else:
                try:
                    cleaned[name] = parse_number(value)
                except ValueError as error:
                    errors[name] = str(error)
        elif name == "is_illustrative":
            cleaned[name] = bool(value)
    if errors:
        raise IndicatorError(errors)
    return {name: value for name, value in cleaned.items() if getattr(current, name) != value}


def revise_indicator(
    session: Session,
    key: str,
    changes: dict,
    user: User | None,
    *,
    valid_from: date | None = None,
    reason: str = "",
) -> Indicator:
    """A new version of the definition with `changes` applied; the old version is left as it was.

    Raises UnknownIndicator, or IndicatorError when nothing changes or a field is invalid. Two
    people revising at once collide on the (key, version) unique key; the caller rolls back.
    """
    current = read_latest_indicator(session, key)
    if current is None:
        raise UnknownIndicator(f"There is no indicator '{key}'.")
    effective = valid_from or date.today()
    if not is_period_end(effective):
        raise IndicatorError({"valid_from": _out_of_range(effective)})
    if current.valid_from is not None and effective < current.valid_from:
        raise IndicatorError(
            {
                "valid_from": "The new definition must take effect on or after "
                f"{uk_date(current.valid_from)}, when version {current.version} took effect",
            }
        )
    changed = _clean_definition_changes(current, changes)
    if not changed:
        raise IndicatorError({"definition": "Nothing in the definition has changed"})
    revised = Indicator(
        **(definition_of(current) | changed),
        key=current.key,
        version=current.version + 1,
        supersedes_id=current.id,
        valid_from=effective,
    )
    session.add(revised)
    session.flush()
    record_event(
        session,
        user=user,
        verb="revise",
        entity_type="indicator",
        entity_id=revised.id,
        summary=(
            f"Revised the definition of '{key}' (version {revised.version} from "
            f"{uk_date(effective)}): {', '.join(sorted(changed))}"
            + (f". Reason: {reason.strip()}" if reason.strip() else "")
        ),
        before={name: getattr(current, name) for name in changed} | {"version": current.version},
        after=changed | {"version": revised.version, "valid_from": effective},
    )
    return revised


# --- Values --------------------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")

MAX_PERIOD_LABEL = IndicatorValue.__table__.c.period_label.type.length
MAX_NOTE = IndicatorValue.__table__.c.note.type.length
# Why a figure was corrected or withdrawn: it goes into the audit log's JSON.
MAX_REASON = 500
# The periods a figure may cover. A date outside them is a slip of the keyboard (0024 for 2024),
# which no chart or report can place on a time axis.
EARLIEST_PERIOD_END = date(1900, 1, 1)
LATEST_PERIOD_END = date(2100, 12, 31)
# The largest figure either way: beyond it a number is a slip too, and charts cannot scale to it.
MAX_FIGURE = 1e15


def is_period_end(day: date) -> bool:
    return EARLIEST_PERIOD_END <= day <= LATEST_PERIOD_END


def is_figure(value: float) -> bool:
    return math.isfinite(value) and abs(value) <= MAX_FIGURE


def _out_of_range(day: date) -> str:
    return (
        f"{day.isoformat()} is not a date plantrack can chart: it must be between "
        f"{uk_date(EARLIEST_PERIOD_END)} and {uk_date(LATEST_PERIOD_END)} (check the year)"
    )


def parse_number(text) -> float:
    """A figure as people type it: 63, 43.1, 1,962 or 67%; never NaN or infinity, nor beyond
    MAX_FIGURE either way."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        number = float(text)
        raw = str(text)
    else:
        raw = str(text or "").strip()
        if not raw:
            raise ValueError("Enter a value")
        candidate = raw.removesuffix("%").strip()
        if _GROUPED_NUMBER.match(candidate):
            candidate = candidate.replace(",", "")
        if not _PLAIN_NUMBER.match(candidate):
            raise ValueError(f"'{raw}' is not a number")
        number = float(candidate)
    if not math.isfinite(number):
        raise ValueError(f"'{raw}' is not a number")
    if not is_figure(number):
        raise ValueError(f"'{raw}' is too large to be a figure plantrack can chart")
    return number


def _period(value) -> Timescale:
    """The period a figure covers; a TimescaleError (a ValueError) names a value that is none."""
    found = read_timescale(value)
    if found is None:
        raise ValueError("Enter the date the period ends")
    return found


def parse_period_end(text) -> date:
    """The last day of a period: a date (2024-03-31, 31/03/2024) or a period (March 2024,
    Q4 2023/24), read as every date in a spreadsheet or CSV file is read."""
    return _period(text).end


@dataclass(frozen=True)
class ValueIn:
    """One figure ready to store: validated, its indicator found."""

    key: str
    indicator_id: int
    period_label: str
    period_end: date
    value: float
    published_on: date
    note: str = ""
    row: int | None = None  # the CSV row it came from, if any


def check_value_fields(
    *,
    period_label: str,
    period_end,
    value,
    note: str,
    published_on=None,
    today: date | None = None,
) -> tuple[dict[str, str], dict]:
    """(errors by field, cleaned fields) for one figure; the period label defaults to the date,
    the date published to today (the day it is entered)."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    period = None
    today = today or date.today()
    try:
        period = _period(period_end)
        cleaned["period_end"] = period.end
        if not is_period_end(period.end):
            errors["period_end"] = _out_of_range(period.end)
        elif cleaned["period_end"] > today:
            errors["period_end"] = (
                f"{cleaned['period_end'].isoformat()} is in the future: a figure is recorded "
                "for a period that has ended"
            )
    except ValueError as error:
        errors["period_end"] = str(error)
    try:
        published = parse_published_on(published_on, today=today)
        cleaned["published_on"] = published
        if published > today:
            errors["published_on"] = (
                f"The date published, {uk_date(published)}, is in the future: record a figure "
                "once it has been published"
            )
        elif "period_end" not in errors and published < cleaned["period_end"]:
            errors["published_on"] = (
                f"The date published, {uk_date(published)}, is before the period ends "
                f"({uk_date(cleaned['period_end'])}): a figure is published after its period"
            )
    except ValueError as error:
        errors["published_on"] = str(error)
    try:
        cleaned["value"] = parse_number(value)
    except ValueError as error:
        errors["value"] = str(error)
    label = " ".join(str(period_label or "").split())
    if not label and period is not None:
        # A blank period is named as the period end was written (Q2 2023/24), else by its date.
        label = period.label or uk_date(period.end)
    if len(label) > MAX_PERIOD_LABEL:
        errors["period_label"] = f"The period must be {MAX_PERIOD_LABEL} characters or fewer"
    cleaned["period_label"] = label
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"The note must be {MAX_NOTE} characters or fewer"
    cleaned["note"] = note
    return errors, cleaned


def parse_published_on(value, *, today: date | None = None) -> date:
    """The date a figure was published: a date as every form and file writes one (2019-01-31,
    31/01/2019; a month, "January 2019", is its last day); blank means today, the day the figure
    is entered."""
    if isinstance(value, date):
        return value
    if not str(value or "").strip():
        return today or date.today()
    found = read_timescale(value)
    if found is None:
        return today or date.today()
    if not is_period_end(found.end):
        raise ValueError(
            f"{found.end.isoformat()} is not a date a figure can have been published on "
            "(check the year)"
        )
    return found.end


def stored_periods(session: Session, keys: list[str]) -> set[tuple[str, date]]:
    """(key, period_end) of every stored value of these indicators, in one query."""
    if not keys:
        return set()
    return set(
        session.exec(
            select(Indicator.key, IndicatorValue.period_end)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
            .where(Indicator.key.in_(keys))
        )
    )


def add_value(
    session: Session,
    *,
    key: str,
    period_label: str,
    period_end,
    value,
    note: str = "",
    published_on=None,
    user: User | None,
) -> IndicatorValue:
    """Record one figure against the current definition; published_on defaults to today.
    Raises UnknownIndicator or IndicatorError (errors by field: period_label, period_end, value,
    note, published_on)."""
    indicator = read_latest_indicator(session, key)
    if indicator is None:
        raise UnknownIndicator(f"There is no indicator '{key}'.")
    errors, cleaned = check_value_fields(
        period_label=period_label,
        period_end=period_end,
        value=value,
        note=note,
        published_on=published_on,
    )
    if "period_end" in cleaned and (key, cleaned["period_end"]) in stored_periods(session, [key]):
        errors.setdefault(
            "period_end",
            f"A value for the period ending {cleaned['period_end'].isoformat()} is already "
            "stored: a recorded figure is not overwritten",
        )
    if errors:
        raise IndicatorError(errors)
    stored = store_values(
        session,
        [ValueIn(key=key, indicator_id=indicator.id, **cleaned)],
        user=user,
        verb="add_value",
    )
    return stored[0]


def store_values(
    session: Session, values: list[ValueIn], *, user: User | None, verb: str
) -> list[IndicatorValue]:
    """Add the figures and one audit event per indicator touched; the caller commits."""
    rows = [
        IndicatorValue(
            indicator_id=item.indicator_id,
            period_label=item.period_label,
            period_end=item.period_end,
            value=item.value,
            note=item.note,
            published_on=item.published_on,
        )
        for item in values
    ]
    session.add_all(rows)
    session.flush()
    by_indicator: dict[tuple[str, int], list[ValueIn]] = {}
    for item in values:
        by_indicator.setdefault((item.key, item.indicator_id), []).append(item)
    for (key, indicator_id), items in by_indicator.items():
        described = [
            {
                "period": item.period_label,
                "period_end": item.period_end,
                "value": item.value,
                "note": item.note,
                "published_on": item.published_on,
            }
            for item in items
        ]
        if len(items) == 1:
            summary = (
                f"Recorded {format_number(items[0].value)} for '{key}', "
                f"{items[0].period_label} (period ending {items[0].period_end.isoformat()}, "
                f"published {items[0].published_on.isoformat()})"
            )
        else:
            summary = f"Recorded {len(items)} values for '{key}'"
        record_event(
            session,
            user=user,
            verb=verb,
            entity_type="indicator",
            entity_id=indicator_id,
            summary=summary,
            after={"values": described},
        )
    return rows


# --- Correcting and withdrawing a figure ---------------------------------------------------------


def _read_value(session: Session, key: str, value_id: int) -> IndicatorValue:
    """The stored figure of this indicator, any version; IndicatorError if it is not stored."""
    stored = session.exec(
        select(IndicatorValue)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.key == key, IndicatorValue.id == value_id)
        .with_for_update()
    ).first()
    if stored is None:
        raise IndicatorError(
            {
                "value_id": "This figure is no longer stored: someone may have withdrawn it "
                "just now. Reload the page to see the figures as they are"
            }
        )
    return stored


def _described(value: IndicatorValue) -> dict:
    return {
        "value_id": value.id,
        "period": value.period_label,
        "period_end": value.period_end,
        "value": value.value,
        "note": value.note,
        "published_on": value.published_on,
    }


def _clean_reason(reason: str, *, required: bool) -> str:
    text = " ".join(str(reason or "").split())
    if required and not text:
        raise IndicatorError({"reason": "Say why the figure is withdrawn"})
    if len(text) > MAX_REASON:
        raise IndicatorError({"reason": f"The reason must be {MAX_REASON} characters or fewer"})
    return text


def correct_value(
    session: Session,
    *,
    key: str,
    value_id: int,
    value,
    note: str,
    reason: str = "",
    user: User | None,
) -> IndicatorValue:
    """Correct a recorded figure's value or note in place (its period stays: a figure for
    another period is withdrawn and added again), audited with before and after. Raises
    IndicatorError (errors by field: value, note, reason; value_id when it is not stored, and
    "correction" when nothing changes)."""
    stored = _read_value(session, key, value_id)
    errors: dict[str, str] = {}
    try:
        number = parse_number(value)
    except ValueError as error:
        errors["value"] = str(error)
    text = str(note or "").strip()
    if len(text) > MAX_NOTE:
        errors["note"] = f"The note must be {MAX_NOTE} characters or fewer"
    try:
        why = _clean_reason(reason, required=False)
    except IndicatorError as error:
        errors |= error.errors
    if errors:
        raise IndicatorError(errors)
    if number == stored.value and text == stored.note:
        raise IndicatorError({"correction": "Nothing has changed: the figure is as stored"})
    before = _described(stored)
    with session.begin_nested():
        stored.value, stored.note = number, text
        session.add(stored)
        session.flush()
        changes = []
        if number != before["value"]:
            changes.append(f"{format_number(before['value'])} to {format_number(number)}")
        if text != before["note"]:
            changes.append("the note")
        record_event(
            session,
            user=user,
            verb="correct_value",
            entity_type="indicator",
            entity_id=stored.indicator_id,
            summary=(
                f"Corrected the figure for '{key}', {stored.period_label} (period ending "
                f"{stored.period_end.isoformat()}): {' and '.join(changes)}"
                + (f". Reason: {why}" if why else "")
            ),
            before=before,
            after=_described(stored) | {"reason": why},
        )
    return stored


def withdraw_value(
    session: Session, *, key: str, value_id: int, reason: str, user: User | None
) -> None:
    """Withdraw a recorded figure: it is removed from the series, so no chart or report shows
    it and its period may be recorded again; the audit event keeps it, with the reason, and the
    indicator's page lists it as withdrawn. Raises IndicatorError (reason; value_id when it is
    not stored)."""
    why = _clean_reason(reason, required=True)
    stored = _read_value(session, key, value_id)
    before, indicator_id = _described(stored), stored.indicator_id
    with session.begin_nested():
        session.delete(stored)
        session.flush()
        record_event(
            session,
            user=user,
            verb="withdraw_value",
            entity_type="indicator",
            entity_id=indicator_id,
            summary=(
                f"Withdrew the figure {format_number(before['value'])} for '{key}', "
                f"{before['period']} (period ending {before['period_end'].isoformat()}). "
                f"Reason: {why}"
            ),
            before=before,
            after={"value_id": before["value_id"], "withdrawn": True, "reason": why},
        )


@dataclass(frozen=True)
class Correction:
    """A stored figure's earlier value and note, and when and why it was corrected."""

    corrected_at: datetime
    value: float
    note: str
    reason: str


@dataclass(frozen=True)
class WithdrawnValue:
    period_label: str
    period_end: date | None
    value: float
    note: str
    withdrawn_at: datetime
    reason: str
    corrections: list[Correction] = field(default_factory=list)


@dataclass
class ValueHistory:
    """What the audit log says of an indicator's figures: the corrections of those still stored
    (by value id, oldest first) and the figures withdrawn (latest first)."""

    corrections: dict[int, list[Correction]] = field(default_factory=dict)
    withdrawn: list[WithdrawnValue] = field(default_factory=list)


def _period_end_of(text) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def read_value_history(session: Session, key: str) -> ValueHistory:
    """The corrections and withdrawals of an indicator's figures, across its versions, from the
    audit log in one query."""
    events = session.exec(
        select(AuditEvent)
        .join(Indicator, Indicator.id == AuditEvent.entity_id)
        .where(
            AuditEvent.entity_type == "indicator",
            AuditEvent.verb.in_(("correct_value", "withdraw_value")),
            Indicator.key == key,
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    history = ValueHistory()
    for event in events:
        before = json.loads(event.before_json or "{}")
        after = json.loads(event.after_json or "{}")
        value_id = before.get("value_id")
        if event.verb == "correct_value":
            history.corrections.setdefault(value_id, []).append(
                Correction(
                    corrected_at=event.occurred_at,
                    value=before.get("value"),
                    note=before.get("note") or "",
                    reason=after.get("reason") or "",
                )
            )
        else:
            # A withdrawn figure takes its corrections with it: its id may be given again.
            history.withdrawn.append(
                WithdrawnValue(
                    period_label=before.get("period") or "",
                    period_end=_period_end_of(before.get("period_end")),
                    value=before.get("value"),
                    note=before.get("note") or "",
                    withdrawn_at=event.occurred_at,
                    reason=after.get("reason") or "",
                    corrections=history.corrections.pop(value_id, []),
                )
            )
    history.withdrawn.reverse()
    return history


def format_number(value: float) -> str:
    """63.0 -> 63, 1962.0 -> 1,962, 43.1 -> 43.1."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{round(value, 6):,}"
