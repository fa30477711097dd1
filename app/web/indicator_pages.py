"""Outcome indicators: the list, one indicator with its chart and history, and the office's forms
to add a value, correct or withdraw one, upload values from CSV and revise a definition."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.core.models import Better, Indicator, User
from app.deps import AdminUser, CurrentUser, PagePrincipal, PathId, QueryCount, SessionDep
from app.domain.access import (
    cookie_principal,
    may_read_indicator,
    readable_indicator_keys,
    readable_plan_ids,
)
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.indicators import (
    DEFINITION_FIELDS,
    EARLIEST_PERIOD_END,
    LATEST_PERIOD_END,
    IndicatorError,
    UnknownIndicator,
    add_value,
    check_value_fields,
    correct_value,
    definition_changes,
    definition_of,
    list_latest_indicators,
    parse_period_end,
    read_indicator_values,
    read_indicator_versions,
    read_plans_by_indicator,
    read_value_history,
    read_values_by_key,
    revise_indicator,
    withdraw_value,
)
from app.domain.timescales import FORMS
from app.imports.indicator_values import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    apply_values,
    parse_values_csv,
)
from app.reports.indicators import UNITS, build_indicator_section, format_value, is_drawable
from app.web.templating import templates

router = APIRouter()

BETTER_LABELS = {
    Better.higher: "Higher is better",
    Better.lower: "Lower is better",
    Better.neither: "Neither: no direction is better",
}
UNIT_LABELS = {
    "percent": "Percent (%)",
    "rate_percent": "Rate (%)",
    "count": "Number (a count)",
    "days": "Days",
}
CSV_TEMPLATE = (
    "indicator,period,period_end,value,published,note\r\n"
    "confidence-in-police,July 2024,2024-07-31,68,2024-09-12,Example row: replace it\r\n"
)
EMPTY_FORM = {
    "period_label": "",
    "period_end": "",
    "value": "",
    "note": "",
    "published_on": DateParts(),
}


def _versions_or_404(session: Session, key: str) -> list[Indicator]:
    versions = read_indicator_versions(session, key)
    if not versions:
        raise HTTPException(404, f"There is no indicator '{key}'.")
    return versions


@router.get("/indicators")
def read_indicators(
    request: Request, session: SessionDep, principal: PagePrincipal, uploaded: QueryCount = None
):
    indicators = list_latest_indicators(session, readable_indicator_keys(session, principal))
    series = read_values_by_key(session, [indicator.key for indicator in indicators])
    rows = [
        (indicator, series[indicator.key][-1] if series[indicator.key] else None)
        for indicator in indicators
    ]
    return templates.TemplateResponse(
        request,
        "indicators/list.html",
        {
            "rows": rows,
            "plans": read_plans_by_indicator(session, readable_plan_ids(session, principal)),
            "uploaded": uploaded,
            "format_value": format_value,
        },
    )


# --- Uploading values from CSV ----------------------------------------------------------------
# Declared before /indicators/{key} so that "upload" is never read as a key.


def _upload_page(request: Request, errors: list[str], status_code: int = 200, filename: str = ""):
    return templates.TemplateResponse(
        request,
        "indicators/upload.html",
        {
            "errors": errors,
            "columns": COLUMNS,
            "max_rows": MAX_ROWS,
            "max_kilobytes": MAX_BYTES // 1024,
            "filename": filename,
            "date_forms": FORMS,
        },
        status_code=status_code,
    )


@router.get("/indicators/upload")
def read_upload(request: Request, user: AdminUser):
    return _upload_page(request, [])


@router.get("/indicators/upload/template.csv")
def read_upload_template(user: AdminUser):
    return Response(
        CSV_TEMPLATE,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="indicator-values.csv"'},
    )


@router.post("/indicators/upload")
def create_upload(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    file: Annotated[UploadFile | None, File()] = None,
):
    if file is None or not file.filename:
        return _upload_page(request, ["Choose a CSV file to upload"], status_code=400)
    data = file.file.read(MAX_BYTES + 1)
    rows, errors = parse_values_csv(session, data)
    if errors:
        return _upload_page(request, errors, status_code=400, filename=file.filename)
    try:
        with session.begin_nested():  # all of the file or none of it
            apply_values(session, rows, user)
    except IntegrityError:
        return _upload_page(
            request,
            [
                "Someone else recorded values for some of these periods while the file was being "
                "checked; nothing from this file was saved. Upload it again to see which rows."
            ],
            status_code=409,
            filename=file.filename,
        )
    return RedirectResponse(f"/indicators?uploaded={len(rows)}", status_code=303)


# --- One indicator -------------------------------------------------------------------------------


def _indicator_page(
    request: Request,
    session: Session,
    key: str,
    *,
    user: User,
    form: dict | None = None,
    errors: dict | None = None,
    status_code: int = 200,
    notice: str = "",
    row_form: dict | None = None,
):
    principal = cookie_principal(user)
    if not may_read_indicator(session, principal, key):
        # Not shown by any plan the person may read: as if it did not exist.
        raise HTTPException(404, f"There is no indicator '{key}'.")
    versions = _versions_or_404(session, key)
    current = versions[-1]
    version_numbers = {version.id: version.version for version in versions}
    values = read_indicator_values(session, key)
    history = read_value_history(session, key)
    context = {
        "indicator": current,
        "section": build_indicator_section(session, key),
        "values": [
            (
                value,
                version_numbers.get(value.indicator_id),
                history.corrections.get(value.id, []),
                is_drawable(value.period_end, value.value),
            )
            for value in values
        ],
        "withdrawn": history.withdrawn,
        "period_range": (EARLIEST_PERIOD_END, LATEST_PERIOD_END),
        "date_forms": FORMS,
        "number_text": _number_text,
        # The correct-or-withdraw form sent with a problem: which row, which form, what was typed.
        "row_form": row_form or {},
        "changes": definition_changes(session, key),
        "versions": versions,
        "plans": read_plans_by_indicator(session, readable_plan_ids(session, principal)).get(
            key, []
        ),
        "better_labels": BETTER_LABELS,
        "is_admin": user.role == "admin",
        "form": form or EMPTY_FORM,
        "errors": errors or {},
        "notice": notice,
    }
    return templates.TemplateResponse(
        request, "indicators/indicator.html", context, status_code=status_code
    )


NOTICES = {
    "added": "The value has been recorded.",
    "corrected": "The value has been corrected.",
    "withdrawn": "The value has been withdrawn: charts and reports no longer show it.",
    "revised": "The definition has been revised: the new version is shown below, and the old "
    "one is kept in the history.",
}


@router.get("/indicators/{key}")
def read_indicator(
    request: Request, key: str, session: SessionDep, user: CurrentUser, done: str | None = None
):
    return _indicator_page(request, session, key, user=user, notice=NOTICES.get(done or "", ""))


@router.post("/indicators/{key}/values")
def create_value(
    request: Request,
    key: str,
    session: SessionDep,
    user: AdminUser,
    period_label: str = Form(""),
    period_end: str = Form(""),
    value: str = Form(""),
    note: str = Form(""),
    published_day: str = Form("", alias="published_on-day"),
    published_month: str = Form("", alias="published_on-month"),
    published_year: str = Form("", alias="published_on-year"),
):
    _versions_or_404(session, key)
    published = DateParts(published_day, published_month, published_year)
    form = {
        "period_label": period_label,
        "period_end": period_end,
        "value": value,
        "note": note,
        "published_on": published,
    }
    # Blank: published today, the day it is entered (the page says so).
    published_on = None
    date_errors = {}
    if not published.is_blank:
        try:
            published_on = parse_date_parts(published, label="the date published")
        except DateInputError as error:
            date_errors["published_on"] = error.message
    try:
        with session.begin_nested():
            if date_errors:
                # The other fields are checked too, so every problem is listed at once.
                errors, _ = check_value_fields(
                    period_label=period_label, period_end=period_end, value=value, note=note
                )
                raise IndicatorError(errors | date_errors)
            add_value(
                session,
                key=key,
                period_label=period_label,
                period_end=period_end,
                value=value,
                note=note,
                published_on=published_on,
                user=user,
            )
    except IndicatorError as error:
        return _indicator_page(
            request,
            session,
            key,
            user=user,
            form=form,
            errors=error.errors,
            status_code=400,
        )
    except IntegrityError:
        return _indicator_page(
            request,
            session,
            key,
            user=user,
            form=form,
            status_code=409,
            errors={
                "period_end": "Someone else recorded a value for this period just now: "
                "check the table below"
            },
        )
    return RedirectResponse(f"/indicators/{key}?done=added", status_code=303)


# --- Correcting and withdrawing a value ---------------------------------------------------------


def _row_errors(error: IndicatorError, form_id: str) -> dict[str, str]:
    """The domain's errors, keyed by the id of the field on the page each belongs beside."""
    fields = {"correction": "value", "value_id": None}
    errors = {}
    for name, message in error.errors.items():
        field = fields.get(name, name)
        errors["values" if field is None else f"{form_id}-{field}"] = message
    return errors


