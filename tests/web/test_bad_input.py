"""No input is a server error: ids no table can hold, dates outside the years plantrack reads, NUL
bytes, and every page form posted with hostile values (a fuzzer with a fixed seed)."""

import random
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from sqlmodel import select

from app.core.models import Action, Indicator, Meeting, User
from app.domain.as_at import AsAtError, check_in_range, resolve_dates
from app.domain.progress import get_plan
from app.domain.updates import UpdateIn, record_update

SLUG = "reduced-offending-2018-21"
HUGE = "99999999999999999999"  # above 2**63


# --- Ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/published/{HUGE}",
        f"/published/{HUGE}.pdf",
        f"/published/{HUGE}/changes",
        f"/published/{2**31}",
        "/published/0",
        "/published/-1",
        "/published/abc",
    ],
)
def test_an_id_no_table_can_hold_is_a_page_not_found(admin, path):
    response = admin.get(path)
    assert response.status_code == 404, response.text[:300]
    assert "Page not found" in response.text


@pytest.mark.parametrize(
    "path", [f"/public/published/{HUGE}", f"/public/published/{HUGE}.json", "/public/published/x"]
)
def test_an_anonymous_visitor_gets_404_for_an_impossible_public_report(app_client, path):
    assert app_client.get(path).status_code == 404


def test_an_impossible_id_in_a_post_is_404(admin, session):
    key = session.exec(select(Indicator.key)).first()
    for path in (
        f"/approvals/{HUGE}",
        f"/indicators/{key}/values/{HUGE}/correct",
        f"/indicators/{key}/values/{HUGE}/withdraw",
    ):
        response = admin.post(path, data={"csrf_token": admin.csrf, "decision": "approve"})
        assert response.status_code == 404, path


@pytest.mark.parametrize(
    "path",
    [
        f"/plans/{SLUG}/reports/highlight?meeting={HUGE}",
        f"/plans/{SLUG}/reports/highlight.json?meeting={HUGE}",
        f"/completion?plan={SLUG}&meeting={HUGE}",
        f"/audit?page={HUGE}",
        "/audit?page=0",
        f"/indicators?uploaded={HUGE}",
    ],
)
def test_a_number_out_of_range_in_a_query_is_a_readable_400(admin, path):
    response = admin.get(path)
    assert response.status_code == 400, response.text[:300]
    assert "There is a problem with the request" in response.text


@pytest.mark.parametrize(
    "path, data",
    [
        ("/completion/reminders", {"plan": SLUG, "meeting": HUGE}),
        (f"/plans/{SLUG}/reports/appendix/publish", {"meeting": HUGE}),
        (f"/plans/{SLUG}/reports/highlight/publish", {"meeting": HUGE}),
    ],
)
def test_a_number_out_of_range_in_a_form_is_a_readable_400(admin, path, data):
    response = admin.post(path, data=data | {"csrf_token": admin.csrf})
    assert response.status_code == 400, response.text[:300]


# --- Dates --------------------------------------------------------------------------------------

FAR_DATES = ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]


@pytest.mark.parametrize("far", FAR_DATES)
@pytest.mark.parametrize(
    "path",
    [
        f"/plans/{SLUG}?as_at={{far}}",
        f"/plans/{SLUG}/reports/appendix?as_at={{far}}",
        f"/plans/{SLUG}/reports/appendix?since={{far}}",
        f"/plans/{SLUG}/reports/appendix.csv?as_at={{far}}",
        f"/plans/{SLUG}/reports/highlight?as_at={{far}}",
        f"/plans/{SLUG}/reports/highlight.json?as_at={{far}}",
        "/audit?since={far}",
        "/audit?until={far}",
    ],
)
def test_a_date_outside_the_years_plantrack_reads_is_a_readable_400(admin, path, far):
    response = admin.get(path.format(far=far))
    assert response.status_code == 400, response.text[:300]
    assert "outside the dates plantrack reads" in response.text


def test_the_highlight_of_a_given_meeting_refuses_a_far_date_too(admin, session):
    meeting_id = session.exec(select(Meeting.id)).first()
    response = admin.get(f"/plans/{SLUG}/reports/highlight?meeting={meeting_id}&as_at=9999-12-31")
    assert response.status_code == 400


@pytest.mark.parametrize("far", ["0001-01-01", "9999-12-31"])
def test_the_api_answers_a_far_date_with_422(client, far):
    for path in (f"/api/v1/plans/{SLUG}/progress", f"/api/v1/plans/{SLUG}/reports/appendix"):
        response = client.get(path, params={"as_at": far})
        assert response.status_code == 422, path
        assert "outside the dates plantrack reads" in response.json()["errors"]["as_at"]


