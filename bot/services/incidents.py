"""IncidentService: declare incidents and change their status and severity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from bot.domain import milestones
from bot.domain.chat import ChannelRef, IncidentChat
from bot.domain.classes import check_resolvable, find_class
from bot.domain.commits import uncounted
from bot.domain.errors import IncidentNotFound, InvalidInput, NotInIncidentChannel
from bot.domain.incident import AuditEvent, Incident, NewIncident, TimelineEntry, similar_incidents
from bot.domain.news import Announcement, severity_news, status_news
from bot.domain.permissions import Capability
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.text import mention
from bot.services.declaration import DeclareRequest, DeclareResult, validate_declare
from bot.services.open_incidents import OpenIncidents
from bot.services.permissions import PermissionCheck
from bot.services.recording import record
from bot.services.retry import retried

log = structlog.get_logger(__name__)

CHANNEL_NAME_ATTEMPTS = 10
OPEN_LIST_LIMIT = 100


async def load_incident(uow: UnitOfWork, team_id: str, incident_id: int, *, for_update: bool = False) -> Incident:
    """The incident in this workspace, or IncidentNotFound; `for_update` locks the row until commit."""
    incident = await uow.incidents.get(team_id, incident_id, for_update=for_update)
    if incident is None:
        raise IncidentNotFound("That incident does not exist in this workspace.")
    return incident


class IncidentService:
    """Declaring and changing incidents: each change in one transaction with the Slack calls it causes."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, policy: Policy,
                 list_cache: timedelta = timedelta(seconds=2),
                 on_change: Callable[[UnitOfWork, Incident], Awaitable[None]] | None = None,
                 permissions: PermissionCheck | None = None, reads: UnitOfWorkFactory | None = None) -> None:
        self._uow = uow
        self._reads = reads or uow  # read-only units of work: they never wait behind a write (store.engine)
        self.permissions = permissions or PermissionCheck(uow=uow, clock=clock, policy=policy)
        self._chat = chat
        self._clock = clock
        self.policy = policy
        self._open = OpenIncidents(list_cache)
        self.on_change = on_change  # told of every change inside its transaction (the timers replan on it)
        # Told of a new incident inside its transaction (Services sets it: matching runbooks are offered).
        self.on_declared: Callable[[UnitOfWork, Incident], Awaitable[object]] | None = None

    async def find_similar(self, team_id: str, title: str, service: str) -> list[Incident]:
        """Open incidents that look like the one about to be declared."""
        now = self._clock.now()
        candidates = await self.list_open(team_id)
        return similar_incidents(candidates, title=title, service=service, now=now, policy=self.policy)

    async def declare(self, request: DeclareRequest, *, force: bool = False,
                      then: Callable[[UnitOfWork, Incident], Awaitable[None]] | None = None) -> DeclareResult:
        """Create the incident, its channel and card, and announce it.

        Round trips to Slack on the critical path: create the channel, then the card, the
        invite, the topic and the announcement go out together from the outbox. After the
        channel, one transaction holds the incident and everything it causes (and what `then` adds).
        """
        request = validate_declare(request, self.policy)
        if not request.automated:
            await self.permissions.require(Capability.DECLARE, request.user_id, team_id=request.team_id)
        if not force:
            duplicates = await self.find_similar(request.team_id, request.title, request.service)
            if duplicates:
                return DeclareResult(incident=None, duplicates=duplicates)
        now = self._clock.now()
        with uncounted():  # a number used up is no saved incident: a failure after it is still "not saved"
            async with self._uow() as uow:
                number = await uow.incidents.allocate_number(request.team_id)
                await uow.commit()
        # The channel first: if Slack refuses it, nothing but the number is used up, and no
        # channel-less incident is left behind for the duplicate check to point at.
        names = [
            self.policy.channel_name(number=number, title=request.title, severity=request.severity,
                                     date=now.strftime("%Y-%m-%d"), suffix=n)
            for n in range(CHANNEL_NAME_ATTEMPTS)
        ]
        channel = await self._chat.create_channel(names)
        try:
            incident = await self._create(request, number, now, channel, then)
        except Exception:
            # Nothing was saved (the transaction rolled back): archive the channel rather than leave
            # an empty one behind, then let the error reach the declarer.
            await self._chat.archive_channel(channel)
            raise
        log.info("incident_declared", team_id=incident.team_id, incident=incident.ref, severity=incident.severity)
        return DeclareResult(incident=incident)

    @retried
    async def _create(self, request: DeclareRequest, number: int, now: datetime, channel: ChannelRef,
                      then: Callable[[UnitOfWork, Incident], Awaitable[None]] | None = None) -> Incident:
        async with self._uow() as uow:
            incident = await uow.incidents.add(
                NewIncident(
                    team_id=request.team_id, number=number, title=request.title, severity=request.severity,
                    status=self.policy.lifecycle.initial, declared_by=request.user_id, declared_at=now,
                    summary=request.summary, service=request.service, channel_id=channel.id,
                    channel_name=channel.name, source_channel_id=request.source_channel_id, updated_at=now,
                    milestones=milestones.on_declared(now), links=dict(request.links),
                    incident_class=request.incident_class or None,
                )
            )
            await record(
                uow, incident, actor=request.user_id, action="incident.declared", at=now,
                text=f"Declared {incident.severity}: {incident.title}",
                after={"severity": incident.severity, "status": incident.status, "title": incident.title,
                       "service": incident.service, "channel": channel.id, "incident_class": incident.incident_class},
            )
            # Queued with the incident: the card, invite, topic and announcement are in different
            # lanes, so they go out together once this commits (the card on the second round trip).
            await self._chat.post_card(uow.outbox, incident)
            invited = list(request.invite) if request.automated else [request.user_id]
            if invited:
                await self._chat.invite(uow.outbox, incident, invited)
            await self._chat.set_topic(uow.outbox, incident)
            await self._chat.announce(uow.outbox, incident)
            await self.changed(uow, incident)
            if self.on_declared is not None:
                await self.on_declared(uow, incident)
            if then is not None:
                await then(uow, incident)
            await uow.commit()
        self._open.drop(request.team_id)
        return incident

    async def changed(self, uow: UnitOfWork, incident: Incident) -> None:
        """Tell whoever follows incident changes (the timers) that `incident` changed, in the change's own
        transaction: what it causes commits with it, and a failure there means nothing was saved."""
        if self.on_change is not None:
            await self.on_change(uow, incident)

    async def for_channel(self, team_id: str, channel_id: str) -> Incident:
        """The incident of this channel, or NotInIncidentChannel."""
        async with self._reads() as uow:
            incident = await uow.incidents.get_by_channel(team_id, channel_id)
        if incident is None:
            raise NotInIncidentChannel(
                "This command works in an incident channel. Run it there, or use `/incident list` to find one."
            )
        return incident

    @retried
    async def change_status(self, team_id: str, incident_id: int, user_id: str, new_status: str,
                            *, details: dict[str, str] | None = None,
                            then: Callable[[UnitOfWork, Incident], Awaitable[None]] | None = None,
                            automated: bool = False) -> Incident:
        """Move the incident along the lifecycle (with resolution `details`); record it; update the card.

        `then` adds what else the change causes (the review of a resolve) to its transaction. `automated`: an
        alert source (`user_id` names it) whose route in warroom.yaml says so; no person's permission applies.
        """
        if not automated:
            await self._require_for_status(team_id, incident_id, user_id, new_status)
        now = self._clock.now()
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, incident_id, for_update=True)
            target = self.policy.lifecycle.check(incident.status, new_status)
            closing = target.closed and self.policy.lifecycle.is_open(incident.status)
            if closing and not automated:  # an alert source cannot choose a class: its resolve is never refused
                check_resolvable(self.policy.classes, (details or {}).get("incident_class", incident.incident_class),
                                 incident.custom_fields, require_class=self.policy.class_required_at_resolve)
            changed = incident.with_changes(
                **(details or {}), status=target.id, updated_at=now,
                milestones=milestones.on_status_change(incident.milestones, old_status=incident.status,
                                                       new_status=target.id, now=now),
                resolved_at=now if closing else (incident.resolved_at if target.closed else None),
            )
            changed = await uow.incidents.update(changed)
            await record(uow, changed, actor=user_id, action="incident.status_changed", at=now,
                         text=f"Status {incident.status} → {target.id}",
                               before={"status": incident.status}, after={"status": target.id})
            await self._publish_change(uow, changed, f"{mention(user_id)} changed the status to *{target.label}*.",
                                       status_news(self.policy, incident.status, target.id, user_id))
            await self.changed(uow, changed)
            if then is not None:
                await then(uow, changed)
            await uow.commit()
        self._open.drop(team_id)
        log.info("status_changed", team_id=team_id, incident=changed.ref, old=incident.status, new=target.id)
        return changed

    @retried
    async def change_severity(self, team_id: str, incident_id: int, user_id: str, severity: str) -> Incident:
        """Change the incident's severity; record it; update the card."""
        now = self._clock.now()
        new = self.policy.severities.resolve(severity)
        await self._require(Capability.CHANGE_SEVERITY, team_id, incident_id, user_id)
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, incident_id, for_update=True)
            if new.id == incident.severity:
                raise InvalidInput({"severity": f"The incident is already {new.id}."})
            changed = await uow.incidents.update(incident.with_changes(severity=new.id, updated_at=now))
            await record(uow, changed, actor=user_id, action="incident.severity_changed", at=now,
                         text=f"Severity {incident.severity} → {new.id}",
                               before={"severity": incident.severity}, after={"severity": new.id})
            await self._publish_change(uow, changed, f"<@{user_id}> changed the severity to *{new.id}* ({new.label}).",
                                       severity_news(self.policy, incident.severity, new.id, user_id))
            await self.changed(uow, changed)
            await uow.commit()
        self._open.drop(team_id)
        log.info("severity_changed", team_id=team_id, incident=changed.ref, old=incident.severity, new=new.id)
        return changed

    @retried
    async def change_class(self, team_id: str, incident_id: int, user_id: str, typed: str) -> Incident:
        """Set the incident's class (one of the policy's, by id or label); record it; update the card."""
        now = self._clock.now()
        chosen = find_class(self.policy.classes, typed)
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, incident_id, for_update=True)
            if chosen.id == incident.incident_class:
                raise InvalidInput({"incident_class": f"The incident is already classed as {chosen.label}."})
            changed = await uow.incidents.update(incident.with_changes(incident_class=chosen.id, updated_at=now))
            await record(uow, changed, actor=user_id, action="incident.class_changed", at=now,
                         text=f"Class {incident.incident_class or '(none)'} → {chosen.id}",
                         before={"incident_class": incident.incident_class or ""}, after={"incident_class": chosen.id})
            await self._publish_change(uow, changed, f"{mention(user_id)} set the class to *{chosen.label}*.", None)
            await self.changed(uow, changed)
            await uow.commit()
        log.info("class_changed", team_id=team_id, incident=changed.ref, old=incident.incident_class, new=chosen.id)
        return changed

    async def _require(self, capability: Capability, team_id: str, incident_id: int, user_id: str) -> Incident:
        """The incident of this workspace, once `user_id` may do `capability` in it (PermissionDenied otherwise)."""
        async with self._reads() as uow:
            incident = await load_incident(uow, team_id, incident_id)
        await self.permissions.require(capability, user_id, team_id=team_id, incident=incident)
        return incident

    async def _require_for_status(self, team_id: str, incident_id: int, user_id: str, new_status: str) -> None:
        """Moving to a closed status is resolving; other status changes are open to everyone."""
        if self.policy.lifecycle.get(new_status).closed:
            await self._require(Capability.RESOLVE, team_id, incident_id, user_id)

    async def _publish_change(self, uow: UnitOfWork, incident: Incident, text: str, news: Announcement | None) -> None:
        """Queue the card update, the topic, the change message and any announcement in the transaction of the change."""
        if incident.channel_id is None:
            return
        await self._chat.update_card(uow.outbox, incident)
        await self._chat.set_topic(uow.outbox, incident)
        await self._chat.post_change(uow.outbox, incident, text)
        if news is not None:
            await self._chat.announce_change(uow.outbox, incident, news)

    async def list_open(self, team_id: str) -> list[Incident]:
        """Open incidents of this workspace, newest first (from a short-lived cache, see OpenIncidents)."""
        cached = self._open.get(team_id, self._clock.now())
        if cached is not None:
            return cached
        open_ids = [s.id for s in self.policy.lifecycle.statuses if not s.closed]
        async with self._reads() as uow:
            found = await uow.incidents.list_by_status(team_id, open_ids, limit=OPEN_LIST_LIMIT)
        self._open.put(team_id, found, self._clock.now())
        return found

    async def timeline(self, team_id: str, incident_id: int) -> list[TimelineEntry]:
        """The incident's timeline in time order."""
        async with self._reads() as uow:
            return await uow.timeline.list_for(team_id, incident_id)

    async def audit(self, team_id: str, incident_id: int) -> list[AuditEvent]:
        """The incident's audit events in time order."""
        async with self._reads() as uow:
            return await uow.audit.list_for(team_id, incident_id)

    async def count_by_status(self) -> dict[str, int]:
        """Incidents per status across workspaces (for metrics)."""
        async with self._uow() as uow:
            return await uow.incidents.count_by_status()
