"""RoleService: assign, take and hand over incident roles, with history and a guard on the commander."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.domain import milestones
from bot.domain.access import COMMANDER, Asker, Reassign, decide
from bot.domain.chat import Directory, HandoverSummary, IncidentChat
from bot.domain.errors import InvalidInput
from bot.domain.incident import Incident, RoleAssignment
from bot.domain.policy import Policy, Role
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWorkFactory
from bot.domain.text import escape
from bot.services.incidents import IncidentService, load_incident
from bot.services.permissions import PermissionCheck
from bot.services.recording import record
from bot.services.retry import retried

log = structlog.get_logger(__name__)


class RoleService:
    """Who leads, who communicates, who writes things down."""

    def __init__(self, *, uow: UnitOfWorkFactory, chat: IncidentChat, clock: Clock, policy: Policy,
                 directory: Directory, incidents: IncidentService | None = None) -> None:
        self._uow, self._chat, self._clock, self.policy, self._directory = uow, chat, clock, policy, directory
        self._incidents = incidents
        self._permissions = incidents.permissions if incidents is not None else PermissionCheck(
            uow=uow, clock=clock, policy=policy, directory=directory)

    def resolve_role(self, text: str) -> Role:
        """The role named by `text`, or InvalidInput listing the roles."""
        try:
            return self.policy.role(text)
        except KeyError:
            names = ", ".join(f"`{r.id}`" for r in self.policy.roles)
            raise InvalidInput({"role": f"`{escape(text[:40])}` is not a role. Use one of: {names}."}) from None

    @retried
    async def assign(self, team_id: str, incident_id: int, actor: str, role_text: str, user_id: str,
                     *, handover: bool = False, open_steps: Sequence[str] = ()) -> Incident:
        """Give `role` to `user_id`; the previous holder's assignment ends now; the channel is told in one line
        (a handover: in the handover summary, with the open runbook steps)."""
        role = self.resolve_role(role_text)
        # Asked before the transaction: it may call Slack, and no connection is held across that.
        member_of = await self._permissions.groups_of(Reassign(role, None), actor)
        now = self._clock.now()
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, incident_id, for_update=True)
            previous = incident.roles.get(role.id)
            if previous == user_id:
                raise InvalidInput({"role": f"<@{user_id}> is already the {role.label.lower()}."})
            decision = decide(self.policy, Reassign(role, previous), Asker(actor, incident.roles, member_of))
            if not decision.allowed:
                raise await self._permissions.refused(decision, actor, team_id=team_id, incident=incident, uow=uow,
                                                      before={"role": role.id, "user": previous})
            current = await uow.roles.current(team_id, incident_id, role.id)
            if current is not None:
                await uow.roles.update(RoleAssignment(**{**current.__dict__, "relinquished_at": now}))
            await uow.roles.add(RoleAssignment(team_id=team_id, incident_id=incident_id, role=role.id,
                                               user_id=user_id, assigned_by=actor, assumed_at=now,
                                               handover=handover))
            changes: dict[str, object] = {"roles": {**incident.roles, role.id: user_id}, "updated_at": now}
            if role.id == COMMANDER:
                changes["milestones"] = milestones.on_acknowledged(incident.milestones, now)
            changed = await uow.incidents.update(incident.with_changes(**changes))
            verb = "took over as" if handover else "is now"
            was = f" (was <@{previous}>)" if previous else ""
            line = f"<@{user_id}> {verb} {role.label.lower()}{was}"
            await record(uow, changed, actor=actor, action="role.handed_over" if handover else "role.assigned",
                         at=now, text=line,
                         before={"role": role.id, "user": previous}, after={"role": role.id, "user": user_id})
            # Everything the change causes is queued with it: the card, the topic (it names the
            # commander), the holder's DM and the line in the channel.
            await self._chat.update_card(uow.outbox, changed)
            if role.id == COMMANDER:
                await self._chat.set_topic(uow.outbox, changed)
            await self._chat.notify_role_holder(uow.outbox, changed, role.id, user_id)
            if handover:
                followups = [f for f in await uow.followups.list_for(team_id, incident_id) if f.open]
                await self._chat.post_handover(uow.outbox, HandoverSummary(
                    incident=changed, from_user=previous, to_user=user_id,
                    next_update_due=changed.next_update_due(self.policy), open_followups=followups,
                    open_steps=list(open_steps)))
            else:
                await self._chat.post_change(uow.outbox, changed, line)
            if self._incidents is not None:
                await self._incidents.changed(uow, changed)
            await uow.commit()
        log.info("role_assigned", team_id=team_id, incident=changed.ref, role=role.id, handover=handover)
        return changed

    async def handover(self, team_id: str, incident_id: int, actor: str, to_user: str,
                       open_steps: list[str] | None = None) -> Incident:
        """Hand the commander role to `to_user`, with the handover summary (and the open runbook steps) in the channel."""
        return await self.assign(team_id, incident_id, actor, COMMANDER, to_user, handover=True,
                                 open_steps=open_steps or [])

    async def history(self, team_id: str, incident_id: int) -> list[RoleAssignment]:
        """Every role assignment of the incident, oldest first."""
        async with self._uow() as uow:
            return await uow.roles.list_for(team_id, incident_id)
