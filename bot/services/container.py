"""The use cases one Warroom runs, handed to the Slack handlers as one value."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.policy import Policy
from bot.services.incidents import IncidentService
from bot.services.postmortem import ReviewService
from bot.services.roles import RoleService
from bot.services.runbooks import RunbookService
from bot.services.timeline import TimelineService


@dataclass(frozen=True)
class Services:
    """Every use case, sharing one policy."""

    incidents: IncidentService
    roles: RoleService
    timeline: TimelineService
    reviews: ReviewService
    runbooks: RunbookService

    @property
    def policy(self) -> Policy:
        """The incident policy."""
        return self.incidents.policy
