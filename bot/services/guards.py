"""Who may run, skip or approve a guarded runbook step, and how to say who may."""

from __future__ import annotations

from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.ports import Directory
from bot.domain.runbook import Guard
from bot.services.permissions import PermissionCheck


def _mention(target: str) -> str:
    return f"<!subteam^{target}>" if target.startswith("S") else f"<@{target}>"


class GuardCheck:
    """Guards checked against the incident's role holders and Slack user groups."""

    def __init__(self, directory: Directory, policy: Policy, permissions: PermissionCheck | None = None) -> None:
        self._directory, self._policy, self._permissions = directory, policy, permissions

    async def permitted(self, guard: Guard | None, incident: Incident, user: str) -> bool:
        """May `user` run (or skip) a step with this guard?"""
        if guard is None or not guard.restricted:
            return True
        if any(incident.roles.get(role) == user for role in guard.roles):
            return True
        for target in guard.groups:
            if target == user or (target.startswith("S") and await self._directory.in_group(user, target)):
                return True
        # Admins (permissions.admins) may do everything, guarded steps included.
        return self._permissions is not None and await self._permissions.is_admin(user)

    async def may_approve(self, guard: Guard, incident: Incident, user: str) -> bool:
        """May `user` approve a step with this guard (the requester is refused before this)?"""
        if not guard.approver_roles and not guard.approver_groups:
            return user in incident.roles.values() or (
                self._permissions is not None and await self._permissions.is_admin(user))
        return await self.permitted(Guard(roles=guard.approver_roles, groups=guard.approver_groups), incident, user)

    def who_may_approve(self, guard: Guard, incident: Incident) -> str:
        """Who may approve, for a refusal message."""
        if not guard.approver_roles and not guard.approver_groups:
            labels = ", ".join(role.label.lower() for role in self._policy.roles)
            return f"someone holding a role in this incident ({labels})"
        return self.who_may(Guard(roles=guard.approver_roles, groups=guard.approver_groups), incident)

    def who_may(self, guard: Guard, incident: Incident) -> str:
        """Who may run the step, for a refusal message."""
        people = []
        for role_id in guard.roles:
            label = next((r.label.lower() for r in self._policy.roles if r.id == role_id), role_id)
            holder = incident.roles.get(role_id)
            people.append(f"the {label} ({_mention(holder)})" if holder else
                          f"the {label} (nobody yet: `/incident role {role_id} @someone`)")
        people += [_mention(g) for g in guard.groups]
        return " or ".join(people)
