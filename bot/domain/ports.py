"""The ports (Protocols) the use cases depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.incident import AuditEvent, Incident, TimelineEntry


class Clock(Protocol):
    """Tells the time; injected so tests control it."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class IncidentRepository(Protocol):
    """Incidents of every workspace; every method is scoped by team id."""

    async def allocate_number(self, team_id: str) -> int:
        """The next per-workspace incident number (INC-<n>), never handed out twice."""
        ...

    async def add(self, incident: Incident) -> Incident:
        """Store a new incident and return it with its id."""
        ...

    async def update(self, incident: Incident) -> Incident:
        """Store changed fields of an existing incident."""
        ...

    async def get(self, team_id: str, incident_id: int) -> Incident | None:
        """The incident with this id in this workspace."""
        ...

    async def get_by_number(self, team_id: str, number: int) -> Incident | None:
        """The incident INC-<number> of this workspace."""
        ...

    async def get_by_channel(self, team_id: str, channel_id: str) -> Incident | None:
        """The incident whose channel this is."""
        ...

    async def list_by_status(self, team_id: str, statuses: Sequence[str], limit: int = 100) -> list[Incident]:
        """Incidents in any of `statuses`, newest first."""
        ...

    async def list_declared_since(self, team_id: str, since: datetime) -> list[Incident]:
        """Incidents declared at or after `since`, newest first."""
        ...

    async def count_by_status(self) -> dict[str, int]:
        """Number of incidents per status across workspaces (for metrics)."""
        ...


class TimelineRepository(Protocol):
    """Timeline entries, append-mostly."""

    async def add(self, entry: TimelineEntry) -> TimelineEntry:
        """Append an entry."""
        ...

    async def list_for(self, team_id: str, incident_id: int) -> list[TimelineEntry]:
        """The entries of one incident in time order."""
        ...


class AuditLog(Protocol):
    """The append-only audit log."""

    async def add(self, event: AuditEvent) -> AuditEvent:
        """Append an event."""
        ...

    async def list_for(self, team_id: str, incident_id: int) -> list[AuditEvent]:
        """The events of one incident in time order."""
        ...


class UnitOfWork(Protocol):
    """One transaction: commits only on `commit()`, rolls back when the block exits otherwise."""

    incidents: IncidentRepository
    timeline: TimelineRepository
    audit: AuditLog

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None:
        """Make the work durable."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class ChannelRef:
    """A Slack channel Warroom created."""

    id: str
    name: str


class IncidentChat(Protocol):
    """What the use cases need from the chat platform; the adapter renders the messages."""

    async def create_channel(self, candidate_names: Sequence[str]) -> ChannelRef:
        """Create a channel with the first free name of `candidate_names`."""
        ...

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        """Invite users to the channel (already-members are fine)."""
        ...

    async def set_topic(self, incident: Incident) -> None:
        """Set the incident channel's topic from the incident."""
        ...

    async def post_card(self, incident: Incident) -> str:
        """Post the incident card in the incident channel; returns the message ts."""
        ...

    async def update_card(self, incident: Incident) -> None:
        """Re-render the incident card in place."""
        ...

    async def announce(self, incident: Incident) -> None:
        """Announce a new incident in the announcements channel."""
        ...

    async def post_change(self, incident: Incident, text: str) -> None:
        """Tell the incident channel about a change."""
        ...
