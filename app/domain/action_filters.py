"""The filters of a plan's actions as at a date, shared by the plan's page and the API."""

from dataclasses import dataclass
from datetime import date

from app.domain.status import ActionStatus


@dataclass
class ActionFilters:
    theme: int | None = None
    owner: int | None = None
    organisation: int | None = None
    stage: str | None = None
    rag: str | None = None
    overdue: bool = False

    def keep(self, status: ActionStatus, as_at: date) -> bool:
        action = status.action
        return (
            (self.theme is None or action.theme_id == self.theme)
            and (self.owner is None or action.lead_person_id == self.owner)
            and (self.organisation is None or action.lead_organisation_id == self.organisation)
            and (self.stage is None or status.stage == self.stage)
            and (self.rag is None or status.rag == self.rag)
            and (not self.overdue or status.is_overdue(as_at))
        )

    @property
    def active(self) -> bool:
        return any(v not in (None, False) for v in vars(self).values())
