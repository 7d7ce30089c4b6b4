"""The storage ports: a repository Protocol per kind of record, and the unit of work that holds them in one
transaction. store/ implements them; tests fake them (tests/fakes/store.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.alert_ports import AlertGroupRepository
from bot.domain.audit_chain import AuditChain
from bot.domain.incident import (
    AuditEvent,
    FollowUp,
    Incident,
    NewIncident,
    RoleAssignment,
    TimelineEntry,
)
from bot.domain.insight_ports import InsightsReader
from bot.domain.outbox import Outbox
from bot.domain.runbook import Attachment, NewAttachment, StepRun, StepState
from bot.domain.status_publishing import StatusPageRepository
from bot.domain.timers import Timer


class IncidentRepository(Protocol):
    """Incidents of every workspace; every method is scoped by team id."""

    async def allocate_number(self, team_id: str) -> int:
        """The next per-workspace incident number (INC-<n>), never handed out twice."""
        ...

    async def add(self, incident: NewIncident) -> Incident:
        """Store a new incident and return it with its id."""
        ...

    async def update(self, incident: Incident) -> Incident:
        """Store changed fields of an existing incident."""
        ...

    async def get_many(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Incident]:
        """The incidents named by (team_id, incident_id), in one read; missing ones are left out."""
        ...

    async def get(self, team_id: str, incident_id: int, *, for_update: bool = False) -> Incident | None:
        """The incident with this id in this workspace (locked until commit with `for_update`)."""
        ...

    async def set_card(self, team_id: str, incident_id: int, card_ts: str) -> None:
        """Remember the card's message ts (touches nothing else, so no concurrent change is lost)."""
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

    async def list_declared_since(self, team_id: str, since: datetime,
                                  until: datetime | None = None) -> list[Incident]:
        """Incidents declared at or after `since` (and before `until`, when given), newest first."""
        ...

    async def count_by_status(self) -> dict[str, int]:
        """Number of incidents per status across workspaces (for metrics)."""
        ...

    async def workspaces(self) -> list[str]:
        """Team ids that have declared at least one incident (for the CLI)."""
        ...


class TimelineRepository(Protocol):
    """Timeline entries, append-mostly."""

    async def add(self, entry: TimelineEntry) -> TimelineEntry:
        """Append an entry."""
        ...

    async def add_many(self, entries: Sequence[TimelineEntry]) -> None:
        """Append entries in one write (reminders sent together)."""
        ...

    async def update(self, entry: TimelineEntry) -> TimelineEntry:
        """Store an edited or withdrawn entry."""
        ...

    async def add_captured(self, entry: TimelineEntry) -> TimelineEntry | None:
        """Append an entry captured from a message; None when that message is already on the timeline."""
        ...

    async def get_by_source(self, team_id: str, incident_id: int, channel_id: str, ts: str,
                            *, for_update: bool = False) -> TimelineEntry | None:
        """The entry captured from this message, if any (withdrawn ones included)."""
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

    async def chain(self, team_id: str) -> AuditChain:
        """The workspace's hash chain: its head, then every record up to the head in seq order."""
        ...

    async def teams(self) -> list[str]:
        """Team ids that have audit records or a chain head (for verification)."""
        ...


class RoleRepository(Protocol):
    """Role assignments with their history."""

    async def add(self, assignment: RoleAssignment) -> RoleAssignment:
        """Record a new holder."""
        ...

    async def update(self, assignment: RoleAssignment) -> RoleAssignment:
        """Store a changed assignment (e.g. relinquished)."""
        ...

    async def current(self, team_id: str, incident_id: int, role: str) -> RoleAssignment | None:
        """The assignment still in force for this role."""
        ...

    async def list_for(self, team_id: str, incident_id: int) -> list[RoleAssignment]:
        """Every assignment of the incident, oldest first."""
        ...


class FollowUpRepository(Protocol):
    """Follow-up actions."""

    async def add(self, followup: FollowUp) -> FollowUp:
        """Store a new follow-up."""
        ...

    async def update(self, followup: FollowUp) -> FollowUp:
        """Store a changed follow-up."""
        ...

    async def get(self, team_id: str, followup_id: int) -> FollowUp | None:
        """One follow-up in this workspace."""
        ...

    async def list_for(self, team_id: str, incident_id: int) -> list[FollowUp]:
        """The follow-ups of one incident, oldest first."""
        ...


