"""Cells and column names as offices write them (dates: tests/domain/test_timescales.py)."""

import pytest

from app.core.models import Rag, Stage
from app.imports import propose_mapping
from app.imports.values import ValueProblem, parse_rag, parse_status


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
