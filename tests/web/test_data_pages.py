"""The office's pages for refreshing a plan, importing actions and exporting everything, through
HTTP as a browser uses them: each preview writes nothing, each confirmation all or nothing."""

import html
import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.models import (
    Action,
    ActionPartner,
    AuditEvent,
    Organisation,
    Person,
    Plan,
    Stage,
    StatusUpdate,
    Theme,
    User,
)
from app.domain.lineage import plan_lineage
from app.domain.status import statuses_as_at
from app.domain.timescales import uk_date
from app.imports import MAX_BYTES
from tests.conftest import csrf_from, demo_users, sign_in
from tests.factories import make_plan
from tests.imports.workbooks import xlsx

SOURCE = "reduced-offending-2018-21"
SUCCESSOR = "reduced-offending-2021-24"
PREVENTION_EI = "Prevention/Early Intervention"
OMRR = "Offender Management, Rehabilitation and Resettlement"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Helpers ------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each form of a page as a browser would submit it: hidden and text inputs, textareas and
    each select's selected option (the first when none is marked)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: tuple[str, list] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": [], "buttons": []})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attrs.get("type") in ("hidden", "text", "date") and "name" in attrs:
            fields.append((attrs["name"], attrs.get("value", "")))
        elif (
            tag == "input"
            and attrs.get("type") in ("radio", "checkbox")
            and "checked" in attrs
            and "name" in attrs
        ):
            fields.append((attrs["name"], attrs.get("value", "on")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            fields.append((self._textarea, ""))
        elif tag == "select":
            self._select = (attrs["name"], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "button":
            self.forms[-1]["buttons"].append(attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            fields = self.forms[-1]["fields"]
            fields[-1] = (fields[-1][0], fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self.forms[-1]["fields"].append((name, chosen[0]))
            self._select = None


def form_on(page: str, action: str) -> dict:
    parser = _Forms()
    parser.feed(page)
    found = [form for form in parser.forms if form["action"] == action]
    assert found, f"no form posting to {action}"
    return found[0]


def fields_of(page: str, action: str, **changes) -> dict[str, str | list[str]]:
    """The form's fields, as a dict for the test client (a repeated name becomes a list)."""
    fields: dict[str, str | list[str]] = {}
    for name, value in form_on(page, action)["fields"]:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields | changes


def text_of(response) -> str:
    """The page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split()).replace(
        " .", "."
    )


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (
            Plan,
            Theme,
            Action,
            ActionPartner,
            StatusUpdate,
            AuditEvent,
            Organisation,
            Person,
        )
    }


def admin_email() -> str:
    return demo_users()["admin"]["email"]


def plan_by_slug(session: Session, slug: str) -> Plan | None:
    return session.exec(select(Plan).where(Plan.slug == slug)).first()


# --- Refresh ------------------------------------------------------------------------------------


def refresh_fields(session: Session, admin, **changes) -> dict[str, str]:
    source = plan_by_slug(session, SOURCE)
    fields = {
        "csrf_token": admin.csrf,
        "new_slug": SUCCESSOR,
        "title": "Staffordshire Strategic Framework for Reduced Offending 2021-24",
        "short_title": "Reduced Offending 2021-24",
        "period_start": "2021-04-01",
        "period_end": "2024-03-31",
        "refresh_date": "",
        "themes": f"{PREVENTION_EI}\n{OMRR}",
        "overrides": "",
        "due_rule": "first-year",
        "due_dates": "",
    }
    for theme in session.exec(select(Theme).where(Theme.plan_id == source.id)):
        fields[f"map-{theme.id}"] = f"to:{theme.title}"
    return fields | changes


def theme_id(session: Session, slug: str, title: str) -> int:
    plan = plan_by_slug(session, slug)
    return session.exec(
        select(Theme.id).where(Theme.plan_id == plan.id, Theme.title == title)
    ).one()


def outstanding_refs(session: Session, slug: str) -> list[str]:
    """Refs of the plan's actions outstanding on 1 April 2021."""
    plan = plan_by_slug(session, slug)
    return sorted(
        status.action.ref
        for status in statuses_as_at(session=session, plan_id=plan.id, as_at=date(2021, 4, 1))
        if status.stage not in (Stage.complete, Stage.withdrawn, Stage.carried_forward)
    )


def test_the_refresh_form_offers_a_choice_for_each_old_theme(admin, session):
    page = admin.get(f"/plans/{SOURCE}/refresh")
    assert page.status_code == 200
    fields = fields_of(page.text, f"/plans/{SOURCE}/refresh/preview")
    # The same themes, with their delivery groups, each mapped to itself, are the starting point.
    assert fields["themes"].splitlines() == [
        f"{PREVENTION_EI} | Prevention/Early Intervention Group",
        f"{OMRR} | Offender Management, Rehabilitation and Resettlement Delivery Group",
    ]
    assert fields[f"map-{theme_id(session, SOURCE, OMRR)}"] == f"to:{OMRR}"
    # The new period starts the day after the old one ends, in the GOV.UK date input's boxes.
    assert [fields[f"period_start-{part}"] for part in ("day", "month", "year")] == [
        "1",
        "4",
        "2021",
    ]

    # Typing other themes and asking for the choices again offers those themes, nothing written.
    before = row_counts(session)
    again = admin.post(
        f"/plans/{SOURCE}/refresh/preview",
        data=fields | {"themes": "Early help\nResettlement", "step": "themes"},
    )
    assert again.status_code == 200
    assert row_counts(session) == before
    choices = form_on(again.text, f"/plans/{SOURCE}/refresh/preview")
    assert 'value="to:Early help"' in again.text and 'value="to:Resettlement"' in again.text
    assert (f"map-{theme_id(session, SOURCE, OMRR)}", "") in choices["fields"]  # renamed: choose


def test_the_refresh_preview_shows_what_would_happen_and_writes_nothing(admin, session):
    outstanding = outstanding_refs(session, SOURCE)
    assert outstanding, "the demo 2018-21 plan should have outstanding actions"
    before = row_counts(session)

    page = admin.post(f"/plans/{SOURCE}/refresh/preview", data=refresh_fields(session, admin))

    assert page.status_code == 200, page.text
    assert row_counts(session) == before
    assert plan_by_slug(session, SUCCESSOR) is None
    text = text_of(page)
    assert f"Carried forward ({len(outstanding)})" in text
    assert "Confirm refresh" in text
    # The confirm form carries every input again.
    confirm = fields_of(page.text, f"/plans/{SOURCE}/refresh")
    assert confirm["new_slug"] == SUCCESSOR
    assert confirm["themes"] == f"{PREVENTION_EI}\n{OMRR}"
    assert confirm[f"map-{theme_id(session, SOURCE, OMRR)}"] == f"to:{OMRR}"


def test_confirming_creates_the_successor_with_the_carried_actions(admin, session):
    source = plan_by_slug(session, SOURCE)
    outstanding = outstanding_refs(session, SOURCE)
    preview = admin.post(f"/plans/{SOURCE}/refresh/preview", data=refresh_fields(session, admin))
    confirm = fields_of(preview.text, f"/plans/{SOURCE}/refresh")

    response = admin.post(f"/plans/{SOURCE}/refresh", data=confirm, follow_redirects=False)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/plans/{SUCCESSOR}"
    successor = plan_by_slug(session, SUCCESSOR)
    assert successor.predecessor_id == source.id
    assert successor.short_title == "Reduced Offending 2021-24"
    copies = session.exec(select(Action).where(Action.plan_id == successor.id)).all()
    assert sorted(copy.ref for copy in copies) == outstanding
    for copy in copies:
        original = session.get(Action, copy.carried_forward_from_id)
        assert (original.plan_id, original.ref) == (source.id, copy.ref)
        last = session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.action_id == original.id)
            .order_by(StatusUpdate.effective_on.desc(), StatusUpdate.id.desc())
        ).first()
        assert last.stage == Stage.carried_forward
    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "refresh", AuditEvent.entity_id == successor.id)
    ).one()
    assert event.actor == admin_email()

    # Both plans say where the actions came from and went.
    new_page = text_of(admin.get(f"/plans/{SUCCESSOR}"))
    assert f"{len(outstanding)} actions carried forward from {source.title}." in new_page
    old_page = text_of(admin.get(f"/plans/{SOURCE}"))
    assert (
        f"{len(outstanding)} outstanding actions carried forward to {successor.title}." in old_page
    )

    # Confirming again (a double click, a reload) copies nothing twice.
    before = row_counts(session)
    again = admin.post(f"/plans/{SOURCE}/refresh", data=confirm, follow_redirects=False)
    assert again.status_code == 303
    assert row_counts(session) == before


def test_the_refresh_form_asks_for_new_due_dates_with_no_rule_chosen(admin):
    page = admin.get(f"/plans/{SOURCE}/refresh")
    text = text_of(page)
    assert "New due dates for carried-forward actions" in text
    form = form_on(page.text, f"/plans/{SOURCE}/refresh/preview")
    assert not [name for name, _value in form["fields"] if name == "due_rule"]  # none checked
    for value in ("first-year", "period-end", "keep"):
        assert f'name="due_rule" type="radio" value="{value}"' in page.text
    assert fields_of(page.text, f"/plans/{SOURCE}/refresh/preview")["due_dates"] == ""


def test_without_due_dates_the_summary_links_to_the_rules(admin, session):
    fields = refresh_fields(session, admin, due_rule="")
    response = admin.post(f"/plans/{SOURCE}/refresh/preview", data=fields)
    assert response.status_code == 400
    message = re.search(r'id="due_dates-error".*?</p>', response.text, re.S)[0]
    assert all(ref in message for ref in outstanding_refs(session, SOURCE))
    assert '<a href="#due_rule">Choose a rule for the new due dates' in response.text
    assert 'id="due_rule" name="due_rule" type="radio"' in response.text
    assert 'id="due_dates-error"' in response.text

    # A bad line links to the box it is in.
    fields = refresh_fields(session, admin, due_dates="OM4 = soon")
    response = admin.post(f"/plans/{SOURCE}/refresh/preview", data=fields)
    assert response.status_code == 400
    assert '<a href="#due_dates">Line 1 of the new due dates' in response.text


def test_the_preview_shows_each_carried_action_s_old_and_new_due_date(admin, session):
    source = plan_by_slug(session, SOURCE)
    outstanding = outstanding_refs(session, SOURCE)
    first, *rest = outstanding
    fields = refresh_fields(session, admin, due_dates=f"{first} = 30/09/2021")
    page = admin.post(f"/plans/{SOURCE}/refresh/preview", data=fields)
    assert page.status_code == 200, text_of(page)
    text = text_of(page)
    assert "New due dates The end of the new plan's first year" in text
    originals = {
        action.ref: action
        for action in session.exec(select(Action).where(Action.plan_id == source.id))
    }
    for ref in outstanding:
        original = originals[ref]
        was = original.due_label or uk_date(original.due_date)
        new = "30 September 2021" if ref == first else "31 March 2022"
        row = re.search(
            rf"<tr class=\"govuk-table__row\">\s*<td class=\"govuk-table__cell\">"
            rf"{ref}</td>.*?</tr>",
            page.text,
            re.S,
        )
        assert row, ref
        cells = text_of_html(row[0])
        assert was in cells and new in cells, cells
    confirm = fields_of(page.text, f"/plans/{SOURCE}/refresh")
    assert (confirm["due_rule"], confirm["due_dates"]) == ("first-year", f"{first} = 30/09/2021")

    response = admin.post(f"/plans/{SOURCE}/refresh", data=confirm, follow_redirects=False)
    assert response.status_code == 303, text_of(response)
    successor = plan_by_slug(session, SUCCESSOR)
    copies = {
        action.ref: action.due_date
        for action in session.exec(select(Action).where(Action.plan_id == successor.id))
    }
    assert copies == {ref: date(2022, 3, 31) for ref in rest} | {first: date(2021, 9, 30)}
    # Nothing is overdue on the successor's first day.
    first_day = statuses_as_at(session=session, plan_id=successor.id, as_at=date(2021, 4, 1))
    assert len(first_day) == len(outstanding)
    assert not any(status.is_overdue(date(2021, 4, 1)) for status in first_day)


def text_of_html(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: {f"map-{theme_id(s, SOURCE, OMRR)}": ""},
            f"Theme '{OMRR}' has outstanding actions",
        ),
        (
            lambda s: {f"map-{theme_id(s, SOURCE, OMRR)}": "to:Resettlement"},
            f"Theme '{OMRR}' is mapped to 'Resettlement', which is not one of the new themes",
        ),
        (lambda s: {"new_slug": "Not A Slug"}, "'Not A Slug' is not a slug"),
        (
            lambda s: {"period_end": "31/13/2024"},
            "The end of the new period, '31/13/2024', is not a date",
        ),
        (
            lambda s: {"overrides": "NOSUCHREF = Resettlement"},
            f"{SOURCE} has no action 'NOSUCHREF'",
        ),
        (
            lambda s: {"due_rule": ""},
            "Choose a rule for the new due dates, or give one for each carried-forward action",
        ),
        (
            lambda s: {"due_dates": "\nOM4 31/03/2022"},
            "Line 2 of the new due dates, 'OM4 31/03/2022', should be written REF = date, such as "
            "P3 = 31/03/2022",
        ),
        (
            lambda s: {"due_dates": "OM4 = 31/13/2022"},
            "Line 1 of the new due dates: '31/13/2022' is not a date; write it as 31/03/2022 or "
            "2022-03-31",
        ),
        (
            lambda s: {"due_dates": "OM4 = 2022-03-31\nOM4 = 2022-06-30"},
            "Action OM4 is given twice in the new due dates",
        ),
        (
            lambda s: {"due_dates": "NOSUCHREF = 31/03/2022"},
            f"A new due date is given for action 'NOSUCHREF', which {SOURCE} does not have",
        ),
        (
            lambda s: {"due_rule": "keep"},
            "before the refresh date 2021-04-01 and a passed date cannot be kept",
        ),
    ],
)
def test_a_bad_refresh_gets_its_message_and_writes_nothing(admin, session, change, message):
    fields = refresh_fields(session, admin, **change(session))
    before = row_counts(session)
    for path in (f"/plans/{SOURCE}/refresh/preview", f"/plans/{SOURCE}/refresh"):
        response = admin.post(path, data=fields, follow_redirects=False)
        assert response.status_code == 400, path
        assert "govuk-error-summary" in response.text
        assert message in text_of(response)
        # The form comes back as it was filled in.
        assert (
            fields_of(response.text, f"/plans/{SOURCE}/refresh/preview")["title"]
            == (fields["title"])
        )
    assert row_counts(session) == before
    assert plan_by_slug(session, SUCCESSOR) is None