class RunbookRepository(Protocol):
    """Runbooks attached to incidents and the state of their steps."""

    async def attach(self, attachment: NewAttachment, step_ids: Sequence[str]) -> Attachment:
        """Attach a runbook with every step pending."""
        ...

    async def attachment(self, team_id: str, incident_id: int, runbook_id: str) -> Attachment | None:
        """The attachment of this runbook to this incident."""
        ...

    async def attachments(self, team_id: str, incident_id: int) -> list[Attachment]:
        """Every runbook attached to the incident."""
        ...

    async def set_message(self, team_id: str, attachment_id: int, channel_id: str, ts: str) -> None:
        """Remember where the checklist message is (touches nothing else)."""
        ...

    async def steps(self, team_id: str, incident_id: int, runbook_id: str) -> list[StepRun]:
        """The step runs of one attached runbook, in runbook order."""
        ...

    async def claim(self, run: StepRun, from_states: Sequence[StepState], *, at_attempt: int | None = None,
                    **changes: object) -> bool:
        """Apply `changes` only if the step is still in one of `from_states` (and at `at_attempt` when
        given); True when this call won."""
        ...

    async def running_since(self, before: datetime) -> list[StepRun]:
        """Steps still running that started before `before`, in every workspace."""
        ...


class TimerRepository(Protocol):
    """Timers of every workspace; claiming is exclusive across processes."""

    async def for_incident(self, team_id: str, incident_id: int) -> list[Timer]:
        """The incident's timers in due order."""
        ...

    async def replan(self, team_id: str, incident_id: int, wanted: Sequence[Timer]) -> None:
        """Add missing wanted timers; cancel pending ones not wanted."""
        ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int = 1) -> list[Timer]:
        """Take up to `limit` of the oldest due timers nobody holds."""
        ...

    async def finish_many(self, outcomes: Sequence[tuple[Timer, str, datetime | None, bool]]) -> None:
        """Record what became of claimed timers: (timer, state, sent_at, late) each."""
        ...

    async def pending_count(self) -> int:
        """Timers not sent yet."""
        ...


class HandoffRepository(Protocol):
    """On-call handoffs already announced."""

    async def claim(self, rotation_id: str, handoff_at: datetime, now: datetime) -> bool:
        """True for the one caller that records this handoff first."""
        ...


class SeenRequests(Protocol):
    """Slack deliveries (events, actions) already handled, remembered across restarts and processes."""

    async def first_time(self, team_id: str, key: str, at: datetime) -> bool:
        """Record `key`; True for the one caller that records it first, False for a redelivery."""
        ...

    async def forget_before(self, before: datetime) -> int:
        """Drop what was recorded before `before` (Slack stops redelivering long before); how many."""
        ...

    async def flush(self) -> None:
        """Wait until everything recorded so far is stored (before shutting down)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: commits only on `commit()`, rolls back when the block exits otherwise. Everything one
    change causes goes into it: the state, its timeline entry, audit record, timers and messages (`outbox`)."""

    # Read-only properties, so that an adapter's unit of work may hold its own repository classes.
    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def timeline(self) -> TimelineRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def roles(self) -> RoleRepository: ...
    @property
    def followups(self) -> FollowUpRepository: ...
    @property
    def runbooks(self) -> RunbookRepository: ...
    @property
    def timers(self) -> TimerRepository: ...
    @property
    def handoffs(self) -> HandoffRepository: ...
    @property
    def alerts(self) -> AlertGroupRepository: ...
    @property
    def status_page(self) -> StatusPageRepository: ...
    @property
    def insights(self) -> InsightsReader:
        """The KPIs' reads (a fixed number of queries, whatever the history's size)."""
        ...
    @property
    def outbox(self) -> Outbox:
        """The Slack calls of this change, stored when it commits and sent afterwards."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None:
        """Make the work durable with the calls queued in `outbox`, then report it (`bot.domain.commits.committed`)."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
