"""Reading what people type into page forms."""

from datetime import date

from app.domain.as_at import AsAtError, check_in_range


def parse_iso_date(value: str) -> date | None:
    """A YYYY-MM-DD date as typed (spaces around it ignored); None when it is not one, or is
    outside the dates plantrack reads (app.domain.as_at: 1900 to 2100)."""
    try:
        return check_in_range(date.fromisoformat(value.strip()))
    except (ValueError, AsAtError):
        return None