# --- Import -------------------------------------------------------------------------------------

HEADER = ["Theme", "Ref", "Action", "Lead organisation", "Lead", "Due", "Status", "Commentary"]
ROWS = [
    [
        "Early help",
        "EH1",
        "Set up a joint triage panel",
        "OPCC",
        "Commissioning Manager",
        "31/03/2025",
        "On track",
        "Panel met twice.",
    ],
    [
        "Early help",
        "EH2",
        "Map early help services",
        "OPCC",
        "Commissioning Manager",
        "Q4 2024/25",
        "Not started",
        None,
    ],
    [
        "Resettlement",
        "RS1",
        "Open a resettlement hub",
        "A New Housing Charity",
        "Project Lead",
        "March 2026",
        "Amber",
        "Site found; lease delayed.",
    ],
]


@pytest.fixture
def target(session) -> Plan:
    return make_plan(
        session, slug="imports-2024-27", short_title="Imports 2024-27", rag_scheme="rag3"
    )


def upload(
    client,
    plan: Plan,
    filename: str,
    data: bytes,
    content_type: str = XLSX_TYPE,
    effective_on: date | None = None,
):
    """Upload a file for its first preview: its statuses dated the plan's start unless told."""
    return client.post(
        f"/plans/{plan.slug}/import/preview",
        data={
            "csrf_token": client.csrf,
            "effective_on": (effective_on or plan.period_start).isoformat(),
        },
        files={"file": (filename, data, content_type)},
    )


