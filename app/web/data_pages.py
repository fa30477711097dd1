"""The office moves data in and out: refresh a plan into its successor, import a plan's actions
from a spreadsheet, export everything as JSON. Admin only.

Each change is previewed first and written only when the office confirms, all or nothing. The
pages keep no state between requests: the confirm form carries every input again (the uploaded
file as base64 in hidden fields), and the confirming request checks everything afresh.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from app.core.models import Plan, Theme, User
from app.deps import AdminUser, PlanDep, SessionDep
from app.domain.as_at import AsAtError, check_in_range
from app.domain.audit import record_event
from app.domain.backup import export_snapshot
from app.domain.date_input import DateInputError, DateParts, parse_date_parts
from app.domain.plans import has_actions, list_plans
from app.domain.rag import RAG_LABELS, STAGE_LABELS, allowed_rags
from app.domain.refresh import (
    DUE_RULE_LABELS,
    NewTheme,
    RefreshError,
    apply_refresh,
    plan_refresh,
    source_themes,
)
from app.domain.timescales import TimescaleError, read_timescale
from app.imports import (
    FIELDS,
    MAX_BYTES,
    MAX_ROWS,
    ImportChoices,
    ImportFileError,
    ImportPreview,
    ImportRefused,
    Table,
    apply_import,
    import_template_xlsx,
    plan_import,
    propose_mapping,
    read_table,
)
from app.imports.values import ValueProblem, choice_of, read_choice, text_of
from app.web.forms import parse_iso_date
from app.web.templating import templates

router = APIRouter()


async def read_form(request: Request) -> FormData:
    """The posted form (already parsed, and cached, by the CSRF check), for fields whose names
    are made at run time: one select per old theme, one per spreadsheet column."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _sentence(message: str) -> str:
    """A domain message as a sentence of an error summary: 'theme ...' -> 'Theme ...', but a
    message opening with a slug or a quoted name is left as it is."""
    first = message.split(" ", 1)[0]
    return message[:1].upper() + message[1:] if first.isalpha() else message


# --- The hub ------------------------------------------------------------------------------------


@router.get("/data")
def read_data(request: Request, session: SessionDep, user: AdminUser):
    return templates.TemplateResponse(
        request, "data/index.html", {"plans": list_plans(session=session)}
    )


# --- Refresh ------------------------------------------------------------------------------------

RETIRE = "retire"
MAP_TO = "to:"  # a select's value "to:Title" maps the old theme to the new theme Title
GROUP_SEPARATOR = "|"  # "Theme title | Delivery group" on a line of the themes box
# The refresh form's dates, in its order, and how its messages name them.
REFRESH_DATES = (
    ("period_start", "start of the new period"),
    ("period_end", "end of the new period"),
    ("refresh_date", "date the refresh takes effect"),
)


