from jinja2_fragments.fastapi import Jinja2Blocks

from app.core.config import PROJECT_ROOT
from app.reports.templating import add_shared_filters

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "templates"))
add_shared_filters(templates.env)


def _plan_lineage(plan):
    from app.web.data_pages import plan_lineage  # on use: data_pages imports this module

    return plan_lineage(plan)


templates.env.globals["plan_lineage"] = _plan_lineage