def test_the_office_finds_every_plan_s_refresh_and_import_from_the_menu(admin, viewer_client):
    assert 'href="/data">Import and refresh</a>' in admin.get("/").text
    assert 'href="/data"' not in viewer_client.get("/").text
    hub = admin.get("/data")
    assert hub.status_code == 200
    for path in (
        f"/plans/{SOURCE}/refresh",
        f"/plans/{SOURCE}/import",
        "/import/template.xlsx",
        "/export",
    ):
        assert f'href="{path}"' in hub.text


def test_the_hub_shows_each_plan_s_state_as_the_plan_pages_do(admin):
    hub = admin.get("/data").text
    states = {
        plan["slug"]: plan["state_text"] for plan in admin.get("/api/v1/plans").json()["items"]
    }
    assert any(text.startswith("Ended on ") for text in states.values())
    for slug, text in states.items():
        row = hub[hub.index(f'href="/plans/{slug}"') :].split("</tr>")[0]
        assert f">{text}</td>" in row, (slug, row)


def test_the_import_form_links_the_template_which_downloads(admin, target):
    page = admin.get(f"/plans/{target.slug}/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'accept=".xlsx,.csv"' in page.text
    assert 'href="/import/template.xlsx"' in page.text
    template = admin.get("/import/template.xlsx")
    assert template.status_code == 200
    assert template.headers["content-type"] == XLSX_TYPE
    assert "attachment" in template.headers["content-disposition"]
    assert template.content.startswith(b"PK")


def test_an_import_previews_then_applies_then_changes_nothing_the_second_time(
    admin, session, target
):
    data = xlsx([HEADER, *ROWS])
    before = row_counts(session)

    preview = upload(admin, target, "actions.xlsx", data)

    assert preview.status_code == 200, text_of(preview)
    assert row_counts(session) == before
    text = text_of(preview)
    assert "Create (3)" in text and "Update (0)" in text
    assert "New themes: Early help, Resettlement." in text
    fields = fields_of(preview.text, f"/plans/{target.slug}/import/preview")
    # The proposed mapping, one select per column: "Lead" is the lead's role, "Status" the stage.
    assert fields["column-4"] == "lead_role"
    assert fields["column-6"] == "stage"
    assert fields["column-2"] == "title"
    assert isinstance(fields["file_data"], str) and fields["filename"] == "actions.xlsx"

    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)

    assert response.status_code == 303, text_of(response)
    assert response.headers["location"] == f"/plans/{target.slug}?imported=3&updated=0"
    actions = {
        action.ref: action
        for action in session.exec(select(Action).where(Action.plan_id == target.id))
    }
    assert sorted(actions) == ["EH1", "EH2", "RS1"]
    assert actions["EH2"].due_label == "Q4 2024/25"
    hub = session.exec(
        select(StatusUpdate).where(StatusUpdate.action_id == actions["RS1"].id)
    ).one()
    assert (hub.stage, hub.rag, hub.commentary) == (
        "in_progress",
        "amber",
        "Site found; lease delayed.",
    )
    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "import", AuditEvent.entity_id == target.id)
    ).one()
    assert event.user_id == session.exec(select(User.id).where(User.email == admin_email())).one()
    plan_page = text_of(admin.get(response.headers["location"]))
    assert "Imported from the spreadsheet: 3 actions created, 0 updated." in plan_page

    # The same file again: the dry run says nothing would change, and importing changes nothing.
    after_first = row_counts(session)
    again = upload(admin, target, "actions.xlsx", data)
    assert again.status_code == 200
    assert "Nothing to import: the plan already matches this file." in text_of(again)
    assert f'formaction="/plans/{target.slug}/import"' not in again.text
    fields = fields_of(again.text, f"/plans/{target.slug}/import/preview")
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.headers["location"] == f"/plans/{target.slug}?imported=0&updated=0"
    assert row_counts(session) == after_first


