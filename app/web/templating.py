"""The pages' Jinja environment: HTMX partials by block (jinja2-fragments), with the same
filters as the reports' own environment, registered once by app.reports.templating."""

from jinja2_fragments.fastapi import Jinja2Blocks

from app.core.config import PROJECT_ROOT
from app.reports.templating import add_shared_filters

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "templates"))
add_shared_filters(templates.env)
