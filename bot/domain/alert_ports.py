"""Alert groups as stored, and the storage ports of the alert use case: the inbox of notifications (stored
before the source is answered) and the groups (read and changed in a unit of work, `uow.alerts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self

from bot.domain.incident import Incident
from bot.domain.outbox import Outbox


class GroupState(StrEnum):
    """Where an alert group stands."""

    QUIET = "quiet"  # nothing open for it: never fired, or every alert resolved and nothing was declared
    DECLARING = "declaring"  # a worker holds it while the incident is being declared (a lease)
    INCIDENT = "incident"  # its incident (incident_id) is or was open
    TRIAGE = "triage"  # a triage message waits for Declare or Dismiss
    DISMISSED = "dismissed"  # someone dismissed its triage message
    RECORDED = "recorded"  # its route only records it


@dataclass(frozen=True, kw_only=True)
class AlertGroup:
    """One alert group of one source: its alerts' last statuses and what it opened."""

    id: int
    team_id: str
    source: str
    key: str
    state: GroupState = GroupState.QUIET
    statuses: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> firing | resolved
    lines: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> how the alert reads
    incident_id: int | None = None
    previous_incident_id: int | None = None
    last_notification_id: int = 0
    lease_until: datetime | None = None
    title: str = ""
    summary: str = ""
    service: str = ""
    severity: str = ""
    channel: str = ""
    runbook: str = ""
    links: Mapping[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class StoredNotification:
    """A notification as the receiver stored it (the body as received), claimed for processing."""

    id: int
    source: str
    body: str
    attempts: int = 0


class AlertInbox(Protocol):
    """Notifications stored before the source is answered, processed afterwards (any replica)."""

    async def add(self, source: str, body: str, digest: str, at: datetime) -> bool:
        """Store a notification; False when the same body from the same source is already stored (a retry)."""
        ...

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[StoredNotification]:
        """Lease up to `limit` of the oldest pending notifications nobody holds."""
        ...

    async def retry(self, notification_id: int, at: datetime, error: str, *, count: bool = True) -> None:
        """Release a notification to be processed again at `at` (`count`: one more failed attempt)."""
        ...

    async def fail(self, notification_id: int, error: str, at: datetime) -> None:
        """Give a notification up (it can never be processed: malformed)."""
        ...

    async def pending(self) -> int:
        """Notifications not processed yet."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget notifications processed before `before`; how many."""
        ...


class AlertGroupRepository(Protocol):
    """Alert groups, changed in the unit of work of what they cause (`uow.alerts`)."""

    async def lock(self, team_id: str, source: str, key: str) -> AlertGroup:
        """The group, created when new, locked until commit: its notifications are handled one at a time."""
        ...

    async def get(self, team_id: str, group_id: int, *, for_update: bool = False) -> AlertGroup | None:
        """One group of this workspace."""
        ...

    async def save(self, group: AlertGroup, at: datetime) -> None:
        """Store the group's changed fields."""
        ...

    async def finish(self, notification_id: int, at: datetime) -> None:
        """Mark a notification processed, in the transaction of what it caused."""
        ...

    async def opened(self, group: AlertGroup, incident_id: int, at: datetime) -> None:
        """Remember that the group opened this incident (after `group.previous_incident_id`, if it recurred)."""
        ...

    async def incidents_of(self, team_id: str, group_id: int) -> list[tuple[int, int | None]]:
        """(incident id, the incident it recurred from) of every incident the group opened, oldest first."""
        ...


class AlertChat(Protocol):
    """What the alert use case needs from the chat platform (messages queued in the change's outbox)."""

    async def workspace(self) -> str:
        """The Slack workspace (team id) the bot token belongs to (asked once, then remembered)."""
        ...

    async def post_triage(self, outbox: Outbox, group: AlertGroup) -> None:
        """Post the group's triage message (Declare / Dismiss) in `group.channel`."""
        ...

    async def update_triage(self, outbox: Outbox, group: AlertGroup, outcome: str = "",
                            where: tuple[str, str] | None = None) -> None:
        """Re-render the triage message (`outcome`: how it was settled, e.g. "Declared as INC-4"); `where` is
        its (channel, ts) when known, else it is found by its anchor."""
        ...

    async def post_alerts(self, outbox: Outbox, incident: Incident, lines: Sequence[str], *, lead: str = "") -> None:
        """Tell the incident channel that alerts of its group fired or resolved (`lines`: data, escaped when
        shown), after `lead` (mrkdwn Warroom wrote: who is on call, mentioned)."""
        ...

    async def prompt_resolve(self, outbox: Outbox, incident: Incident, mention: str) -> None:
        """Ask in the incident channel (mentioning `mention`, if any) whether to resolve: every alert resolved."""
        ...