def test_a_file_larger_than_one_form_field_travels_in_pieces(admin, session, target):
    # About 1 MB of CSV: its base64 copy needs three hidden fields, each below Starlette's 1 MB
    # limit on a form field, and comes back whole.
    lines = ["Theme,Ref,Action,Description,Due"]
    lines += [f"Early help,EH{n},Action {n},{'x' * 100_000},March 2026" for n in range(10)]
    data = "\n".join(lines).encode()
    preview = upload(admin, target, "big.csv", data, "text/csv")
    assert preview.status_code == 200, text_of(preview)[:2000]
    fields = fields_of(preview.text, f"/plans/{target.slug}/import/preview")
    assert isinstance(fields["file_data"], list) and len(fields["file_data"]) == 3
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.headers["location"] == f"/plans/{target.slug}?imported=10&updated=0"
    descriptions = session.exec(select(Action.description).where(Action.plan_id == target.id))
    assert {len(text) for text in descriptions} == {100_000}


def test_the_office_corrects_the_mapping_and_must_check_again(admin, session, target):
    data = xlsx([HEADER, *ROWS])
    fields = fields_of(
        upload(admin, target, "actions.xlsx", data).text, f"/plans/{target.slug}/import/preview"
    )
    before = row_counts(session)

    # Changing a column and importing straight away imports nothing: the new dry run is shown.
    changed = fields | {"column-7": ""}
    response = admin.post(f"/plans/{target.slug}/import", data=changed, follow_redirects=False)
    assert response.status_code == 400
    assert "What the import would do is not what was checked" in text_of(response)
    assert row_counts(session) == before

    # Checked again with the column left out, the import goes ahead without commentary.
    checked = admin.post(f"/plans/{target.slug}/import/preview", data=changed)
    assert checked.status_code == 200
    fields = fields_of(checked.text, f"/plans/{target.slug}/import/preview")
    assert fields["column-7"] == ""
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.status_code == 303
    commentaries = session.exec(
        select(StatusUpdate.commentary)
        .join(Action, Action.id == StatusUpdate.action_id)
        .where(Action.plan_id == target.id)
    ).all()
    assert commentaries and all(text == "" for text in commentaries)


