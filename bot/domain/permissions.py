"""Who may do what: one rule per capability, plus admins who may do everything.

A rule lists who is allowed: `anyone`, holders of an incident role (`role:commander`), Slack user
groups (`S...`) or user ids (`U...`/`W...`). A runbook step's own `guard:` narrows the
`run_guarded_steps` and `approve` rules further; it never widens them. The decision itself (allowed,
or who may) is made in one place: `bot/domain/access.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

ANYONE = "anyone"
ROLE_PREFIX = "role:"


class Capability(StrEnum):
    """Something a person may or may not be allowed to do."""

    DECLARE = "declare"
    CHANGE_SEVERITY = "change_severity"
    RESOLVE = "resolve"
    REASSIGN_COMMANDER = "reassign_commander"
    RUN_GUARDED_STEPS = "run_guarded_steps"
    APPROVE = "approve"
    EXPORT = "export"
    PUBLISH_STATUS_PAGE = "publish_status_page"


VERBS = {
    Capability.DECLARE: "declare incidents",
    Capability.CHANGE_SEVERITY: "change the severity",
    Capability.RESOLVE: "resolve or close the incident",
    Capability.REASSIGN_COMMANDER: "reassign the incident commander",
    Capability.RUN_GUARDED_STEPS: "run guarded runbook steps",
    Capability.APPROVE: "approve runbook steps",
    Capability.EXPORT: "export the incident review",
    Capability.PUBLISH_STATUS_PAGE: "publish to the status page",
}


def is_group(target: str) -> bool:
    """A Slack user group id (S...)."""
    return target.startswith("S")


def mention(target: str) -> str:
    """How Slack shows a user or a user group."""
    return f"<!subteam^{target}>" if is_group(target) else f"<@{target}>"


@dataclass(frozen=True)
class Rule:
    """Who is allowed one capability."""

    anyone: bool = False
    roles: tuple[str, ...] = ()  # incident role ids: whoever holds the role in the incident at hand
    groups: tuple[str, ...] = ()  # Slack user group ids (S...)
    users: tuple[str, ...] = ()  # Slack user ids (U... / W...)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Rule:
        """`["role:commander", "S0LEADS", "U0ANA"]` -> Rule; ValueError naming an entry it cannot read."""
        roles: list[str] = []
        groups: list[str] = []
        users: list[str] = []
        anyone = False
        for entry in entries:
            text = entry.strip()
            if text == ANYONE:
                anyone = True
            elif text.startswith(ROLE_PREFIX) and len(text) > len(ROLE_PREFIX):
                roles.append(text[len(ROLE_PREFIX):])
            elif text[:1] == "S" and text[1:].isalnum() and text.isupper():
                groups.append(text)
            elif text[:1] in ("U", "W") and text[1:].isalnum() and text.isupper():
                users.append(text)
            else:
                raise ValueError(f"{entry!r} is not `anyone`, `role:<role id>`, a user group id (S...) "
                                 "or a user id (U.../W...)")
        return cls(anyone=anyone, roles=tuple(roles), groups=tuple(groups), users=tuple(users))

    @property
    def entries(self) -> tuple[str, ...]:
        """The rule written back as its configuration entries."""
        return ((ANYONE,) if self.anyone else ()) + tuple(ROLE_PREFIX + r for r in self.roles) + self.groups + self.users


DEFAULT_RULES: Mapping[Capability, Rule] = {
    Capability.DECLARE: Rule(anyone=True),
    Capability.CHANGE_SEVERITY: Rule(anyone=True),
    Capability.RESOLVE: Rule(anyone=True),
    # The commander hands over; anyone may take the role while nobody holds it.
    Capability.REASSIGN_COMMANDER: Rule(roles=("commander",)),
    # A step's own guard decides who may run or approve it.
    Capability.RUN_GUARDED_STEPS: Rule(anyone=True),
    Capability.APPROVE: Rule(anyone=True),
    Capability.EXPORT: Rule(anyone=True),
    # The comms lead or the commander confirms what customers read.
    Capability.PUBLISH_STATUS_PAGE: Rule(roles=("comms", "commander")),
}


@dataclass(frozen=True)
class Permissions:
    """The permission model of one Warroom: a rule per capability and the admins."""

    rules: Mapping[Capability, Rule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    admins: tuple[str, ...] = ()  # user ids and user group ids who may do everything

    def rule(self, capability: Capability) -> Rule:
        """The rule for `capability` (the default when not configured)."""
        return self.rules.get(capability, DEFAULT_RULES[capability])

    def with_admins(self, extra: Iterable[str]) -> Permissions:
        """The same model with more admins (the older `role_admins` key adds to them)."""
        added = tuple(a for a in extra if a not in self.admins)
        return Permissions(rules=self.rules, admins=self.admins + added) if added else self

    def groups_for(self, capability: Capability) -> tuple[str, ...]:
        """The user groups whose membership can decide `capability` (rule groups, then admin groups)."""
        wanted = self.rule(capability).groups + tuple(a for a in self.admins if is_group(a))
        return tuple(dict.fromkeys(wanted))

    def is_admin(self, user: str, member_of: Collection[str]) -> bool:
        """Is `user` an admin, by id or through one of the groups they are in?"""
        return any(a == user or (is_group(a) and a in member_of) for a in self.admins)
