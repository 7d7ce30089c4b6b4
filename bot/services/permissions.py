"""Asking the one permission decision for a request (group membership from Slack); the one place refusals are audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import structlog

from bot.domain.access import Asker, Decision, Question, Use, decide, groups_to_ask
from bot.domain.chat import Directory
from bot.domain.errors import PermissionDenied
from bot.domain.incident import AuditEvent, Incident
from bot.domain.permissions import Capability, Permissions
from bot.domain.policy import Policy
from bot.domain.ports import Clock
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory

log = structlog.get_logger(__name__)


class NoDirectory:
    """A directory that knows no user groups (for wiring without Slack)."""

    async def in_group(self, user_id: str, group_id: str) -> bool:
        """Nobody is in any group."""
        return False


class PermissionCheck:
    """Decides what a user may do in a workspace (and incident), and records every refusal."""

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

    async def groups_of(self, question: Question, user: str) -> frozenset[str]:
        """The user groups of `user` that can change the decision on `question` (asked before a transaction)."""
        return await self.member_of(user, groups_to_ask(self._policy, question))

    async def decide(self, question: Question, user: str, incident: Incident | None = None) -> Decision:
        """The decision on `question` for `user` (in `incident`, whose role holders count); Slack is asked
        about user groups only when their answer could change it."""
        asker = Asker(user, roles=dict(incident.roles) if incident is not None else {})
        decision = decide(self._policy, question, asker)
        groups = () if decision.allowed else groups_to_ask(self._policy, question)
        if not groups:
            return decision
        return decide(self._policy, question, replace(asker, member_of=await self.member_of(user, groups)))

    async def check(self, question: Question, user: str, *, team_id: str, incident: Incident | None = None,
                    **context: Any) -> None:
        """Raise PermissionDenied (saying who may) unless `user` may; the refusal is audited with `context`."""
        decision = await self.decide(question, user, incident)
        if not decision.allowed:
            raise await self.refused(decision, user, team_id=team_id, incident=incident, context=context)

    async def require(self, capability: Capability, user: str, *, team_id: str,
                      incident: Incident | None = None) -> None:
        """Raise PermissionDenied (saying who may) unless `user` may do `capability`; denials are audited."""
        await self.check(Use(capability), user, team_id=team_id, incident=incident)

    async def refused(self, decision: Decision, actor: str, *, team_id: str, incident: Incident | None = None,
                      context: Mapping[str, Any] | None = None, before: Mapping[str, Any] | None = None,
                      uow: UnitOfWork | None = None) -> PermissionDenied:
        """Audit a refusal (its action, the capability, the reason and `context`) and return the error to raise.

        Every permission refusal passes here, so each leaves one audit event of one shape.
        """
        assert not decision.allowed
        capability = decision.capability.value if decision.capability is not None else None
        await self.record_refusal(team_id, actor, decision.action, incident, uow=uow, before=before,
                                  after={"capability": capability, "reason": decision.reason, **(context or {})})
        log.info("permission_denied", team_id=team_id, action=decision.action, capability=capability, actor=actor,
                 incident=incident.ref if incident else None)
        return PermissionDenied(decision.reason)

    async def record_refusal(self, team_id: str, actor: str, action: str, incident: Incident | None = None, *,
                             after: Mapping[str, Any], before: Mapping[str, Any] | None = None,
                             uow: UnitOfWork | None = None) -> None:
        """Append an audit event for a refused request: into `uow`, committing it (the refusal is recorded
        though nothing else changes), or in a transaction of its own."""
        event = AuditEvent(team_id=team_id, incident_id=incident.id if incident else None, actor=actor,
                           action=action, at=self._clock.now(), before=dict(before or {}), after=dict(after))
        if uow is not None:
            await uow.audit.add(event)
            await uow.commit()
            return
        async with self._uow() as own:
            await own.audit.add(event)
            await own.commit()