@dataclass
class RefreshForm:
    """The refresh form's inputs as typed, kept as text so a page can show them again."""

    new_slug: str = ""
    title: str = ""
    short_title: str = ""
    period_start: str = ""
    period_end: str = ""
    refresh_date: str = ""
    themes: str = ""
    overrides: str = ""
    due_rule: str = ""  # a DueRule's value; none chosen at first
    due_dates: str = ""  # "REF = 31/03/2022", one a line
    mapping: dict[int, str] = field(default_factory=dict)  # old theme id -> select value
    # Dates typed into the page's GOV.UK date inputs (NAME-day, -month, -year), as typed, and
    # the reader's message for those that make no date. The dates themselves travel on as
    # YYYY-MM-DD text (the preview's hidden fields carry them so).
    typed: dict[str, DateParts] = field(default_factory=dict)
    date_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: FormData, old_themes: list[Theme]) -> "RefreshForm":
        dates, typed, date_errors = {}, {}, {}
        for name, label in REFRESH_DATES:
            parts = DateParts(**{p: _text(form, f"{name}-{p}") for p in ("day", "month", "year")})
            dates[name] = _text(form, name).strip()
            if parts.is_blank:
                continue
            typed[name] = parts
            try:
                dates[name] = parse_date_parts(parts, label=f"the {label}").isoformat()
            except DateInputError as error:
                dates[name], date_errors[name] = "", error.message
        return cls(
            new_slug=_text(form, "new_slug").strip(),
            title=_text(form, "title"),
            short_title=_text(form, "short_title"),
            **dates,
            themes=_text(form, "themes"),
            overrides=_text(form, "overrides"),
            due_rule=_text(form, "due_rule").strip(),
            due_dates=_text(form, "due_dates"),
            mapping={theme.id: _text(form, f"map-{theme.id}") for theme in old_themes},
            typed=typed,
            date_errors=date_errors,
        )

    def date_parts(self, name: str) -> DateParts:
        """What a date input shows: the boxes as typed, else the date the form holds."""
        if name in self.typed:
            return self.typed[name]
        return DateParts.of(parse_iso_date(getattr(self, name)))

    def new_themes(self) -> list[NewTheme]:
        themes = []
        for line in self.themes.splitlines():
            title, _bar, group = line.partition(GROUP_SEPARATOR)
            title, group = " ".join(title.split()), " ".join(group.split())
            if title or group:
                themes.append(NewTheme(title, group or None))
        return themes

    def theme_titles(self) -> list[str]:
        return [theme.title for theme in self.new_themes() if theme.title]


def _old_themes(session: Session, plan: Plan) -> list[Theme]:
    return [theme for theme, _group in source_themes(session=session, plan=plan)]


def _first_refresh_form(session: Session, plan: Plan) -> RefreshForm:
    """The form as first shown: the same themes (and delivery groups), each mapped to itself."""
    themes = source_themes(session=session, plan=plan)
    lines = [
        f"{theme.title} {GROUP_SEPARATOR} {group}" if group else theme.title
        for theme, group in themes
    ]
    return RefreshForm(
        period_start=(plan.period_end + timedelta(days=1)).isoformat(),
        themes="\n".join(lines),
        mapping={theme.id: MAP_TO + theme.title for theme, _group in themes},
    )


def _refresh_arguments(
    form: RefreshForm, plan: Plan, old_themes: list[Theme]
) -> tuple[dict, dict[str, str]]:
    """plan_refresh's arguments from the form, and the problems only the form can have."""
    errors: dict[str, str] = dict(form.date_errors)
    dates: dict[str, date] = {}
    for name, label in REFRESH_DATES:
        value = getattr(form, name)
        if name in errors:
            continue
        if not value:
            if name != "refresh_date":
                errors[name] = f"Enter the {label}, such as 2021-04-01"
            continue
        parsed = parse_iso_date(value)
        if parsed is None:
            errors[name] = f"The {label}, '{value}', is not a date: use the form YYYY-MM-DD"
        else:
            dates[name] = parsed

    mapping: dict[str, str | None] = {}
    for theme in old_themes:
        choice = form.mapping.get(theme.id, "")
        if choice == RETIRE:
            mapping[theme.title] = None
        elif choice.startswith(MAP_TO):
            mapping[theme.title] = choice[len(MAP_TO) :]
        elif choice:
            errors["mapping"] = f"Choose a new theme for '{theme.title}', or retire it"

    overrides: dict[str, str | None] = {}
    for number, line in enumerate(form.overrides.splitlines(), start=1):
        if not line.strip():
            continue
        ref, equals, new = line.partition("=")
        ref, new = ref.strip(), " ".join(new.split())
        if not equals or not ref:
            errors["overrides"] = (
                f"Line {number} of the actions sent elsewhere, '{line.strip()}', should be "
                "written REF = New theme (or REF = with nothing after it to leave the action "
                "behind)"
            )
            break
        if ref in overrides:
            errors["overrides"] = f"Action {ref} is given twice in the actions sent elsewhere"
            break
        overrides[ref] = new or None

    due_dates, due_error = _due_dates(form.due_dates)
    if due_error:
        errors["due_dates"] = due_error

    arguments = dict(
        source=plan,
        new_slug=form.new_slug,
        title=form.title,
        short_title=form.short_title if form.short_title.strip() else form.title[:120],
        period_start=dates.get("period_start"),
        period_end=dates.get("period_end"),
        themes=form.new_themes(),
        theme_mapping=mapping,
        action_overrides=overrides,
        refresh_date=dates.get("refresh_date") or dates.get("period_start"),
        due_rule=form.due_rule or None,
        due_dates=due_dates,
    )
    return arguments, errors


