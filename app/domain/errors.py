"""Errors the domain raises for the edges to translate: a page's 404, the API's 404, the
command line's one-line message."""


class NotFound(LookupError):
    """Something asked for by name or id does not exist (or is not to be shown)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
