"""Reading what people type into page forms."""

from datetime import date


def parse_iso_date(value: str) -> date | None:
    """A YYYY-MM-DD date as typed (spaces around it ignored); None when it is not one."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