DUE_DATE_EXAMPLE = "P3 = 31/03/2022"


def _due_dates(text: str) -> tuple[dict[str, date], str | None]:
    """The new due dates typed one a line, "REF = 31/03/2022" (or 2022-03-31), and the first
    problem with them, naming its line."""
    found: dict[str, date] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        ref, equals, value = line.partition("=")
        ref, value = ref.strip(), value.strip()
        if not equals or not ref or not value:
            return found, (
                f"Line {number} of the new due dates, '{line.strip()}', should be written "
                f"REF = date, such as {DUE_DATE_EXAMPLE}"
            )
        if ref in found:
            return found, f"Action {ref} is given twice in the new due dates"
        try:
            timescale = read_timescale(value)
            due = check_in_range(timescale.end)
        except (TimescaleError, AsAtError):
            return found, (
                f"Line {number} of the new due dates: '{value}' is not a date; write it as "
                "31/03/2022 or 2022-03-31"
            )
        found[ref] = due
    return found, None


def _refresh_form_page(
    request: Request,
    plan: Plan,
    old_themes: list[Theme],
    form: RefreshForm,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
):
    return templates.TemplateResponse(
        request,
        "data/refresh_form.html",
        {
            "plan": plan,
            "old_themes": old_themes,
            "form": form,
            "errors": errors or {},
            "retire": RETIRE,
            "map_to": MAP_TO,
            "due_rules": DUE_RULE_LABELS,
            # Nothing chosen or typed: the problem is answered by choosing a rule.
            "anchors": {
                "period_start": "period_start-day",
                "period_end": "period_end-day",
                "refresh_date": "refresh_date-day",
            }
            | (
                {"due_dates": "due_rule"}
                if not form.due_rule and not form.due_dates.strip()
                else {}
            ),
        },
        status_code=status_code,
    )


def _checked_refresh(
    request: Request, session: Session, plan: Plan, user: User, form_data: FormData
):
    """(preview, form, old themes, None) for a refresh that can be made; else the last is the
    form page saying why (status 400)."""
    old_themes = _old_themes(session, plan)
    form = RefreshForm.from_form(form_data, old_themes)
    arguments, errors = _refresh_arguments(form, plan, old_themes)
    if not errors:
        try:
            return plan_refresh(session, user=user, **arguments), form, old_themes, None
        except RefreshError as error:
            errors = {error.field: _sentence(str(error))}
    return (
        None,
        form,
        old_themes,
        _refresh_form_page(request, plan, old_themes, form, errors, status_code=400),
    )


@router.get("/plans/{slug}/refresh")
def read_refresh(request: Request, plan: PlanDep, session: SessionDep, user: AdminUser):
    return _refresh_form_page(
        request, plan, _old_themes(session, plan), _first_refresh_form(session, plan)
    )


@router.post("/plans/{slug}/refresh/preview")
def preview_refresh(
    request: Request, plan: PlanDep, session: SessionDep, user: AdminUser, form_data: FormDep
):
    if _text(form_data, "step") in ("themes", "edit"):
        # Back to the form: with the theme choices drawn from the themes as now typed.
        old_themes = _old_themes(session, plan)
        return _refresh_form_page(
            request, plan, old_themes, RefreshForm.from_form(form_data, old_themes)
        )
    preview, form, old_themes, problem_page = _checked_refresh(
        request, session, plan, user, form_data
    )
    if problem_page is not None:
        return problem_page
    return templates.TemplateResponse(
        request,
        "data/refresh_preview.html",
        {
            "plan": plan,
            "preview": preview,
            "form": form,
            "old_themes": old_themes,
            "retired": [old for old, new in preview.theme_mapping.items() if new is None],
            "due_rules": DUE_RULE_LABELS,
        },
    )