@router.post("/indicators/{key}/values/{value_id}/correct")
def create_correction(
    request: Request,
    key: str,
    value_id: PathId,
    session: SessionDep,
    user: AdminUser,
    value: str = Form(""),
    note: str = Form(""),
    reason: str = Form(""),
):
    _versions_or_404(session, key)
    try:
        correct_value(
            session, key=key, value_id=value_id, value=value, note=note, reason=reason, user=user
        )
    except IndicatorError as error:
        form_id = f"correct-{value_id}"
        return _indicator_page(
            request,
            session,
            key,
            user=user,
            errors=_row_errors(error, form_id),
            row_form={"id": form_id, "value": value, "note": note, "reason": reason},
            status_code=409 if "value_id" in error.errors else 400,
        )
    return RedirectResponse(f"/indicators/{key}?done=corrected", status_code=303)


@router.post("/indicators/{key}/values/{value_id}/withdraw")
def create_withdrawal(
    request: Request,
    key: str,
    value_id: PathId,
    session: SessionDep,
    user: AdminUser,
    reason: str = Form(""),
):
    _versions_or_404(session, key)
    try:
        withdraw_value(session, key=key, value_id=value_id, reason=reason, user=user)
    except IndicatorError as error:
        form_id = f"withdraw-{value_id}"
        return _indicator_page(
            request,
            session,
            key,
            user=user,
            errors=_row_errors(error, form_id),
            row_form={"id": form_id, "reason": reason},
            status_code=409 if "value_id" in error.errors else 400,
        )
    return RedirectResponse(f"/indicators/{key}?done=withdrawn", status_code=303)


