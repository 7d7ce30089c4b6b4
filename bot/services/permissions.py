"""Checking the permission model for one request: group membership from Slack, denials audited."""

from __future__ import annotations

from typing import Any

import structlog

from bot.domain.errors import PermissionDenied
from bot.domain.incident import AuditEvent, Incident
from bot.domain.permissions import Capability, Permissions
from bot.domain.policy import Policy
from bot.domain.ports import Clock, Directory, UnitOfWorkFactory

log = structlog.get_logger(__name__)

DENIED = "permission.denied"


class NoDirectory:
    """A directory that knows no user groups (for wiring without Slack)."""

    async def in_group(self, user_id: str, group_id: str) -> bool:
        """Nobody is in any group."""
        return False


class PermissionCheck:
    """Decides capabilities for a user in a workspace (and incident), and records every denial."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, policy: Policy,
                 directory: Directory | None = None) -> None:
        self._uow, self._clock, self._policy = uow, clock, policy
        self._directory: Directory = directory or NoDirectory()

    @property
    def model(self) -> Permissions:
        """The permission model (with the older role_admins counted as admins)."""
        return self._policy.access

    async def member_of(self, user: str, groups: tuple[str, ...]) -> frozenset[str]:
        """Which of `groups` `user` is in (asks Slack; call it outside any transaction)."""
        found = [group for group in groups if await self._directory.in_group(user, group)]
        return frozenset(found)

    async def is_admin(self, user: str) -> bool:
        """Is `user` an admin (by id or user group)?"""
        model = self.model
        if user in model.admins:
            return True
        groups = tuple(a for a in model.admins if a.startswith("S"))
        return model.is_admin(user, await self.member_of(user, groups))

    async def allows(self, capability: Capability, user: str, incident: Incident | None = None) -> bool:
        """May `user` do `capability` (in `incident`, whose role holders count for `role:` entries)?"""
        model = self.model
        roles = incident.roles if incident is not None else {}
        if model.allows(capability, user=user, incident_roles=roles):
            return True  # decided without asking Slack about groups
        member_of = await self.member_of(user, model.groups_for(capability))
        return model.allows(capability, user=user, incident_roles=roles, member_of=member_of)

    def who_may(self, capability: Capability) -> str:
        """The refusal text for `capability`."""
        return self.model.who_may(capability, {r.id: r.label for r in self._policy.roles})

    async def require(self, capability: Capability, user: str, *, team_id: str,
                      incident: Incident | None = None) -> None:
        """Raise PermissionDenied (saying who may) unless `user` may do `capability`; denials are audited."""
        if await self.allows(capability, user, incident):
            return
        message = self.who_may(capability)
        await self.record_refusal(team_id, user, DENIED, incident, capability=capability.value, reason=message)
        log.info("permission_denied", team_id=team_id, capability=capability.value, actor=user,
                 incident=incident.ref if incident else None)
        raise PermissionDenied(message)

    async def record_refusal(self, team_id: str, actor: str, action: str, incident: Incident | None = None,
                             **after: Any) -> None:
        """Append an audit event for a refused request, in its own transaction."""
        async with self._uow() as uow:
            await uow.audit.add(AuditEvent(team_id=team_id, incident_id=incident.id if incident else None,
                                           actor=actor, action=action, at=self._clock.now(), after=dict(after)))
            await uow.commit()