def test_a_far_date_in_a_form_is_refused_beside_its_field(admin, session):
    page = admin.post(
        f"/plans/{SLUG}/actions/OM1/updates",
        data={
            "csrf_token": admin.csrf,
            "stage": "in_progress",
            "rag": "green",
            "commentary": "On track.",
            "effective_on": "9999-12-31",
        },
    )
    assert page.status_code == 400
    assert "9999-12-31" in page.text
    published = admin.post(
        f"/plans/{SLUG}/reports/appendix/publish",
        data={"csrf_token": admin.csrf, "as_at": "0001-01-01"},
    )
    assert published.status_code == 400


def test_the_one_as_at_rule_refuses_far_dates(session):
    plan = get_plan(session=session, slug=SLUG)
    assert check_in_range(date(1900, 1, 1)) == date(1900, 1, 1)
    assert check_in_range(date(2100, 12, 31)) == date(2100, 12, 31)
    for far, field in ((date(1, 1, 1), "as_at"), (date(9999, 12, 31), "since")):
        with pytest.raises(AsAtError) as refused:
            resolve_dates(plan, **{field: far})
        assert refused.value.field == field


# --- NUL bytes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/public/plans/a%00b",
        "/plans/a%00b",
        f"/plans/{SLUG}/actions/O%00M1",
        "/boards/a%00",
        "/indicators/a%00b",
        f"/plans/{SLUG}?stage=%00",
        "/sign-in?next=%00",
        "/api/v1/plans/a%00b/progress",
    ],
)
def test_a_nul_byte_in_an_address_is_a_400(app_client, path):
    response = app_client.get(path)
    assert response.status_code == 400, response.text[:300]


def test_a_nul_byte_in_a_form_is_a_400(admin):
    for data in ({"title": "a\x00b"}, {"a\x00": "b"}):
        response = admin.post(
            f"/plans/{SLUG}/actions/OM1/edit", data=data | {"csrf_token": admin.csrf}
        )
        assert response.status_code == 400
    multipart = admin.post(
        f"/plans/{SLUG}/import/preview",
        data={"csrf_token": admin.csrf, "filename": "a\x00.csv"},
        files={"file": ("a.csv", b"Ref,Action\n")},
    )
    assert multipart.status_code == 400


# --- Every page form, fuzzed --------------------------------------------------------------------


class Forms(HTMLParser):
    """The <form>s of a page: action, method, enctype and their named fields with their values
    (the first option of a select) and kind (an input's type, select or textarea)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.forms: list[dict] = []
        self.select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": urljoin(self.base, attributes.get("action") or self.base),
                    "method": (attributes.get("method") or "get").lower(),
                    "enctype": attributes.get("enctype") or "",
                    "fields": [],
                }
            )
            return
        if not self.forms or not attributes.get("name"):
            if tag == "option" and self.select is not None and self.select["value"] is None:
                self.select["value"] = attributes.get("value", "")
            return
        fields = self.forms[-1]["fields"]
        if tag in ("input", "textarea"):
            kind = attributes.get("type", "text") if tag == "input" else "textarea"
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and any(
                f["name"] == attributes["name"] for f in fields
            ):
                return
            fields.append(
                {"name": attributes["name"], "kind": kind, "value": attributes.get("value", "")}
            )
        elif tag == "select":
            self.select = {"name": attributes["name"], "kind": "select", "value": None}
            fields.append(self.select)

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def page_forms(client, path: str, response=None) -> list[dict]:
    parser = Forms(f"http://testserver{path}")
    parser.feed((response or client.get(path)).text)
    return parser.forms


def hostile_values(rng: random.Random) -> list[str]:
    return [
        "",
        "x" * 100_000,  # far longer than any column
        "a\x00b",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u202e\U0001f600\ufeff e\u0301 \u00ff\u0100",
        "-1",
        HUGE,
        "1e400",
        "NaN",
        "0001-01-01",
        "9999-12-31",
        "2018-02-30",
        "Q9 9999/10000",
        str(rng.randint(-(2**70), 2**70)),
    ]


SPREADSHEET = b"Ref,Action,Due,Status,RAG,Update\nOM1,A title,31/03/2019,In progress,Amber,Fine\n"


def fuzz_requests(forms: list[dict], csrf: str, rng: random.Random, per_field: int):
    """(method, url, data, files) for each form: each field in turn given some of the hostile
    values, the others their page values (a small spreadsheet for a file); the CSRF token kept so
    that the handler is reached."""
    for form in forms:
        baseline = {f["name"]: f["value"] or "" for f in form["fields"] if f["kind"] != "file"}
        baseline["csrf_token"] = csrf
        uploads = {
            f["name"]: ("fuzz.csv", SPREADSHEET) for f in form["fields"] if f["kind"] == "file"
        }
        for field in form["fields"]:
            if field["name"] == "csrf_token":
                continue
            values = hostile_values(rng)
            for value in rng.sample(values, min(per_field, len(values))):
                if field["kind"] == "file":
                    data = baseline
                    files = uploads | {field["name"]: ("fuzz.csv", value.encode("utf-8"))}
                else:
                    data = baseline | {field["name"]: value}
                    files = uploads or None
                yield form["method"], form["action"], data, files


def submit_an_update_for_approval(session) -> None:
    """So that the approvals page has its form: the police strategy's updates need approval."""
    plan = get_plan(session=session, slug="managing-offenders-2018-21")
    action = session.exec(
        select(Action).where(Action.plan_id == plan.id, Action.ref == "CO1")
    ).one()
    editor = session.exec(select(User).where(User.role == "editor")).first()
    update_in = UpdateIn(
        stage="in_progress",
        rag="amber",
        commentary="Awaiting the office's approval.",
        corrective_action="",
        effective_on=date(2019, 6, 30),
        expected_version=action.version,
    )
    created = record_update(session, action=action, plan=plan, user=editor, update_in=update_in)
    assert created.review_state == "submitted"
    session.commit()