def test_choosing_one_field_for_two_columns_is_refused(admin, session, target):
    fields = fields_of(
        upload(admin, target, "actions.xlsx", xlsx([HEADER, *ROWS])).text,
        f"/plans/{target.slug}/import/preview",
    )
    before = row_counts(session)
    for path in ("import/preview", "import"):
        response = admin.post(f"/plans/{target.slug}/{path}", data=fields | {"column-0": "title"})
        assert response.status_code == 400
        assert (
            "Title is chosen for both 'Theme' and 'Action': choose it for one column only"
            in text_of(response)
        )
    assert row_counts(session) == before


def test_a_bad_row_gets_its_exact_message_and_nothing_is_written(admin, session, target):
    rows = [list(row) for row in ROWS]
    rows[1][5] = "31/13/2018"  # spreadsheet row 3
    data = xlsx([HEADER, *rows])
    before = row_counts(session)

    preview = upload(admin, target, "bad.xlsx", data)

    assert preview.status_code == 400
    text = text_of(preview)
    assert "govuk-error-summary" in preview.text
    assert "row 3, Due: '31/13/2018' is not a date" in text
    assert f'formaction="/plans/{target.slug}/import"' not in preview.text
    # Posting the file to the import anyway is refused the same way.
    fields = fields_of(preview.text, f"/plans/{target.slug}/import/preview")
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.status_code == 400
    assert "row 3, Due: '31/13/2018' is not a date" in text_of(response)
    assert row_counts(session) == before


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        (
            "actions.xlsx",
            b"\x89PNG\r\n\x1a\n" + bytes(200),
            "'actions.xlsx' is not a spreadsheet: it looks like a PNG image",
        ),
        (
            "actions.csv",
            b"Ref,Action,Due\n" + b"x" * MAX_BYTES,
            "the largest file accepted is 5 MB",
        ),
        ("actions.xlsx", b"", "'actions.xlsx' is empty"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_400(
    admin, session, target, filename, data, message
):
    before = row_counts(session)
    response = upload(admin, target, filename, data)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert message in text_of(response)
    assert row_counts(session) == before


def test_no_file_chosen_is_refused_with_400(admin, target):
    response = admin.post(
        f"/plans/{target.slug}/import/preview",
        data={"csrf_token": admin.csrf},
        files={"other": ("", b"")},
    )
    assert response.status_code == 400
    assert "Choose an Excel workbook (.xlsx) or a CSV file to upload" in text_of(response)


def test_a_damaged_copy_sent_back_is_refused(admin, session, target):
    fields = fields_of(
        upload(admin, target, "actions.xlsx", xlsx([HEADER, *ROWS])).text,
        f"/plans/{target.slug}/import/preview",
    )
    response = admin.post(f"/plans/{target.slug}/import", data=fields | {"file_data": "not*base64"})
    assert response.status_code == 400
    assert "is damaged: upload the file again" in text_of(response)
    assert session.exec(select(Action).where(Action.plan_id == target.id)).first() is None


# --- Export -------------------------------------------------------------------------------------


def test_the_export_is_json_with_every_plan_and_no_password_hashes(own_app_client, own_database):
    """Through the app as served: the export reads one snapshot on a connection of its own."""
    client, engine = own_app_client, own_database[1]
    csrf = sign_in(client, "admin")
    page = client.get("/export")
    assert page.status_code == 200
    assert 'action="/export"' in page.text
    with Session(engine) as check:
        exports_before = len(
            check.exec(select(AuditEvent).where(AuditEvent.verb == "export")).all()
        )

    response = client.post("/export", data={"csrf_token": csrf})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["format"] == "plantrack-backup"
    assert data["includes_password_hashes"] is False
    slugs = {row["slug"] for row in data["tables"]["plan"]}
    assert {SOURCE, "reducing-offending-2015-18"} <= slugs
    users = data["tables"]["user"]
    assert users and all(row["password_hash"] == "" for row in users)
    with Session(engine) as check:
        stored = check.exec(select(User.password_hash)).all()
        exports = check.exec(select(AuditEvent).where(AuditEvent.verb == "export")).all()
    assert not any(hash_ and hash_ in response.text for hash_ in stored)
    assert len(exports) == exports_before + 1 and exports[-1].user_id


# --- Who may ------------------------------------------------------------------------------------

POSTS = [
    f"/plans/{SOURCE}/refresh/preview",
    f"/plans/{SOURCE}/refresh",
    f"/plans/{SOURCE}/import/preview",
    f"/plans/{SOURCE}/import",
    "/export",
]
GETS = [
    f"/plans/{SOURCE}/refresh",
    f"/plans/{SOURCE}/import",
    "/import/template.xlsx",
    "/export",
    "/data",
]


def test_a_viewer_gets_403_on_every_page_and_every_post(viewer, session):
    csrf = csrf_from(viewer.get("/").text)
    before = row_counts(session)
    for path in POSTS:
        response = viewer.post(
            path,
            data={"csrf_token": csrf},
            files={"file": ("a.csv", b"Ref,Action,Due\n")},
            follow_redirects=False,
        )
        assert response.status_code == 403, path
    for path in GETS:
        assert viewer.get(path, follow_redirects=False).status_code == 403, path
    assert row_counts(session) == before


def test_anonymous_visitors_are_sent_to_sign_in(app_client):
    for path in GETS:
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=")


# --- Lineage on the plan page -------------------------------------------------------------------


def test_the_plan_pages_show_the_demo_lineage_and_admin_links(admin, viewer_client, session):
    old = plan_by_slug(session, "reducing-offending-2015-18")
    new = plan_by_slug(session, SOURCE)
    carried = session.exec(
        select(func.count())
        .select_from(Action)
        .where(Action.plan_id == new.id, Action.carried_forward_from_id.is_not(None))
    ).one()
    assert carried == 11

    response = admin.get(f"/plans/{SOURCE}")
    page = text_of(response)
    assert f"11 actions carried forward from {old.title}." in page
    assert f'href="/plans/{old.slug}"' in response.text
    assert "Refresh this plan" in page and "Import actions" in page
    assert f"11 outstanding actions carried forward to {new.title}." in text_of(
        admin.get(f"/plans/{old.slug}")
    )

    seen_by_viewer = text_of(viewer_client.get(f"/plans/{SOURCE}"))
    assert f"11 actions carried forward from {old.title}." in seen_by_viewer
    assert "Refresh this plan" not in seen_by_viewer


def test_the_lineage_takes_two_queries_whatever_the_plan(session, count_statements):
    for slug in ("reducing-offending-2015-18", SOURCE, "managing-offenders-2018-21"):
        plan = plan_by_slug(session, slug)
        with count_statements() as counter:
            plan_lineage(session=session, plan=plan)
        assert counter.count == 2, slug


# --- Import: the choices the office makes on the preview --------------------------------------


def preview_post(client, plan: Plan, fields: dict):
    return client.post(f"/plans/{plan.slug}/import/preview", data=fields)


def test_the_office_must_choose_when_the_statuses_took_effect(admin, session, target):
    data = xlsx([HEADER, *ROWS])
    first = admin.post(
        f"/plans/{target.slug}/import/preview",
        data={"csrf_token": admin.csrf},
        files={"file": ("actions.xlsx", data, XLSX_TYPE)},
    )
    assert first.status_code == 400
    assert "choose the date the spreadsheet's statuses took effect" in text_of(first)
    # The plan's start and today are one click away; none is chosen yet.
    assert f'value="{target.period_start.isoformat()}"' in first.text
    assert f'value="{date.today().isoformat()}"' in first.text
    fields = fields_of(first.text, f"/plans/{target.slug}/import/preview")
    assert "effective_on" not in fields
    assert 'formaction="/plans/' not in first.text

    typed = preview_post(
        admin, target, fields | {"effective_on": "other", "effective_other": "30/09/2021"}
    )
    assert typed.status_code == 200, text_of(typed)
    assert "Status updates take effect on 30 September 2021." in text_of(typed)
    fields = fields_of(typed.text, f"/plans/{target.slug}/import/preview")
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.status_code == 303, text_of(response)
    dates = session.exec(
        select(StatusUpdate.effective_on)
        .join(Action, Action.id == StatusUpdate.action_id)
        .where(Action.plan_id == target.id)
    ).all()
    assert set(dates) == {date(2021, 9, 30)}


def test_status_words_red_rows_and_formulas_are_confirmed_on_the_preview(admin, session, target):
    header = ["Theme", "Ref", "Action", "Due", "Status", "Update", "As at"]
    rows = [
        ["Early help", "EH1", "Set up a panel", "Mar-22", "Slipped", "Late.", "30/06/2021"],
        [
            "Early help",
            "EH2",
            "Map services",
            "2021/22",
            "Off track",
            "Behind. Corrective action: extra analyst.",
            "30/06/2021",
        ],
        ["Early help", "EH3", "Agree a protocol", "Q3 2021/22", "Done", "=A1&B1", "30/06/2021"],
    ]
    page = upload(admin, target, "plan.xlsx", xlsx([header, *rows]))
    assert page.status_code == 400
    text = text_of(page)
    assert (
        "row 4, Update (cell F4): a formula with no saved value, =A1&B1 (Excel never calculated "
        "it)" in text
    )
    fields = fields_of(page.text, f"/plans/{target.slug}/import/preview")
    # Each status word with what it means, as a select the office may change.
    assert fields["status-slipped"] == "in_progress:amber"
    assert fields["status-off track"] == "in_progress:red"
    assert fields["status-done"] == "complete"
    # The Red row's corrective action, proposed from its update.
    assert fields["corrective-EH2"] == "extra analyst."
    # Each row as read: the due date beside the cell's text, and the row's own date.
    assert "31 March 2022 (“2021/22”)" in text

    fields |= {"formula_text": "yes", "status-slipped": "in_progress:red"}
    refused = preview_post(admin, target, fields)
    assert "row 2, Corrective action: a Red rating needs a corrective action" in text_of(refused)
    fields = fields_of(refused.text, f"/plans/{target.slug}/import/preview")
    checked = preview_post(admin, target, fields | {"corrective-EH1": "Weekly review."})
    assert checked.status_code == 200, text_of(checked)
    fields = fields_of(checked.text, f"/plans/{target.slug}/import/preview")
    response = admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    assert response.status_code == 303, text_of(response)
    found = {
        ref: (update.effective_on, update.stage, update.rag, update.corrective_action, text)
        for ref, update, text in session.exec(
            select(Action.ref, StatusUpdate, StatusUpdate.commentary)
            .join(Action, Action.id == StatusUpdate.action_id)
            .where(Action.plan_id == target.id)
        )
    }
    assert found == {
        "EH1": (date(2021, 6, 30), "in_progress", "red", "Weekly review.", "Late."),
        "EH2": (
            date(2021, 6, 30),
            "in_progress",
            "red",
            "extra analyst.",
            "Behind. Corrective action: extra analyst.",
        ),
        "EH3": (date(2021, 6, 30), "complete", None, "", "=A1&B1"),
    }


def test_refs_already_in_the_plan_are_shown_loudly_with_before_and_after(admin, session, target):
    data = xlsx([HEADER, *ROWS])
    fields = fields_of(
        upload(admin, target, "actions.xlsx", data).text, f"/plans/{target.slug}/import/preview"
    )
    admin.post(f"/plans/{target.slug}/import", data=fields, follow_redirects=False)
    changed = [row[:] for row in ROWS]
    changed[0][2] = "Set up a joint triage and diversion panel"
    changed[0][6] = "Complete"
    page = upload(admin, target, "actions.xlsx", xlsx([HEADER, *changed]))
    assert page.status_code == 200, text_of(page)
    text = text_of(page)
    banner = text[: text.index("File actions.xlsx")]
    assert "3 rows of this file have refs that are already in the plan" in banner
    assert "Title: “Set up a joint triage panel”" in banner
    assert "Title: “Set up a joint triage and diversion panel”" in banner
    assert "Status: In progress, Green" in banner and "Status: Complete from" in banner
