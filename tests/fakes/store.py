"""The storage ports faked in memory: the repositories over a MemoryDB, and a unit of work that stages
changes on a copy and publishes them (and its outbox calls) only on commit."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.domain.audit_chain import AuditChain, ChainHead, head_of, link
from bot.domain.commits import committed
from bot.domain.incident import (
    AuditEvent,
    FollowUp,
    Incident,
    NewIncident,
    RoleAssignment,
    TimelineEntry,
)
from bot.domain.outbox import OutboundCall
from bot.domain.timers import Timer
from tests.fakes.status_page import FakeStatusPage, PageRecords


@dataclass
class MemoryDB:
    """The committed state shared by every FakeUnitOfWork."""

    incidents: dict[int, Incident] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    roles: list[RoleAssignment] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    handoffs: set[tuple[str, datetime]] = field(default_factory=set)
    outbox: list[OutboundCall] = field(default_factory=list)  # calls committed (the fake chats queue one per message)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    page: PageRecords = field(default_factory=PageRecords)


class _Incidents:
    def __init__(self, staged: MemoryDB) -> None:
        self._db = staged

    async def allocate_number(self, team_id: str) -> int:
        self._db.numbers[team_id] = self._db.numbers.get(team_id, 0) + 1
        return self._db.numbers[team_id]

    async def add(self, incident: NewIncident) -> Incident:
        stored = incident.stored_as(next(self._db.ids))
        self._db.incidents[stored.id] = stored
        return stored

    async def update(self, incident: Incident) -> Incident:
        assert incident.id in self._db.incidents
        self._db.incidents[incident.id] = incident
        return incident

    async def get_many(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Incident]:
        found = {key: self._db.incidents.get(key[1]) for key in keys}
        return {key: i for key, i in found.items() if i is not None and i.team_id == key[0]}

    async def get(self, team_id: str, incident_id: int, *, for_update: bool = False) -> Incident | None:
        found = self._db.incidents.get(incident_id)
        return found if found and found.team_id == team_id else None

    async def set_card(self, team_id: str, incident_id: int, card_ts: str) -> None:
        self._db.incidents[incident_id] = replace(self._db.incidents[incident_id], card_ts=card_ts)

    async def get_by_number(self, team_id: str, number: int) -> Incident | None:
        return next((i for i in self._db.incidents.values() if i.team_id == team_id and i.number == number), None)

    async def get_by_channel(self, team_id: str, channel_id: str) -> Incident | None:
        return next((i for i in self._db.incidents.values()
                     if i.team_id == team_id and i.channel_id == channel_id), None)

    async def list_by_status(self, team_id: str, statuses: Sequence[str], limit: int = 100) -> list[Incident]:
        found = [i for i in self._db.incidents.values() if i.team_id == team_id and i.status in statuses]
        return sorted(found, key=lambda i: i.declared_at, reverse=True)[:limit]

    async def list_declared_since(self, team_id: str, since: datetime,
                                  until: datetime | None = None) -> list[Incident]:
        found = [i for i in self._db.incidents.values() if i.team_id == team_id and i.declared_at >= since
                 and (until is None or i.declared_at < until)]
        return sorted(found, key=lambda i: i.declared_at, reverse=True)

    async def workspaces(self) -> list[str]:
        return sorted(self._db.numbers)

    async def count_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i in self._db.incidents.values():
            counts[i.status] = counts.get(i.status, 0) + 1
        return counts


class _Timeline:
    def __init__(self, staged: MemoryDB) -> None:
        self._db = staged

    async def add(self, entry: TimelineEntry) -> TimelineEntry:
        stored = replace(entry, id=next(self._db.ids))
        self._db.timeline.append(stored)
        return stored

    async def add_many(self, entries: Sequence[TimelineEntry]) -> None:
        self._db.timeline += [replace(e, id=next(self._db.ids)) for e in entries]

    async def list_for(self, team_id: str, incident_id: int) -> list[TimelineEntry]:
        found = [e for e in self._db.timeline if e.team_id == team_id and e.incident_id == incident_id]
        return sorted(found, key=lambda e: (e.occurred_at, e.id or 0))

    async def update(self, entry: TimelineEntry) -> TimelineEntry:
        self._db.timeline = [entry if e.id == entry.id else e for e in self._db.timeline]
        return entry

    async def add_captured(self, entry: TimelineEntry) -> TimelineEntry | None:
        if await self.get_by_source(entry.team_id, entry.incident_id, entry.source_channel_id or "", entry.source_ts or ""):
            return None
        return await self.add(entry)

    async def get_by_source(self, team_id: str, incident_id: int, channel_id: str, ts: str,
                            *, for_update: bool = False) -> TimelineEntry | None:
        return next((e for e in self._db.timeline if (e.team_id, e.incident_id, e.source_channel_id, e.source_ts)
                     == (team_id, incident_id, channel_id, ts)), None)


class _Listed:
    """Add/update/list for records kept in a list on the MemoryDB."""

    def __init__(self, staged: MemoryDB, name: str) -> None:
        self._db, self._name = staged, name

    def _rows(self) -> list:
        return getattr(self._db, self._name)

    async def add(self, item):
        stored = replace(item, id=next(self._db.ids))
        self._rows().append(stored)
        return stored

    async def update(self, item):
        setattr(self._db, self._name, [item if r.id == item.id else r for r in self._rows()])
        return item

    async def get(self, team_id: str, item_id: int):
        return next((r for r in self._rows() if r.team_id == team_id and r.id == item_id), None)

    async def list_for(self, team_id: str, incident_id: int) -> list:
        return [r for r in self._rows() if r.team_id == team_id and r.incident_id == incident_id]

    async def current(self, team_id: str, incident_id: int, role: str):
        return next((r for r in self._rows() if (r.team_id, r.incident_id, r.role) == (team_id, incident_id, role)
                     and r.relinquished_at is None), None)


class _FollowUps(_Listed):
    """Follow-ups: a list, and those active since a time."""


class _Audit:
    """The audit log; the chain's head is its last record (the SQL log keeps a table of heads)."""

    def __init__(self, staged: MemoryDB) -> None:
        self._db = staged

    async def add(self, event: AuditEvent) -> AuditEvent:
        records = [e for e in self._db.audit if e.team_id == event.team_id]
        head = head_of(records[-1]) if records else ChainHead.start(event.team_id)
        stored = replace(link(event, head), id=next(self._db.ids))
        self._db.audit.append(stored)
        return stored

    async def list_for(self, team_id: str, incident_id: int) -> list[AuditEvent]:
        return [e for e in self._db.audit if e.team_id == team_id and e.incident_id == incident_id]

    async def chain(self, team_id: str) -> AuditChain:
        records = tuple(e for e in self._db.audit if e.team_id == team_id)
        return AuditChain(team_id, records, head_of(records[-1]) if records else None)

    async def teams(self) -> list[str]:
        return sorted({e.team_id for e in self._db.audit})


class _Timers:
    """Timers in memory, with the same planning and claiming rules as the SQL repository."""

    def __init__(self, staged: MemoryDB) -> None:
        self._db = staged

    async def for_incident(self, team_id: str, incident_id: int) -> list[Timer]:
        return sorted((t for t in self._db.timers if (t.team_id, t.incident_id) == (team_id, incident_id)),
                      key=lambda t: t.due_at)

    async def replan(self, team_id: str, incident_id: int, wanted: Sequence[Timer]) -> None:
        have = {t.key for t in self._db.timers}
        keep = {t.key for t in wanted}
        self._db.timers = [replace(t, state="cancelled") if (t.team_id, t.incident_id) == (team_id, incident_id)
                           and t.state == "pending" and t.key not in keep else t for t in self._db.timers]
        self._db.timers += [replace(t, id=next(self._db.ids)) for t in wanted if t.key not in have]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int = 1) -> list[Timer]:
        due = sorted((t for t in self._db.timers if t.state == "pending" and t.due_at <= now), key=lambda t: t.due_at)
        claimed = {t.id: replace(t, state="sending") for t in due[:limit]}
        self._db.timers = [claimed.get(t.id, t) for t in self._db.timers]
        return list(claimed.values())

    async def finish_many(self, outcomes: Sequence[tuple[Timer, str, datetime | None, bool]]) -> None:
        done = {timer.id: (state, sent_at, late) for timer, state, sent_at, late in outcomes}
        self._db.timers = [replace(t, state=done[t.id][0], sent_at=done[t.id][1], late=done[t.id][2])
                           if t.id in done else t for t in self._db.timers]

    async def pending_count(self) -> int:
        return sum(1 for t in self._db.timers if t.state in ("pending", "sending"))


class _Handoffs:
    """Handoffs announced, in memory."""

    def __init__(self, staged: MemoryDB) -> None:
        self._db = staged

    async def claim(self, rotation_id: str, handoff_at: datetime, now: datetime) -> bool:
        if (rotation_id, handoff_at) in self._db.handoffs:
            return False
        self._db.handoffs.add((rotation_id, handoff_at))
        return True


class FakeOutbox:
    """The calls one FakeUnitOfWork queued; they reach MemoryDB.outbox only when it commits."""

    def __init__(self) -> None:
        self.queued: list[OutboundCall] = []
        self.closed = False

    def put(self, call: OutboundCall) -> None:
        if self.closed:
            raise RuntimeError("a call was queued after its unit of work ended: it would never be sent")
        self.queued.append(call)


class FakeUnitOfWork:
    """Stages changes on a copy of the MemoryDB; `commit()` publishes them, anything else drops them."""

    def __init__(self, db: MemoryDB) -> None:
        self._db = db

    async def __aenter__(self) -> Self:
        self._staged = MemoryDB(incidents=dict(self._db.incidents), numbers=dict(self._db.numbers),
                                timeline=list(self._db.timeline), audit=list(self._db.audit),
                                roles=list(self._db.roles), followups=list(self._db.followups),
                                timers=list(self._db.timers), handoffs=set(self._db.handoffs), ids=self._db.ids,
                                page=self._db.page.copy())
        self.incidents = _Incidents(self._staged)
        self.timeline = _Timeline(self._staged)
        self.audit = _Audit(self._staged)
        self.roles = _Listed(self._staged, "roles")
        self.followups = _FollowUps(self._staged, "followups")
        self.timers = _Timers(self._staged)
        self.handoffs = _Handoffs(self._staged)
        self.status_page = FakeStatusPage(self._staged.page)
        self.outbox = FakeOutbox()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.outbox.closed = True  # uncommitted calls are dropped with the rest

    async def commit(self) -> None:
        self._db.incidents, self._db.numbers = self._staged.incidents, self._staged.numbers
        self._db.timeline, self._db.audit = self._staged.timeline, self._staged.audit
        self._db.roles, self._db.followups = self._staged.roles, self._staged.followups
        self._db.timers, self._db.handoffs = self._staged.timers, self._staged.handoffs
        self._db.page = self._staged.page
        self._db.outbox += self.outbox.queued
        self.outbox.queued = []
        committed()