# --- Revising a definition ---------------------------------------------------------------------


def _definition_form(indicator: Indicator) -> dict:
    form = {
        name: "" if value is None else value for name, value in definition_of(indicator).items()
    }
    form["baseline_value"] = _number_text(indicator.baseline_value)
    form["target_value"] = _number_text(indicator.target_value)
    return form | {"valid_from": date.today().isoformat(), "reason": ""}


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _revise_page(
    request: Request,
    indicator: Indicator,
    form: dict,
    errors: dict | None = None,
    status_code: int = 200,
):
    units = dict(UNIT_LABELS)
    if indicator.unit not in units:
        units[indicator.unit] = indicator.unit
    return templates.TemplateResponse(
        request,
        "indicators/revise.html",
        {
            "indicator": indicator,
            "form": form,
            "errors": errors or {},
            "units": units,
            "better_labels": BETTER_LABELS,
            "field_labels": DEFINITION_FIELDS,
        },
        status_code=status_code,
    )


@router.get("/indicators/{key}/revise")
def read_revise(request: Request, key: str, session: SessionDep, user: AdminUser):
    current = _versions_or_404(session, key)[-1]
    return _revise_page(request, current, _definition_form(current))


@router.post("/indicators/{key}/revise")
def create_revision(
    request: Request,
    key: str,
    session: SessionDep,
    user: AdminUser,
    title: str = Form(""),
    unit: str = Form(""),
    better: str = Form(""),
    data_source: str = Form(""),
    lag_note: str = Form(""),
    geography: str = Form(""),
    baseline_value: str = Form(""),
    baseline_label: str = Form(""),
    target_value: str = Form(""),
    target_label: str = Form(""),
    is_illustrative: str = Form(""),
    valid_from: str = Form(""),
    reason: str = Form(""),
):
    current = _versions_or_404(session, key)[-1]
    form = {
        "title": title,
        "unit": unit,
        "better": better,
        "data_source": data_source,
        "lag_note": lag_note,
        "geography": geography,
        "baseline_value": baseline_value,
        "baseline_label": baseline_label,
        "target_value": target_value,
        "target_label": target_label,
        "is_illustrative": is_illustrative in ("1", "on", "yes"),
        "valid_from": valid_from,
        "reason": reason,
    }
    if unit and unit not in UNITS and unit != current.unit:
        return _revise_page(request, current, form, {"unit": "Choose a unit from the list"}, 400)
    effective = None
    if valid_from.strip():
        try:
            effective = parse_period_end(valid_from)
        except ValueError as error:
            return _revise_page(request, current, form, {"valid_from": str(error)}, 400)
    changes = {name: form[name] for name in DEFINITION_FIELDS}
    try:
        with session.begin_nested():
            revised = revise_indicator(
                session, key, changes, user, valid_from=effective, reason=reason
            )
    except UnknownIndicator as error:
        raise HTTPException(404, str(error)) from None
    except IndicatorError as error:
        return _revise_page(request, current, form, error.errors, 400)
    except IntegrityError:
        return _revise_page(
            request,
            current,
            form,
            {
                "definition": "Someone else revised this definition at the same time: reload the "
                "page to see their version before revising it again"
            },
            409,
        )
    return RedirectResponse(f"/indicators/{revised.key}?done=revised", status_code=303)