@router.post("/plans/{slug}/refresh")
def create_refresh(
    request: Request, plan: PlanDep, session: SessionDep, user: AdminUser, form_data: FormDep
):
    preview, form, old_themes, problem_page = _checked_refresh(
        request, session, plan, user, form_data
    )
    if problem_page is not None:
        return problem_page
    if preview.changes_nothing:
        return RedirectResponse(f"/plans/{preview.new_slug}", status_code=303)
    try:
        new_plan = apply_refresh(session, preview)
    except RefreshError as error:
        return _refresh_form_page(
            request,
            plan,
            old_themes,
            form,
            {error.field: f"Nothing was written: {error}. Preview the refresh again."},
            status_code=400,
        )
    return RedirectResponse(f"/plans/{new_plan.slug}", status_code=303)


# --- Import -------------------------------------------------------------------------------------

# The file travels in the confirm form as URL-safe base64 (no character needs escaping in a
# form), cut into fields well below Starlette's 1 MB limit on one form field.
FILE_CHUNK = 512 * 1024
MAX_ENCODED = (MAX_BYTES + 2) // 3 * 4
MAX_SHOWN_ERRORS = 25


@dataclass
class Upload:
    filename: str
    data: bytes
    table: Table

    def chunks(self) -> list[str]:
        text = base64.urlsafe_b64encode(self.data).decode("ascii")
        return [text[i : i + FILE_CHUNK] for i in range(0, len(text), FILE_CHUNK)]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(name: str, size: int) -> ImportFileError:
    return ImportFileError(
        f"'{name}' is {_megabytes(size)}; the largest file accepted is "
        f"{MAX_BYTES // (1024 * 1024)} MB: split it into smaller files"
    )


