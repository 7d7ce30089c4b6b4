"""TimelineService: notes, and messages captured by shortcut, reaction or pin (once each)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from bot.domain.chat import ChatMessage, IncidentChat
from bot.domain.errors import InvalidCommand
from bot.domain.incident import Incident, TimelineEntry, TimelineKind
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.services.incidents import IncidentService
from bot.services.recording import audit
from bot.services.retry import retried

log = structlog.get_logger(__name__)

NOTE_MAX = 3000
ENTRY_MAX = 4000  # the timeline_entry.text column
_KIND_PREFIXES = {"decision": TimelineKind.DECISION, "action": TimelineKind.ACTION, "update": TimelineKind.UPDATE,
                  "note": TimelineKind.NOTE}


def split_kind(text: str) -> tuple[TimelineKind, str]:
    """`decision: roll back` -> (DECISION, "roll back"); anything else is a note."""
    head, sep, rest = text.partition(":")
    kind = _KIND_PREFIXES.get(head.strip().lower()) if sep else None
    return (kind, rest.strip()) if kind else (TimelineKind.NOTE, text.strip())


def ts_time(ts: str) -> datetime:
    """A Slack message ts ("1700000000.000100") as an aware UTC datetime."""
    return datetime.fromtimestamp(float(ts), UTC)


class TimelineService:
    """What happened, captured with as little friction as possible."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, incidents: IncidentService) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents

    @retried
    async def note(self, team_id: str, channel_id: str, actor: str, text: str) -> TimelineEntry:
        """`/incident note <text>` (prefix `decision:`, `action:` or `update:` to set the kind)."""
        kind, body = split_kind(text)
        if not body:
            raise InvalidCommand("Write the note after the command, e.g. `/incident note decision: roll back 4.2`.")
        if len(body) > NOTE_MAX:
            raise InvalidCommand(f"Keep a note under {NOTE_MAX} characters (it has {len(body)}).")
        incident = await self._incidents.for_channel(team_id, channel_id)
        async with self._uow() as uow:
            entry = await uow.timeline.add(TimelineEntry(
                incident_id=incident.id, team_id=team_id, kind=kind, text=body, author=actor,
                occurred_at=self._clock.now(), source="command"))
            await uow.commit()
        return entry

    @retried
    async def capture(self, team_id: str, message: ChatMessage, *, actor: str, via: str) -> TimelineEntry | None:
        """Add a channel message to its incident's timeline; None when it was already there."""
        incident = await self._incidents.for_channel(team_id, message.channel_id)
        permalink = await self._chat.permalink(message.channel_id, message.ts)
        now = self._clock.now()
        async with self._uow() as uow:
            existing = await uow.timeline.get_by_source(team_id, incident.id, message.channel_id, message.ts,
                                                        for_update=True)
            if existing is not None:
                if via in existing.captured_by and existing.visible:
                    return None  # the same capture again (or Slack redelivering the event)
                await uow.timeline.update(replace(existing, captured_by=(*existing.captured_by, via),
                                                  withdrawn_at=None))
                await uow.commit()
                return None if existing.visible else existing
            entry = await uow.timeline.add_captured(TimelineEntry(
                incident_id=incident.id, team_id=team_id, kind=TimelineKind.NOTE, text=message.text[:ENTRY_MAX],
                author=message.user_id, occurred_at=ts_time(message.ts), source=via,
                source_channel_id=message.channel_id, source_ts=message.ts, permalink=permalink,
                captured_by=(via,)))
            if entry is None:  # the same message captured at the same moment by another delivery
                return None
            await audit(uow, incident, actor=actor, action="timeline.captured", at=now,
                        after={"entry": entry.id, "via": via, "ts": message.ts})
            await uow.commit()
        log.info("timeline_captured", team_id=team_id, incident=incident.ref, via=via)
        return entry

    async def capture_ts(self, team_id: str, channel_id: str, ts: str, *, actor: str, via: str) -> TimelineEntry | None:
        """Capture the message `ts` of an incident channel (reactions and pins elsewhere are ignored)."""
        async with self._uow() as uow:
            if await uow.incidents.get_by_channel(team_id, channel_id) is None:
                return None
        message = await self._chat.fetch_message(channel_id, ts)
        if message is None:
            return None
        return await self.capture(team_id, message, actor=actor, via=via)

    @retried
    async def _change(self, team_id: str, channel_id: str, ts: str, actor: str,
                      change: Callable[[TimelineEntry, datetime], tuple[TimelineEntry, str, dict[str, Any]] | None]) -> None:
        """Read, change and write one captured entry in a single transaction (row locked on PostgreSQL),
        so an edit and a deletion arriving together cannot undo each other."""
        now = self._clock.now()
        async with self._uow() as uow:
            incident = await uow.incidents.get_by_channel(team_id, channel_id)
            if incident is None:
                return
            entry = await uow.timeline.get_by_source(team_id, incident.id, channel_id, ts, for_update=True)
            result = change(entry, now) if entry is not None else None
            if entry is None or result is None:
                return
            updated, action, details = result
            await uow.timeline.update(updated)
            await audit(uow, incident, actor=actor, action=action, at=now, before={"entry": entry.id},
                        after=details)
            await uow.commit()

    async def release(self, team_id: str, channel_id: str, ts: str, *, via: str, actor: str) -> None:
        """A reaction was removed or the message unpinned: withdraw the entry when nothing else holds it."""
        def change(entry: TimelineEntry, now: datetime) -> tuple[TimelineEntry, str, dict[str, Any]] | None:
            if via not in entry.captured_by:
                return None
            remaining = tuple(v for v in entry.captured_by if v != via)
            if remaining:
                return replace(entry, captured_by=remaining), "timeline.capture_removed", {"via": via}
            return (replace(entry, captured_by=(), withdrawn_at=entry.withdrawn_at or now), "timeline.withdrawn",
                    {"reason": f"{via}_removed"})

        await self._change(team_id, channel_id, ts, actor, change)

    async def edited(self, team_id: str, channel_id: str, ts: str, text: str, *, actor: str) -> None:
        """The source message was edited: the entry follows (a withdrawn entry stays withdrawn)."""
        def change(entry: TimelineEntry, now: datetime) -> tuple[TimelineEntry, str, dict[str, Any]] | None:
            if entry.text == text[:ENTRY_MAX]:
                return None
            return (replace(entry, text=text[:ENTRY_MAX], edited_at=now), "timeline.edited",
                    {"text": text[:ENTRY_MAX], "previous": entry.text})

        await self._change(team_id, channel_id, ts, actor, change)

    async def deleted(self, team_id: str, channel_id: str, ts: str, *, actor: str) -> None:
        """The source message was deleted: the entry is withdrawn for good (kept in history)."""
        def change(entry: TimelineEntry, now: datetime) -> tuple[TimelineEntry, str, dict[str, Any]] | None:
            if entry.withdrawn_at is not None and not entry.captured_by:
                return None
            return (replace(entry, captured_by=(), withdrawn_at=entry.withdrawn_at or now), "timeline.withdrawn",
                    {"reason": "message_deleted"})

        await self._change(team_id, channel_id, ts, actor, change)

    async def page(self, team_id: str, channel_id: str, page: int, per_page: int) -> tuple[Incident, list[TimelineEntry], int, int]:
        """Visible entries newest first, by each entry's own time (a captured message keeps its
        message's time): (incident, that page's entries, page, pages)."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        async with self._uow() as uow:
            entries = [e for e in await uow.timeline.list_for(team_id, incident.id) if e.visible]
        entries.sort(key=lambda e: (e.occurred_at, e.id or 0), reverse=True)
        pages = max(1, math.ceil(len(entries) / per_page))
        page = min(max(page, 1), pages)
        return incident, entries[(page - 1) * per_page:page * per_page], page, pages
