"""Reading cell values as offices type them: statuses and ratings in many words.

Dates and timescales are read by app.domain.timescales.read_timescale, for every importer.
"""

import re
from datetime import datetime

from app.core.models import Rag, Stage
from app.domain.timescales import shown


class ValueProblem(ValueError):
    """What is wrong with one cell; the caller adds the row and column."""


def text_of(value) -> str:
    """A cell's text with its line breaks kept (a commentary keeps its paragraphs)."""
    if value is None:
        return ""
    if isinstance(value, float | datetime):
        return shown(value)
    return str(value).strip()


def _words(value) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(value).lower()).split())


_STATUS_WORDS: dict[str, tuple[Stage, str | None]] = {}


def _status(stage: Stage, rag: str | None, *words: str) -> None:
    for word in words:
        _STATUS_WORDS[_words(word)] = (stage, rag)


_status(
    Stage.complete,
    None,
    "complete",
    "completed",
    "done",
    "achieved",
    "delivered",
    "closed",
    "finished",
    "blue",
    "implemented",
    "embedded",
    "complete blue",
)
_status(
    Stage.in_progress,
    None,
    "in progress",
    "underway",
    "under way",
    "started",
    "in hand",
    "progressing",
    "in train",
    "live",
    "being implemented",
    "open",
)
_status(
    Stage.in_progress,
    Rag.green,
    "on track",
    "green",
    "g",
    "on target",
    "in progress green",
    "ongoing",
    "on going",
)
_status(
    Stage.in_progress,
    Rag.amber,
    "amber",
    "a",
    "at risk",
    "slipping",
    "some slippage",
    "in progress amber",
    "slipped",
    "delayed",
    "behind",
    "behind schedule",
    "on hold",
    "paused",
)
_status(
    Stage.in_progress,
    Rag.red,
    "red",
    "r",
    "off track",
    "not on track",
    "off target",
    "in progress red",
)
_status(Stage.in_progress, Rag.amber_green, "amber green", "a g", "ag")
_status(Stage.in_progress, Rag.amber_red, "amber red", "a r", "ar")
_status(
    Stage.not_started,
    None,
    "not started",
    "not yet started",
    "planned",
    "to start",
    "not due",
    "not yet due",
    "pending",
)
_status(
    Stage.withdrawn,
    None,
    "withdrawn",
    "cancelled",
    "canceled",
    "dropped",
    "no longer required",
    "stopped",
    "deleted",
    "superseded",
)
_status(
    Stage.carried_forward,
    None,
    "carried forward",
    "carried over",
    "cf",
    "c f",
    "rolled forward",
    "carry forward",
)

_RAG_WORDS: dict[str, str] = {}
for _word, (_stage, _rag) in _STATUS_WORDS.items():
    if _rag is not None:
        _RAG_WORDS[_word] = _rag
# "Blue" (BRAG) and "Complete" in a rating column mean the action is complete: no rating.
BLUE = "blue"
_RAG_WORDS.update({"blue": BLUE, "b": BLUE, "complete": BLUE, "completed": BLUE})
_NO_VALUE = {"", "n a", "na", "none", "tbc", "not applicable", "not rated"}


def status_key(value) -> str:
    """What a status or rating cell says, as the mapping the office confirms knows it."""
    return _words(value)


def is_no_rating(value) -> bool:
    return value is None or _words(value) in _NO_VALUE or str(value).strip() in {"-", "–"}


def default_meaning(value) -> tuple[Stage, str | None] | None:
    """The stage and rating plantrack proposes for a status or rating word; None if unknown."""
    found = _STATUS_WORDS.get(_words(value))
    if found is None and _RAG_WORDS.get(_words(value)) == BLUE:
        return Stage.complete, None
    return found


def choice_of(stage: Stage, rag: str | None) -> str:
    """A meaning as the page's selects and the CLI's --status write it: in_progress:amber."""
    return f"{Stage(stage).value}:{rag}" if rag else Stage(stage).value


def read_choice(text: str) -> tuple[Stage, str | None]:
    """'in_progress:amber', 'complete' -> (stage, rating); ValueProblem if neither."""
    stage_text, _colon, rag = text.strip().lower().replace(" ", "_").partition(":")
    try:
        stage = Stage(stage_text)
    except ValueError:
        raise ValueProblem(
            f"'{text}' is not a stage ({', '.join(s.value for s in Stage)}), optionally "
            "followed by :rating, such as in_progress:amber"
        ) from None
    if rag and (stage != Stage.in_progress or rag not in {r.value for r in Rag}):
        raise ValueProblem(f"'{text}': only in_progress takes a rating (green, amber, red, ...)")
    return stage, rag or None


def parse_status(value, chosen: dict[str, tuple[Stage, str | None]] | None = None):
    """Stage and RAG from a Status cell ("Completed", "On track", "Amber"), None if blank.

    ``chosen`` holds the office's meanings for words (status_key -> stage, rating), which win
    over plantrack's own."""
    if value is None or not str(value).strip():
        return None
    found = (chosen or {}).get(_words(value)) or _STATUS_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(
            f"'{shown(value)}' is not a status plantrack understands (use Not started, "
            "In progress, Complete, Withdrawn or Carried forward, or a rating such as On track, "
            "Amber or Red)"
        )
    return found


def parse_rag(value, chosen: dict[str, tuple[Stage, str | None]] | None = None) -> str | None:
    """A rating from a RAG cell: a Rag value, BLUE for "complete", None if blank."""
    if is_no_rating(value):
        return None
    meaning = (chosen or {}).get(_words(value))
    if meaning is not None:
        stage, rag = meaning
        if stage == Stage.complete:
            return BLUE
        if stage == Stage.in_progress and rag:
            return rag
        raise ValueProblem(
            f"'{shown(value)}' is chosen to mean {stage.value}, which is not a rating: "
            "choose a rating (or complete) for it"
        )
    found = _RAG_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(f"'{shown(value)}' is not a RAG rating")
    return found
