import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in commentary is not rendered at all; nh3 then cleans what Markdown produced.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_ALLOWED_TAGS = {
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "code",
    "pre",
    "blockquote",
    "br",
    "h3",
    "h4",
}


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown.render(text)
    return Markup(
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )
