"""The status page's records in memory (the StatusPageRepository port) for the fake unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.domain.status_page import ComponentStatus, PublicIncident, PublishedUpdate
from bot.domain.status_publishing import Draft


@dataclass
class PageRecords:
    """What the fake status page holds; FakeUnitOfWork stages a copy and keeps it on commit."""

    incidents: dict[tuple[str, int], PublicIncident] = field(default_factory=dict)
    drafts: dict[int, Draft] = field(default_factory=dict)
    updates: list[PublishedUpdate] = field(default_factory=list)
    manual_statuses: dict[str, ComponentStatus] = field(default_factory=dict)

    def copy(self) -> PageRecords:
        return PageRecords(dict(self.incidents), dict(self.drafts), list(self.updates), dict(self.manual_statuses))


class FakeStatusPage:
    """StatusPageRepository over PageRecords."""

    def __init__(self, records: PageRecords) -> None:
        self._r = records
        self._ids = 1000 + len(records.drafts) + len(records.updates)

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    async def public_incident(self, team_id: str, incident_id: int) -> PublicIncident | None:
        return self._r.incidents.get((team_id, incident_id))

    async def save_incident(self, incident: PublicIncident) -> None:
        self._r.incidents[(incident.team_id, incident.incident_id)] = incident

    async def add_draft(self, draft: Draft) -> Draft:
        stored = replace(draft, id=self._next())
        self._r.drafts[stored.id or 0] = stored
        return stored

    async def draft(self, team_id: str, draft_id: int, *, for_update: bool = False) -> Draft | None:
        found = self._r.drafts.get(draft_id)
        return found if found is not None and found.team_id == team_id else None

    async def close_draft(self, team_id: str, draft_id: int) -> None:
        self._r.drafts.pop(draft_id, None)

    async def add_update(self, update: PublishedUpdate) -> PublishedUpdate:
        stored = replace(update, id=self._next())
        self._r.updates.append(stored)
        return stored

    async def last_update(self, team_id: str, incident_id: int) -> PublishedUpdate | None:
        mine = [u for u in self._r.updates if (u.team_id, u.incident_id) == (team_id, incident_id)]
        return max(mine, key=lambda u: (u.published_at, u.id or 0), default=None)

    async def records(self, since: datetime) -> list[tuple[PublicIncident, list[PublishedUpdate]]]:
        found = []
        for key, incident in self._r.incidents.items():
            mine = [u for u in self._r.updates if (u.team_id, u.incident_id) == key]
            if any(u.published_at >= since for u in mine):
                found.append((incident, mine))
        return found

    async def manual(self) -> dict[str, ComponentStatus]:
        return dict(self._r.manual_statuses)

    async def set_manual(self, component: str, status: ComponentStatus | None, by: str, at: datetime) -> None:
        if status is None:
            self._r.manual_statuses.pop(component, None)
        else:
            self._r.manual_statuses[component] = status
