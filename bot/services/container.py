"""The use cases one Warroom runs, handed to the Slack handlers as one value."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.incident import Incident
from bot.domain.permissions import Capability
from bot.domain.policy import Policy
from bot.domain.repositories import UnitOfWork
from bot.services.alerts import AlertService
from bot.services.classes import ClassService
from bot.services.declaration import DeclareRequest, DeclareResult
from bot.services.incidents import IncidentService
from bot.services.insights import InsightsService
from bot.services.oncall import OnCallService
from bot.services.postmortem import ReviewService
from bot.services.roles import RoleService
from bot.services.runbooks import RunbookService
from bot.services.status_page import StatusPageService
from bot.services.timeline import TimelineService
from bot.services.timers import TimerService
from bot.services.updates import UpdateService


@dataclass(frozen=True)
class Services:
    """Every use case, sharing one policy."""

    incidents: IncidentService
    roles: RoleService
    timeline: TimelineService
    reviews: ReviewService
    runbooks: RunbookService
    timers: TimerService
    oncall: OnCallService
    updates: UpdateService
    status_page: StatusPageService
    classes: ClassService
    alerts: AlertService | None = None  # when the alert receivers are on (WARROOM_ALERTS_TOKEN)
    insights: InsightsService | None = None  # the KPIs and App Home, when storage can read them (InsightsReader)

    def __post_init__(self) -> None:
        # The runbooks that match a new incident are offered in the declare's own transaction.
        self.incidents.on_declared = self.runbooks.suggest

    async def declare(self, request: DeclareRequest, *, force: bool = False,
                      then: Callable[[UnitOfWork, Incident], Awaitable[None]] | None = None) -> DeclareResult:
        """Declare, offering the runbooks that match the incident (`then` adds to the declare's transaction)."""
        return await self.incidents.declare(request, force=force, then=then)

    async def export(self, team_id: str, channel_id: str, user_id: str, ref: str = "",
                     fmt: str = "md") -> tuple[Incident, str]:
        """The review of INC-<ref> of this workspace (or of this channel's incident), if `user_id` may export it."""
        incident = (await self.reviews.find(team_id, ref) if ref
                    else await self.incidents.for_channel(team_id, channel_id))
        await self.incidents.permissions.require(Capability.EXPORT, user_id, team_id=team_id, incident=incident)
        return incident, await self.reviews.render(team_id, incident.id, fmt)

    @property
    def policy(self) -> Policy:
        """The incident policy."""
        return self.incidents.policy
