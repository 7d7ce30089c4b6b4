"""RoleService: assign, take and hand over incident roles, with history and a guard on the commander."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from bot.domain import milestones
from bot.domain.errors import InvalidInput, PermissionDenied
from bot.domain.incident import Incident, RoleAssignment
from bot.domain.permissions import Capability
from bot.domain.policy import Policy, Role
from bot.domain.ports import (
    Clock,
    Directory,
    HandoverSummary,
    IncidentChat,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.services.incidents import IncidentService, load_incident
from bot.services.permissions import PermissionCheck
from bot.services.recording import audit, record
from bot.services.retry import retried

log = structlog.get_logger(__name__)

COMMANDER = "commander"


def _mention(target: str) -> str:
    return f"<!subteam^{target}>" if target.startswith("S") else f"<@{target}>"


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
            raise InvalidInput({"role": f"`{text}` is not a role. Use one of: {names}."}) from None

    async def _groups_of(self, role: Role, actor: str) -> frozenset[str]:
        """The user groups of `actor` that can decide who may reassign `role` (asked before any transaction)."""
        if not role.restricted:
            return frozenset()
        model = self._permissions.model
        groups = model.groups_for(Capability.REASSIGN_COMMANDER) if role.id == COMMANDER else tuple(
            a for a in model.admins if a.startswith("S"))
        return await self._permissions.member_of(actor, groups)

    async def _check_may_reassign(self, uow: UnitOfWork, incident: Incident, role: Role, actor: str,
                                  member_of: frozenset[str]) -> None:
        holder = incident.roles.get(role.id)
        if not role.restricted or holder is None or holder == actor:
            return
        model = self._permissions.model
        if role.id == COMMANDER:
            allowed = model.allows(Capability.REASSIGN_COMMANDER, user=actor, incident_roles=incident.roles,
                                   member_of=member_of)
            rule = model.rule(Capability.REASSIGN_COMMANDER)
            others = [*rule.groups, *rule.users]
        else:
            allowed, others = model.is_admin(actor, member_of), []
        if allowed:
            return
        who = " or ".join([f"the current {role.label.lower()} <@{holder}>",
                           *(_mention(a) for a in dict.fromkeys([*others, *model.admins]))])
        message = f"Only {who} can reassign the {role.label.lower()}."
        await audit(uow, incident, actor=actor, action="role.reassign_refused", at=self._clock.now(),
                    before={"role": role.id, "user": holder},
                    after={"capability": Capability.REASSIGN_COMMANDER.value if role.id == COMMANDER else None,
                           "reason": message})
        await uow.commit()  # the refusal is recorded even though nothing else changes
        raise PermissionDenied(message)

    @retried
    async def assign(self, team_id: str, incident_id: int, actor: str, role_text: str, user_id: str,
                     *, handover: bool = False, open_steps: Sequence[str] = ()) -> Incident:
        """Give `role` to `user_id`; the previous holder's assignment ends now; the channel is told in one line
        (a handover: in the handover summary, with the open runbook steps)."""
        role = self.resolve_role(role_text)
        # Asked before the transaction: it may call Slack, and no connection is held across that.
        member_of = await self._groups_of(role, actor)
        now = self._clock.now()
        async with self._uow() as uow:
            incident = await load_incident(uow, team_id, incident_id, for_update=True)
            previous = incident.roles.get(role.id)
            if previous == user_id:
                raise InvalidInput({"role": f"<@{user_id}> is already the {role.label.lower()}."})
            await self._check_may_reassign(uow, incident, role, actor, member_of)
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
