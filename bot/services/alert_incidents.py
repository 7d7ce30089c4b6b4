"""What an alert group does to incidents: declare one (through the declare use case), add its alerts to the
timeline, ask to resolve once every alert has resolved, and the triage message's Declare and Dismiss."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from bot.domain.alert_ports import AlertChat, AlertGroup, GroupState
from bot.domain.alerts import FIRING, AlertChanges
from bot.domain.errors import InvalidCommand, InvalidInput, UserError
from bot.domain.incident import Incident, TimelineEntry, TimelineKind
from bot.domain.oncall import on_call
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.text import escape
from bot.services.declaration import DeclareRequest, DeclareResult
from bot.services.retry import retried

log = structlog.get_logger(__name__)

DECLARE_LEASE = timedelta(seconds=60)  # a group being declared by a worker that died is declared again after this
Then = Callable[[UnitOfWork, Incident], Awaitable[None]]


class Declare(Protocol):
    """The declare use case (Services.declare)."""

    def __call__(self, request: DeclareRequest, *, force: bool = False,
                 then: Then | None = None) -> Awaitable[DeclareResult]:
        ...


class Attach(Protocol):
    """Attach a runbook to the incident of a channel (RunbookService.attach)."""

    def __call__(self, team_id: str, channel_id: str, actor: str, name: str) -> Awaitable[object]:
        ...


def entries(incident: Incident, author: str, lines: Sequence[str], at: datetime) -> list[TimelineEntry]:
    """Timeline entries of alerts that fired or resolved."""
    return [TimelineEntry(incident_id=incident.id, team_id=incident.team_id, kind=TimelineKind.CHANGE, text=line[:3900],
                          author=author, occurred_at=at, source=author) for line in lines]


class Resolve(Protocol):
    """Move an incident to a status as an alert source (IncidentService.change_status, automated)."""

    def __call__(self, team_id: str, incident_id: int, user_id: str, new_status: str, *,
                 automated: bool = False) -> Awaitable[Incident]:
        ...


class AlertIncidents:
    """Incidents and triage messages of alert groups."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: AlertChat, clock: Clock, policy: Policy, declare: Declare,
                 attach: Attach | None = None, resolve: Resolve | None = None) -> None:
        self._uow, self._chat, self._clock, self.policy = uow, chat, clock, policy
        self._declare, self._attach, self._resolve = declare, attach, resolve

    def on_call(self, service: str, at: datetime) -> str:
        """Who is on call for the service now (its catalog entry's rotation), if anyone."""
        entry = self.policy.catalog.find(service)
        rotation = next((r for r in self.policy.rotations if entry and r.id == entry.oncall and r.members), None)
        return on_call(rotation, at).current if rotation else ""

    def _told(self, service: str, oncall: str) -> str:
        """Who hears of a new incident of the service: whoever is on call for it, and its team's user group."""
        entry = self.policy.catalog.find(service)
        who = [f"<@{oncall}>" if oncall else "", f"<!subteam^{entry.usergroup}>" if entry and entry.usergroup else ""]
        named = " ".join(w for w in who if w)
        return f":rotating_light: {named}: {escape(entry.label if entry else service)} is alerting" if named else ""

    async def update(self, uow: UnitOfWork, group: AlertGroup, incident: Incident, change: AlertChanges,
                     author: str, at: datetime, *, auto_resolve: bool = False) -> bool:
        """Add what changed to the open incident's timeline and channel; once every alert has resolved, ask
        whether to resolve, or (`auto_resolve`, a route says so) return True: resolve it after this commits."""
        lines = [f"Alert firing: {group.lines.get(a.fingerprint, a.name)}" for a in change.fired]
        lines += [f"Alert resolved: {group.lines.get(a.fingerprint, a.name)}" for a in change.resolved]
        if not lines:
            return False
        await uow.timeline.add_many(entries(incident, author, lines, at))
        await self._chat.post_alerts(uow.outbox, incident, lines)
        if not (change.resolved and change.all_resolved):
            return False
        if auto_resolve and self._resolve is not None:
            return True
        who = incident.roles.get("commander") or self.on_call(incident.service, at)
        await self._chat.prompt_resolve(uow.outbox, incident, f"<@{who}>" if who else "")
        return False

    async def resolve(self, incident: Incident, source: str) -> None:
        """Resolve the incident as its alert source: its route resolves when every alert has resolved."""
        closed = next((s for s in self.policy.lifecycle.allowed_from(incident.status)
                       if self.policy.lifecycle.get(s).closed), None)
        if closed is None or self._resolve is None:
            return
        await self._resolve(incident.team_id, incident.id, source, closed, automated=True)

    async def declare(self, group: AlertGroup, *, actor: str, automated: bool, notification_id: int | None = None,
                      where: tuple[str, str] | None = None) -> Incident:
        """Declare the group's incident (the group is DECLARING, held by this caller); link both in the declare's
        own transaction, with a timeline entry per firing alert; attach the alert's runbook."""
        now = self._clock.now()
        oncall = self.on_call(group.service, now)

        async def link(uow: UnitOfWork, incident: Incident) -> None:
            current = await uow.alerts.get(group.team_id, group.id, for_update=True)
            assert current is not None, "alert groups are never deleted"
            if current.state is not GroupState.DECLARING or current.incident_id is not None:
                # Another replica took it over after this declare's hold ran out, and declared first: this
                # incident is rolled back and its channel archived (IncidentService.declare).
                ref = f" as incident {current.incident_id}" if current.incident_id else ""
                raise UserError(f"That alert was declared meanwhile{ref}.")
            linked = current.with_changes(state=GroupState.INCIDENT, incident_id=incident.id, lease_until=None)
            await uow.alerts.save(linked, now)
            await uow.alerts.opened(linked, incident.id, now)
            lines = [f"Alert firing: {linked.lines.get(fp, fp)}" for fp, s in linked.statuses.items() if s == FIRING]
            if linked.previous_incident_id is not None:
                previous = await uow.incidents.get(group.team_id, linked.previous_incident_id)
                lines.insert(0, f"Recurred: these alerts opened {previous.ref if previous else 'an incident'} before")
            await uow.timeline.add_many(entries(incident, group.source, lines, now))
            await self._chat.post_alerts(uow.outbox, incident, lines, lead=self._told(group.service, oncall))
            if notification_id is not None:
                await uow.alerts.finish(notification_id, now)
            if where is not None or group.state is GroupState.TRIAGE:
                await self._chat.update_triage(uow.outbox, linked, f"Declared as {incident.ref} by <@{actor}>", where)

        request = DeclareRequest(
            team_id=group.team_id, user_id=actor, severity=group.severity, title=group.title or "Alert",
            summary=group.summary, service=group.service, links=tuple(group.links.items()), automated=automated,
            invite=(oncall,) if oncall else (), source_channel_id=where[0] if where else None)
        result = await self._declare(request, force=True, then=link)
        assert result.incident is not None, "a forced declare returns its incident"
        incident = result.incident
        if group.runbook and self._attach is not None and incident.channel_id:
            try:
                await self._attach(group.team_id, incident.channel_id, actor, group.runbook)
            except (InvalidInput, InvalidCommand) as exc:
                log.warning("alert_runbook_not_attached", incident=incident.ref, runbook=group.runbook, reason=str(exc))
        return incident

    async def declare_from_triage(self, team_id: str, group_id: int, user_id: str,
                                  where: tuple[str, str] | None) -> Incident:
        """The triage message's Declare: `user_id` declares the group's incident (their permission checked)."""
        group = await self._hold(team_id, group_id)
        try:
            return await self.declare(group, actor=user_id, automated=False, where=where)
        except BaseException:
            await self._release(group)
            raise

    @retried
    async def _hold(self, team_id: str, group_id: int) -> AlertGroup:
        now = self._clock.now()
        async with self._uow() as uow:
            group = await uow.alerts.get(team_id, group_id, for_update=True)
            if group is None or group.state is not GroupState.TRIAGE:
                settled = "It was declared already." if group and group.state is GroupState.INCIDENT else \
                    "It is no longer waiting for triage."
                raise UserError(f"That alert can no longer be declared from here. {settled}")
            held = group.with_changes(state=GroupState.DECLARING, lease_until=now + DECLARE_LEASE)
            await uow.alerts.save(held, now)
            await uow.commit()
        return group

    @retried
    async def _release(self, group: AlertGroup, state: GroupState = GroupState.TRIAGE) -> None:
        """Give up a hold on a group whose declare failed: back to `state` (DECLARING: at once declarable again)."""
        async with self._uow() as uow:
            current = await uow.alerts.get(group.team_id, group.id, for_update=True)
            if current is not None and current.state is GroupState.DECLARING:
                await uow.alerts.save(current.with_changes(state=state, lease_until=None), self._clock.now())
                await uow.commit()

    async def release(self, group: AlertGroup) -> None:
        """An automated declare failed: the next attempt (after its backoff) need not wait for the lease."""
        await self._release(group, GroupState.DECLARING)

    @retried
    async def dismiss(self, team_id: str, group_id: int, user_id: str, where: tuple[str, str] | None) -> None:
        """The triage message's Dismiss: nothing is declared; the group waits until its alerts resolve."""
        now = self._clock.now()
        async with self._uow() as uow:
            group = await uow.alerts.get(team_id, group_id, for_update=True)
            if group is None or group.state is not GroupState.TRIAGE:
                raise UserError("That alert is no longer waiting for triage.")
            dismissed = group.with_changes(state=GroupState.DISMISSED)
            await uow.alerts.save(dismissed, now)
            await self._chat.update_triage(uow.outbox, dismissed, f"Dismissed by <@{user_id}>", where)
            await uow.commit()
        log.info("alert_dismissed", team_id=team_id, group=group_id, user=user_id)
