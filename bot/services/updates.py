"""UpdateService: status updates drafted from templates, posted, recorded, and restarting the update clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import cast

import structlog
from jinja2 import Environment, StrictUndefined, Template

from bot.domain.chat import UpdateChat
from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.incident import AuditEvent, Incident, TimelineEntry, TimelineKind
from bot.domain.milestones import format_duration, format_time
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.runbook import FlagValue, show_value
from bot.domain.status_page import PublishRule
from bot.domain.text import escape
from bot.services.incidents import IncidentService, load_incident
from bot.services.recording import record
from bot.services.retry import retried

log = structlog.get_logger(__name__)

UPDATE_MAX = 3000
DRAFT_ACTIONS = 5  # the latest actions an internal update lists
STEP_RESULTS = ("runbook.step_run", "runbook.step_rolled_back")


class Audience(StrEnum):
    """Who a status update is written for (the seeds' templates)."""

    INTERNAL = "internal"
    CUSTOMER = "customer"
    STATUS_PAGE = "status_page"
    RESOLVED = "resolved"


def parse_audience(text: str) -> Audience:
    """`internal`, `customer`, `status_page` (or `status-page`, `statuspage`), `resolved`."""
    wanted = (text or "internal").strip().lower().replace("-", "_").replace("statuspage", "status_page")
    try:
        return Audience(wanted)
    except ValueError:
        raise InvalidCommand(f"`{escape(text[:40])}` is not an audience; use one of {', '.join(a.value for a in Audience)}.") from None


def public_actions(entries: list[TimelineEntry], events: list[AuditEvent], limit: int = DRAFT_ACTIONS) -> list[str]:
    """The latest actions fit for a status update: what people wrote, and the runbook steps that worked.

    An update goes to the announcements channel, so it never quotes Warroom's own records of a step
    (they carry its internal error and output): a step appears as its title and flag change, and only
    once it has succeeded.
    """
    written = [(e.occurred_at, e.text) for e in entries
               if e.kind is TimelineKind.ACTION and e.visible and e.source != "warroom"]
    steps = [(e.at, _step_line(e)) for e in events if e.action in STEP_RESULTS and e.after.get("ok") is True]
    return [text for _, text in sorted(written + steps, key=lambda pair: pair[0])][-limit:]


def _step_line(event: AuditEvent) -> str:
    verb = "Rolled back" if event.action == "runbook.step_rolled_back" else "Ran"
    after, before = event.after, event.before
    change = ""
    if after.get("flag"):
        old, new = cast(FlagValue, before.get("value")), cast(FlagValue, after.get("value"))
        change = f": {after['flag']} {show_value(old)} → {show_value(new)}"
    return f"{verb} “{after.get('title') or after.get('step')}”{change}"


@lru_cache(maxsize=8)
def _template(audience: Audience) -> Template:
    text = resources.files("bot").joinpath(f"templates/updates/{audience.value}.md.j2").read_text(encoding="utf-8")
    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False).from_string(text)


class UpdateService:
    """Status updates for internal, customer, status page and resolved audiences."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: UpdateChat, clock: Clock, incidents: IncidentService) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents
        self.policy = incidents.policy

    async def draft(self, team_id: str, channel_id: str, audience: Audience,
                    public: Mapping[str, str] | None = None) -> tuple[Incident, str]:
        """The template for `audience`, filled in from the incident and its recent actions; `public` replaces
        the internal `title` and `service` (the status page's draft names only its public title and components)."""
        incident = await self._incidents.for_channel(team_id, channel_id)
        async with self._uow() as uow:
            entries = await uow.timeline.list_for(team_id, incident.id)
            events = await uow.audit.list_for(team_id, incident.id)
        now = self._clock.now()
        severity = self.policy.severities.get(incident.severity)
        tz = self.policy.timezone
        actions = public_actions(entries, events)
        fields: dict[str, object] = {
            "severity": incident.severity, "rank": severity.rank, "title": incident.title,
            "service": incident.service, "status": self.policy.lifecycle.get(incident.status).label,
            "impact": incident.impact or incident.summary or "Under investigation.",
            "started": format_time(incident.declared_at, tz), "now": format_time(now, tz),
            "next_update": format_time(now + severity.update_cadence, tz),
            "cadence": format_duration(severity.update_cadence), "actions": actions, "resolution": incident.resolution,
            "impacted": "", "root_cause": incident.root_cause,
            "duration": format_duration((incident.resolved_at or now) - incident.declared_at),
        }
        text = _template(audience).render(**{**fields, **(public or {})})
        return incident, text.strip()

    @retried
    async def snooze(self, team_id: str, channel_id: str, actor: str, minutes: int) -> Incident:
        """Hold the update reminders for `minutes` (recorded; an update posted meanwhile clears it)."""
        if not 1 <= minutes <= 240:
            raise InvalidInput({"minutes": "Snooze for 1 to 240 minutes."})
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        until = now + timedelta(minutes=minutes)
        async with self._uow() as uow:
            current = await load_incident(uow, team_id, incident.id, for_update=True)
            changed = await uow.incidents.update(current.with_changes(snoozed_until=until, updated_at=now))
            await record(uow, changed, actor=actor, action="incident.update_snoozed", at=now, kind=TimelineKind.UPDATE,
                         text=f"Update reminders snoozed for {minutes} min", after={"until": until.isoformat()})
            await self._chat.update_card(uow.outbox, changed)
            await self._incidents.changed(uow, changed)
            await uow.commit()
        return changed

    @retried
    async def post(self, team_id: str, channel_id: str, actor: str, audience: Audience, text: str) -> Incident:
        """Post the update in the incident and announcements channels, record it, restart the update clock."""
        text = text.strip()
        if not text:
            raise InvalidInput({"text": "Write the update before posting it."})
        if len(text) > UPDATE_MAX:
            raise InvalidInput({"text": f"Keep the update under {UPDATE_MAX} characters (it has {len(text)})."})
        incident = await self._incidents.for_channel(team_id, channel_id)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await load_incident(uow, team_id, incident.id, for_update=True)
            clock = {"last_update_at": now, "snoozed_until": None}
            if await self._page_keeps_the_clock(uow, current):
                clock = {}  # the status page's published updates set the cadence of this incident
            changed = await uow.incidents.update(current.with_changes(updated_at=now, **clock))
            await record(uow, changed, actor=actor, action="incident.update_posted", at=now, kind=TimelineKind.UPDATE,
                         text=f"Status update ({audience.value}): {text}", after={"audience": audience.value})
            await self._chat.post_update(uow.outbox, changed, audience.value, text, actor)
            await self._chat.update_card(uow.outbox, changed)
            await self._incidents.changed(uow, changed)  # the update clock restarts: the timers move
            await uow.commit()
        log.info("update_posted", team_id=team_id, incident=changed.ref, audience=audience.value)
        return changed

    async def _page_keeps_the_clock(self, uow: UnitOfWork, incident: Incident) -> bool:
        """An incident on the status page whose severity requires the page counts only published updates."""
        if self.policy.status_page.rule(incident.severity) is not PublishRule.REQUIRED:
            return False
        public = await uow.status_page.public_incident(incident.team_id, incident.id)
        return public is not None and not public.private