def fuzz_pages(session) -> list[str]:
    """Every page of the demo that holds a form."""
    key = session.exec(select(Indicator.key)).first()
    return [
        f"/plans/{SLUG}",
        f"/plans/{SLUG}/actions/OM1",
        f"/plans/{SLUG}/actions/OM1/edit",
        f"/plans/{SLUG}/reports/appendix",
        f"/plans/{SLUG}/reports/highlight",
        f"/plans/{SLUG}/refresh",
        f"/plans/{SLUG}/import",
        "/plans/managing-offenders-2018-21/actions/CO1",
        f"/completion?plan={SLUG}",
        "/approvals",
        "/audit",
        f"/indicators/{key}",
        f"/indicators/{key}/revise",
        "/indicators/upload",
        "/account/password",
        "/export",
    ]


PREVIEWS = ("/import/preview", "/refresh/preview")


def send(client, method, url, data, files):
    if method == "get":  # an address is at most a few kilobytes (servers refuse longer ones)
        return client.get(url, params={name: value[:2000] for name, value in data.items()})
    return client.post(url, data=data, files=files, follow_redirects=False)


def fuzz(client, forms, rng, failures: list[str]) -> int:
    sent = 0
    for method, url, data, files in fuzz_requests(forms, client.csrf, rng, per_field=4):
        response = send(client, method, url, data, files)
        sent += 1
        if response.status_code >= 500:
            shown = {name: value[:40] for name, value in data.items()}
            failures.append(f"{method.upper()} {url} {shown}: {response.status_code}")
    return sent


def test_every_page_form_survives_hostile_input(own_app_client, own_database, smtp_server):
    """Signed in as the office, which sees every form; the app as served (its own sessions), so
    the export and the reminders (to a local SMTP server) run for real."""
    from sqlmodel import Session

    from tests.conftest import csrf_from, sign_in

    client = own_app_client
    rng = random.Random(20240610)
    failures: list[str] = []
    sent = 0

    anonymous_forms = page_forms(client, "/sign-in")
    client.csrf = csrf_from(client.get("/sign-in").text)
    sent += fuzz(client, anonymous_forms, rng, failures)

    client.csrf = sign_in(client, "admin")
    with Session(own_database[1]) as session:
        submit_an_update_for_approval(session)
        pages = fuzz_pages(session)
    for page in pages:
        forms = [f for f in page_forms(client, page) if not f["action"].endswith("/sign-out")]
        assert forms, f"{page} has no form"
        sent += fuzz(client, forms, rng, failures)
        # The forms a step further on: a dry run's confirm form, the file in hidden fields.
        for form in forms:
            if form["method"] == "post" and form["action"].endswith(PREVIEWS):
                data = {f["name"]: f["value"] or "" for f in form["fields"] if f["kind"] != "file"}
                files = {
                    f["name"]: ("plan.csv", SPREADSHEET)
                    for f in form["fields"]
                    if f["kind"] == "file"
                }
                preview = send(client, "post", form["action"], data, files or None)
                assert preview.status_code < 500
                sent += fuzz(client, page_forms(client, page, preview), rng, failures)
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:20])
    assert sent > 300
