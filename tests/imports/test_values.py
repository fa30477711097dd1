"""Cells and column names as offices write them."""

from datetime import date, datetime

import pytest

from app.core.models import Rag, Stage
from app.imports import propose_mapping
from app.imports.values import ValueProblem, parse_rag, parse_status, parse_when


@pytest.mark.parametrize(
    "cell, end, start, label",
    [
        (datetime(2018, 3, 31), date(2018, 3, 31), date(2018, 3, 31), ""),
        (date(2018, 3, 31), date(2018, 3, 31), date(2018, 3, 31), ""),
        (43190, date(2018, 3, 31), date(2018, 3, 31), ""),
        (43190.0, date(2018, 3, 31), date(2018, 3, 31), ""),
        ("43190", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("31/03/2018", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("1/4/18", date(2018, 4, 1), date(2018, 4, 1), ""),
        ("31.03.2018", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("2018-03-31", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("2018-03-31 00:00:00", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("31 March 2018", date(2018, 3, 31), date(2018, 3, 31), ""),
        ("March 2018", date(2018, 3, 31), date(2018, 3, 1), "March 2018"),
        ("Mar-18", date(2018, 3, 31), date(2018, 3, 1), "Mar 2018"),
        ("Q4 2017/18", date(2018, 3, 31), date(2018, 1, 1), "Q4 2017/18"),
        ("q1 2018/19", date(2018, 6, 30), date(2018, 4, 1), "q1 2018/19"),
        ("2017/18", date(2018, 3, 31), date(2017, 4, 1), "2017/18"),
        (None, None, None, None),
        ("  ", None, None, None),
    ],
)
def test_dates_and_timescales(cell, end, start, label):
    when = parse_when(cell)
    if end is None:
        assert when is None
    else:
        assert (when.end, when.start, when.label) == (end, start, label)


@pytest.mark.parametrize(
    "cell, shown",
    [
        ("31/13/2018", "31/13/2018"),
        ("30/02/2018", "30/02/2018"),
        ("2018-02-30", "2018-02-30"),
        ("soon", "soon"),
        ("Q4 2017/19", "Q4 2017/19"),
        ("2017/19", "2017/19"),
        (12, "12"),
        (12.0, "12"),
        (9999999, "9999999"),
        (True, "True"),
    ],
)
def test_what_is_not_a_date(cell, shown):
    with pytest.raises(ValueProblem) as problem:
        parse_when(cell)
    assert str(problem.value) == f"'{shown}' is not a date"


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("Complete", (Stage.complete, None)),
        ("Completed", (Stage.complete, None)),
        ("DONE", (Stage.complete, None)),
        ("On track", (Stage.in_progress, Rag.green)),
        ("Green", (Stage.in_progress, Rag.green)),
        ("Amber", (Stage.in_progress, Rag.amber)),
        ("At risk", (Stage.in_progress, Rag.amber)),
        ("Red", (Stage.in_progress, Rag.red)),
        ("Off-track", (Stage.in_progress, Rag.red)),
        ("Amber/Green", (Stage.in_progress, Rag.amber_green)),
        ("In progress", (Stage.in_progress, None)),
        ("Not started", (Stage.not_started, None)),
        ("Not yet started", (Stage.not_started, None)),
        ("Withdrawn", (Stage.withdrawn, None)),
        ("Carried forward", (Stage.carried_forward, None)),
        (None, None),
    ],
)
def test_status_words(cell, expected):
    assert parse_status(cell) == expected


def test_an_unknown_status_names_the_words_understood():
    with pytest.raises(ValueProblem, match="'Finished-ish' is not a status plantrack understands"):
        parse_status("Finished-ish")


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("G", Rag.green),
        ("green", Rag.green),
        ("A/G", Rag.amber_green),
        ("Amber/Red", Rag.amber_red),
        ("R", Rag.red),
        ("Blue", "blue"),
        ("n/a", None),
        ("-", None),
        (None, None),
    ],
)
def test_rag_words(cell, expected):
    assert parse_rag(cell) == expected


def test_column_names_are_matched_forgivingly():
    headers = [
        "  No. ",
        "Action",
        "Lead Officer",
        "Agency",
        "Target date",
        "Status",
        "RAG rating",
        "Latest update",
        "Theme / Priority",
        "Priority",
        "Partners involved",
        "Mitigation",
        "Unrelated",
        "",
    ]
    assert propose_mapping(headers) == {
        "ref": 0,
        "title": 1,
        "lead_role": 2,
        "lead_organisation": 3,
        "due": 4,
        "stage": 5,
        "rag": 6,
        "commentary": 7,
        "theme": 9,
        "partners": 10,
        "corrective_action": 11,
    }


@pytest.mark.parametrize(
    "header, field",
    [
        ("Owner", "lead_role"),
        ("LEAD", "lead_role"),
        ("Lead organisation", "lead_organisation"),
        ("Lead Organization", "lead_organisation"),
        ("Timescale", "due"),
        ("Due", "due"),
        ("Deadline", "due"),
        ("Progress", "stage"),
        ("Rating", "rag"),
        ("Comments", "commentary"),
        ("Update", "commentary"),
        ("Reference", "ref"),
        ("Strand", "theme"),
        ("Due (date)", "due"),
        ("Ref.", "ref"),
        ("Corrective action", "corrective_action"),
    ],
)
def test_synonyms(header, field):
    assert propose_mapping([header]) == {field: 0}
