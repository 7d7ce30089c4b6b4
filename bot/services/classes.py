"""ClassService: the custom fields an incident's class asks for, set one at a time and checked by kind."""

from __future__ import annotations

import structlog

from bot.domain.chat import IncidentChat
from bot.domain.classes import ClassField, class_by_id
from bot.domain.errors import InvalidCommand
from bot.domain.incident import Incident
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.text import escape, mention
from bot.services.incidents import IncidentService, load_incident
from bot.services.recording import record
from bot.services.retry import retried

log = structlog.get_logger(__name__)


class ClassService:
    """Custom fields: each change recorded on the timeline and audit log, and the card updated, in one transaction."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, incidents: IncidentService) -> None:
        self._uow, self._chat, self._clock, self._incidents = uow, chat, clock, incidents

    def field_of(self, incident: Incident, name: str) -> ClassField:
        """The field `name` of the incident's class, or InvalidCommand saying how to get one."""
        policy = self._incidents.policy
        chosen = class_by_id(policy.classes, incident.incident_class)
        if chosen is None:
            raise InvalidCommand("Custom fields come with the incident's class: set it first with "
                                 "`/incident class <class>`.")
        return chosen.field(name)

    @retried
    async def set_field(self, team_id: str, channel_id: str, user_id: str, name: str, typed: str) -> Incident:
        """Set a custom field of this channel's incident to `typed`, checked by the field's kind."""
        found = await self._incidents.for_channel(team_id, channel_id)
        field = self.field_of(found, name)
        value = field.check(typed)
        now = self._clock.now()
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, found.id, for_update=True)
            old = incident.custom_fields.get(field.name, "")
            if old == value:
                raise InvalidCommand(f"{escape(field.label)} is already {field.shown(value)}.")
            changed = await uow.incidents.update(incident.with_changes(
                custom_fields={**incident.custom_fields, field.name: value}, updated_at=now))
            await record(uow, changed, actor=user_id, action="incident.field_set", at=now,
                         text=f"{field.label}: {old or '(none)'} → {value}",
                         before={field.name: old}, after={field.name: value})
            if changed.channel_id is not None:
                await self._chat.update_card(uow.outbox, changed)
                await self._chat.post_change(uow.outbox, changed,
                                             f"{mention(user_id)} set *{escape(field.label)}* to {field.shown(value)}.")
            await self._incidents.changed(uow, changed)
            await uow.commit()
        log.info("field_set", team_id=team_id, incident=changed.ref, field=field.name)
        return changed
