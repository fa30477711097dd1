from datetime import date

from jinja2_fragments.fastapi import Jinja2Blocks

from app.config import PROJECT_ROOT
from app.domain.rag import RAG_LABELS, RAG_LETTERS, STAGE_LABELS
from app.domain.timescales import uk_date

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "templates"))

STAGE_TAG_CLASSES = {
    "complete": "govuk-tag--green",
    "in_progress": "govuk-tag--blue",
    "not_started": "govuk-tag--grey",
    "carried_forward": "govuk-tag--purple",
    "withdrawn": "govuk-tag--grey",
}


def due_text(action) -> str:
    """The timescale as the plan states it, falling back to the date."""
    return action.due_label or uk_date(action.due_date)


templates.env.filters["uk_date"] = uk_date
templates.env.filters["stage_label"] = lambda stage: STAGE_LABELS.get(stage, str(stage))
templates.env.filters["rag_label"] = lambda rag: RAG_LABELS.get(rag, "Not rated")
templates.env.filters["rag_letter"] = lambda rag: RAG_LETTERS.get(rag, "-")
templates.env.filters["stage_tag_class"] = lambda stage: STAGE_TAG_CLASSES.get(stage, "")
templates.env.filters["due_text"] = due_text
templates.env.globals["today"] = date.today

from app.web.markdown import render_markdown  # noqa: E402

templates.env.filters["markdown"] = render_markdown
