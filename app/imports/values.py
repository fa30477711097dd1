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
    "ongoing",
    "on going",
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
_status(Stage.in_progress, Rag.green, "on track", "green", "g", "on target", "in progress green")
_status(
    Stage.in_progress,
    Rag.amber,
    "amber",
    "a",
    "at risk",
    "slipping",
    "some slippage",
    "in progress amber",
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


def parse_status(value) -> tuple[Stage, str | None] | None:
    """Stage and RAG from a Status cell ("Completed", "On track", "Amber"), None if blank."""
    if value is None or not str(value).strip():
        return None
    found = _STATUS_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(
            f"'{shown(value)}' is not a status plantrack understands (use Not started, "
            "In progress, Complete, Withdrawn or Carried forward, or a rating such as On track, "
            "Amber or Red)"
        )
    return found


def parse_rag(value) -> str | None:
    """A rating from a RAG cell: a Rag value, BLUE for "complete", None if blank."""
    if value is None or _words(value) in _NO_VALUE or str(value).strip() in {"-", "–"}:
        return None
    found = _RAG_WORDS.get(_words(value))
    if found is None:
        raise ValueProblem(f"'{shown(value)}' is not a RAG rating")
    return found
