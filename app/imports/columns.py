"""The fields an import fills and the column names, as offices write them, that mean each one."""

import re

# field -> the label plantrack's template uses for it (and messages use when a file lacks it)
FIELDS: dict[str, str] = {
    "theme": "Theme",
    "ref": "Ref",
    "title": "Title",
    "description": "Description",
    "lead_organisation": "Lead organisation",
    "lead_role": "Lead role",
    "partners": "Partners",
    "start": "Start",
    "due": "Due",
    "stage": "Stage",
    "rag": "RAG",
    "commentary": "Latest commentary",
    "corrective_action": "Corrective action",
    "effective": "Last updated",
}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "theme": (
        "theme",
        "themes",
        "theme title",
        "priority",
        "priorities",
        "priority area",
        "strand",
        "work strand",
        "workstream",
        "thematic area",
        "priority theme",
    ),
    "ref": (
        "ref",
        "refs",
        "ref no",
        "reference",
        "reference number",
        "no",
        "number",
        "num",
        "id",
        "action ref",
        "action no",
        "action number",
        "action id",
    ),
    "title": (
        "title",
        "action",
        "actions",
        "action title",
        "what",
        "what we will do",
        "task",
        "activity",
        "action point",
    ),
    "description": (
        "description",
        "detail",
        "details",
        "action description",
        "action detail",
        "description of action",
    ),
    "lead_organisation": (
        "lead organisation",
        "lead organisations",
        "lead agency",
        "lead agencies",
        "agency",
        "organisation",
        "lead org",
        "owning organisation",
        "owner organisation",
        "responsible organisation",
        "responsible agency",
        "lead partner",
    ),
    "lead_role": (
        "lead",
        "leads",
        "owner",
        "owners",
        "lead officer",
        "lead role",
        "lead person",
        "action owner",
        "action lead",
        "responsible officer",
        "responsible",
        "officer",
        "responsible person",
        "who",
        "named lead",
        "lead owner",
    ),
    "partners": (
        "partners",
        "partner",
        "partner organisations",
        "partner agencies",
        "key partners",
        "supporting partners",
        "partners involved",
        "other partners",
    ),
    "start": ("start", "start date", "starts", "from", "begin", "begins", "start by"),
    "due": (
        "due",
        "due date",
        "due by",
        "timescale",
        "timescales",
        "deadline",
        "target date",
        "target",
        "by when",
        "completion date",
        "end date",
        "date due",
        "when",
        "timeline",
        "target completion date",
        "due label",
    ),
    "stage": ("status", "progress", "stage", "current status", "action status"),
    "rag": (
        "rag",
        "rating",
        "rag rating",
        "rag status",
        "brag",
        "rag rate",
        "confidence",
        "delivery confidence",
        "dca",
        "rag score",
    ),
    "commentary": (
        "commentary",
        "latest commentary",
        "update",
        "updates",
        "latest update",
        "comments",
        "comment",
        "progress update",
        "progress commentary",
        "progress comments",
        "notes",
        "status update",
        "narrative",
        "progress to date",
    ),
    "corrective_action": (
        "corrective action",
        "corrective actions",
        "mitigation",
        "mitigating action",
        "remedial action",
        "recovery action",
        "action to address",
        "actions to address",
    ),
    # The date each row's status took effect: its update's effective date.
    "effective": (
        "last updated",
        "as at",
        "as at date",
        "date of update",
        "updated",
        "date updated",
        "update date",
        "date last updated",
        "status date",
    ),
}

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise(header: str) -> str:
    """Lower case, without bracketed asides, punctuation or doubled spaces: 'Lead (Officer)'."""
    text = str(header).lower().replace("&", " and ").replace("organization", "organisation")
    text = _BRACKETS.sub(" ", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


_BY_NAME = {normalise(name): field for field, names in _SYNONYMS.items() for name in names}
_BY_NAME.update({normalise(label): field for field, label in FIELDS.items()})


def recognised_field(header: str) -> str | None:
    if not header:
        return None
    return _BY_NAME.get(normalise(header))


def propose_mapping(headers: list[str]) -> dict[str, int]:
    """Field -> index of the column that fills it, for the office to confirm or change.

    Each field takes the first column that names it; a second column with the same meaning is
    left out, as is any column plantrack does not recognise.
    """
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        field = recognised_field(header)
        if field and field not in mapping:
            mapping[field] = index
    return mapping


def field_named(text: str) -> str | None:
    """The field a person means by ``text`` ('lead role', 'Due', 'corrective_action')."""
    key = normalise(text.replace("_", " "))
    for field, label in FIELDS.items():
        if key in (normalise(field.replace("_", " ")), normalise(label)):
            return field
    return _BY_NAME.get(key)
