"""Every state change lands on the timeline and in the audit log, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.incident import AuditEvent, Incident, TimelineEntry, TimelineKind
from bot.domain.repositories import UnitOfWork


async def record(
    uow: UnitOfWork, incident: Incident, *, actor: str, action: str, text: str, at: datetime,
    kind: TimelineKind = TimelineKind.CHANGE, before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append a timeline entry and an audit event for one change made by `actor`."""
    await uow.timeline.add(TimelineEntry(incident_id=incident.id, team_id=incident.team_id, kind=kind,
                                         text=text, author=actor, occurred_at=at))
    await audit(uow, incident, actor=actor, action=action, at=at, before=before, after=after)


async def audit(
    uow: UnitOfWork, incident: Incident, *, actor: str, action: str, at: datetime,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> None:
    """Append an audit event only (for things that are not part of the story, like refusals)."""
    await uow.audit.add(AuditEvent(team_id=incident.team_id, incident_id=incident.id, actor=actor,
                                   action=action, at=at, before=before or {}, after=after or {}))