def _read_upload(form: FormData) -> Upload:
    """The file: uploaded now, or carried back by the confirm form. ImportFileError if unusable."""
    chunks = [value for value in form.getlist("file_data") if isinstance(value, str)]
    upload = form.get("file")
    if chunks:
        name = PurePath(_text(form, "filename") or "upload").name[:200]
        encoded = "".join(chunks)
        if len(encoded) > MAX_ENCODED:
            raise _too_large(name, len(encoded) * 3 // 4)
        try:
            data = base64.b64decode(encoded.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise ImportFileError(
                f"the copy of '{name}' sent back with the form is damaged: upload the file again"
            ) from None
    elif isinstance(upload, UploadFile) and upload.filename:
        name = PurePath(upload.filename).name[:200] or "upload"
        if upload.size is not None and upload.size > MAX_BYTES:
            raise _too_large(name, upload.size)
        data = upload.file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise _too_large(name, len(data))
    else:
        raise ImportFileError("Choose an Excel workbook (.xlsx) or a CSV file to upload")
    return Upload(filename=name, data=data, table=read_table(name, data))


def _mapping_from_form(form: FormData, table: Table) -> tuple[dict[str, int], list[str]]:
    """The columns as the office chose them on the preview; as proposed for a new upload."""
    if _text(form, "mapping_given") != "yes":
        return propose_mapping(table.headers), []
    mapping: dict[str, int] = {}
    problems: list[str] = []
    for index, header in enumerate(table.headers):
        choice = _text(form, f"column-{index}")
        if not header or not choice:
            continue
        if choice not in FIELDS:
            problems.append(f"Column '{header}': '{choice}' is not a field plantrack imports")
        elif choice in mapping:
            problems.append(
                f"{FIELDS[choice]} is chosen for both '{table.headers[mapping[choice]]}' and "
                f"'{header}': choose it for one column only"
            )
        else:
            mapping[choice] = index
    return mapping, problems


OTHER_DATE = "other"


def _effective_from_form(form: FormData) -> tuple[date | None, list[str]]:
    """The date the office chose for statuses without one of their own: none until chosen."""
    choice = _text(form, "effective_on").strip()
    if choice != OTHER_DATE:
        return parse_iso_date(choice), []
    typed = _text(form, "effective_other").strip()
    try:
        when = read_timescale(typed)
    except TimescaleError:
        when = None
    if when is None:
        return None, [
            f"The date the statuses took effect, '{typed}', is not a date: use 31/03/2024"
        ]
    return when.end, []


def _choices_from_form(form: FormData) -> tuple[ImportChoices, list[str]]:
    """Everything the office chose on the preview besides the columns, carried in its fields."""
    effective_on, problems = _effective_from_form(form)
    status_mapping = {}
    for name, value in form.multi_items():
        if name.startswith("status-") and isinstance(value, str) and value:
            try:
                status_mapping[name[len("status-") :]] = read_choice(value)
            except ValueProblem as problem:
                problems.append(str(problem))
    corrective_actions = {
        name[len("corrective-") :]: value
        for name, value in form.multi_items()
        if name.startswith("corrective-") and isinstance(value, str) and value.strip()
    }
    choices = ImportChoices(
        effective_on=effective_on,
        status_mapping=status_mapping,
        corrective_actions=corrective_actions,
        # The update's own "corrective action: ..." is proposed, in a field the office edits.
        corrective_from_update=_text(form, "mapping_given") != "yes",
        formula_text=_text(form, "formula_text") == "yes",
    )
    return choices, problems


def _meanings(plan: Plan) -> list[tuple[str, str]]:
    """(choice, label) of every stage and rating a status word may mean on this plan."""
    meanings = [(choice_of("not_started", None), STAGE_LABELS["not_started"])]
    meanings.append((choice_of("in_progress", None), f"{STAGE_LABELS['in_progress']}, no rating"))
    meanings += [
        (choice_of("in_progress", rag), f"{STAGE_LABELS['in_progress']}, {RAG_LABELS[rag]}")
        for rag in allowed_rags(plan.rag_scheme)
    ]
    meanings += [
        (choice_of(stage, None), STAGE_LABELS[stage])
        for stage in ("complete", "withdrawn", "carried_forward")
    ]
    return meanings


def _checksum(preview: ImportPreview) -> str:
    """What the dry run showed, in brief: the import goes ahead only if it still says this."""
    return hashlib.sha256("\n".join(preview.describe()).encode("utf-8")).hexdigest()


def _import_form_page(
    request: Request,
    session: Session,
    plan: Plan,
    error: str | None = None,
    status_code: int = 200,
    new_plan: bool = False,
):
    return templates.TemplateResponse(
        request,
        "data/import_form.html",
        {
            "plan": plan,
            "new_plan": new_plan,
            "empty": not has_actions(session=session, plan=plan),
            "error": error,
            "fields": FIELDS,
            "max_rows": MAX_ROWS,
            "max_megabytes": MAX_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


def _import_preview_page(
    request: Request,
    plan: Plan,
    upload: Upload,
    mapping: dict[str, int],
    choices: ImportChoices,
    preview: ImportPreview | None,
    problems: list[str],
    notice: str | None = None,
):
    errors = problems + [str(error) for error in (preview.errors if preview else [])]
    # The first row of the table itself, not a section heading above it.
    first = next((row.values for row in upload.table.rows if row.lone_value is None), ())
    return templates.TemplateResponse(
        request,
        "data/import_preview.html",
        {
            "plan": plan,
            "upload": upload,
            "table": upload.table,
            "mapping": mapping,
            "columns": {index: name for name, index in mapping.items()},
            "fields": FIELDS,
            "missing": [label for name, label in FIELDS.items() if name not in mapping],
            "examples": {index: text_of(value)[:80] for index, value in enumerate(first)},
            "effective_on": choices.effective_on,
            "choices": choices,
            "today": date.today(),
            "other_date": OTHER_DATE,
            "meanings": _meanings(plan),
            "existing": [row for row in (preview.rows if preview else []) if row.exists],
            "changes_of": {change.ref: change for change in (preview.updates if preview else [])},
            "preview": preview,
            "errors": errors,
            "shown_errors": errors[:MAX_SHOWN_ERRORS],
            "notice": notice,
            "checksum": _checksum(preview) if preview and not errors else "",
        },
        status_code=400 if errors or notice else 200,
    )


@router.get("/import/template.xlsx")
def read_import_template(user: AdminUser):
    return Response(
        import_template_xlsx(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plantrack-actions-template.xlsx"'},
    )


@router.get("/plans/{slug}/import")
def read_import(
    request: Request, plan: PlanDep, session: SessionDep, user: AdminUser, new: bool = False
):
    return _import_form_page(request, session, plan, new_plan=new)


def _checked_import(request: Request, session: Session, plan: Plan, user: User, form: FormData):
    """(upload, mapping, date, preview, None) if the file can be imported as chosen; else the
    last is the page saying why (status 400)."""
    try:
        upload = _read_upload(form)
    except ImportFileError as error:
        return (
            None,
            None,
            None,
            None,
            _import_form_page(request, session, plan, _sentence(str(error)), status_code=400),
        )
    mapping, problems = _mapping_from_form(form, upload.table)
    choices, choice_problems = _choices_from_form(form)
    problems += choice_problems
    preview = None
    if not problems:
        preview = plan_import(
            session, plan=plan, table=upload.table, mapping=mapping, choices=choices, user=user
        )
    if problems or preview.errors:
        return (
            None,
            None,
            None,
            None,
            _import_preview_page(request, plan, upload, mapping, choices, preview, problems),
        )
    return upload, mapping, choices, preview, None


@router.post("/plans/{slug}/import/preview")
def preview_import(
    request: Request, plan: PlanDep, session: SessionDep, user: AdminUser, form: FormDep
):
    upload, mapping, choices, preview, problem_page = _checked_import(
        request, session, plan, user, form
    )
    if problem_page is not None:
        return problem_page
    return _import_preview_page(request, plan, upload, mapping, choices, preview, [])


@router.post("/plans/{slug}/import")
def create_import(
    request: Request, plan: PlanDep, session: SessionDep, user: AdminUser, form: FormDep
):
    upload, mapping, choices, preview, problem_page = _checked_import(
        request, session, plan, user, form
    )
    if problem_page is not None:
        return problem_page
    if _text(form, "checksum") != _checksum(preview):
        return _import_preview_page(
            request,
            plan,
            upload,
            mapping,
            choices,
            preview,
            [],
            notice="What the import would do is not what was checked: the columns chosen or "
            "the plan have changed since. Nothing has been imported: check the dry run "
            "below, then import.",
        )
    if preview.changes_nothing:
        return RedirectResponse(f"/plans/{plan.slug}?imported=0&updated=0", status_code=303)
    try:
        result = apply_import(session, preview)  # a savepoint: on failure nothing is left
    except (ImportRefused, IntegrityError) as error:
        problems = (
            [str(e) for e in error.errors]
            if isinstance(error, ImportRefused)
            else [
                "Someone else changed this plan at the same moment: nothing was imported. "
                "Check the file again."
            ]
        )
        return _import_preview_page(request, plan, upload, mapping, choices, None, problems)
    return RedirectResponse(
        f"/plans/{plan.slug}?imported={result.created}&updated={result.updated}", status_code=303
    )


# --- Export -------------------------------------------------------------------------------------


@router.get("/export")
def read_export(request: Request, user: AdminUser):
    return templates.TemplateResponse(request, "data/export.html", {})


@router.post("/export")
def create_export(session: SessionDep, user: AdminUser):
    data = export_snapshot(session.get_bind())
    rows = sum(len(table_rows) for table_rows in data["tables"].values())
    record_event(
        session,
        user=user,
        verb="export",
        entity_type="database",
        entity_id=None,
        summary=(
            f"Exported the whole database as JSON: {rows:,} rows of {len(data['tables'])} "
            "tables, without password hashes"
        ),
    )
    content = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M%S")
    return Response(
        content,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="plantrack-export-{stamp}.json"',
            "Cache-Control": "no-store",
        },
    )
