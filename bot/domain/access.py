"""The one permission decision: may this person do this, and if not, who may (the refusal's text).

Every question about who may do what is one of five: use a capability of the permission model (`Use`),
run, roll back or skip a guarded runbook step (`RunStep`), approve someone's request to run one
(`Approve`), withdraw a request for approval (`Cancel`), take a restricted role from its holder
(`Reassign`). Each is granted by the same kinds of entry: anyone, the holder of an incident role,
members of a Slack user group, named users; and admins (`permissions.admins`) may do everything.
A guarded step is checked against the capability's rule first and its own guard after: the guard
narrows the rule, it never widens it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import assert_never

from bot.domain.permissions import VERBS, Capability, Permissions, Rule, is_group, mention
from bot.domain.policy import Policy, Role
from bot.domain.runbook import Guard

COMMANDER = "commander"

# The audit actions refusals are recorded as.
DENIED = "permission.denied"
STEP_REFUSED = "runbook.step_refused"
APPROVAL_REFUSED = "runbook.approval_refused"
REASSIGN_REFUSED = "role.reassign_refused"
REFUSALS = (DENIED, STEP_REFUSED, APPROVAL_REFUSED, REASSIGN_REFUSED)


@dataclass(frozen=True)
class Asker:
    """Who asks: the user, the incident's role holders (role id -> user) and the user groups they are in."""

    user: str
    roles: Mapping[str, str] = field(default_factory=dict)  # empty outside an incident
    member_of: frozenset[str] = frozenset()  # only the groups asked about (see `groups_to_ask`)


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused: with the audit action the refusal is recorded as and the text saying who may."""

    allowed: bool
    capability: Capability | None = None  # None: taking a restricted role other than the commander's
    action: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Use:
    """Use a capability of the permission model (declare, resolve, export, ...)."""

    capability: Capability


@dataclass(frozen=True)
class RunStep:
    """Run, roll back or skip a runbook step; `op` is said in the refusal ("run", "roll back", "skip")."""

    guard: Guard | None
    title: str
    op: str = "run"


@dataclass(frozen=True)
class Approve:
    """Approve the request of `requested_by` to run a guarded step: a different, permitted person."""

    guard: Guard
    title: str
    requested_by: str | None


@dataclass(frozen=True)
class Cancel:
    """Withdraw a request for approval: the requester, or whoever may run the step."""

    guard: Guard | None
    title: str
    requested_by: str | None


@dataclass(frozen=True)
class Reassign:
    """Give `role`, now held by `holder`, to someone (a restricted role: its holder, the rule, or an admin)."""

    role: Role
    holder: str | None


Question = Use | RunStep | Approve | Cancel | Reassign


def decide(policy: Policy, question: Question, asker: Asker) -> Decision:
    """May `asker` do what `question` asks? A refusal says who may."""
    access = policy.access
    match question:
        case Use(capability):
            rule = access.rule(capability)
            return _decision(_grants(access, rule, asker), capability, DENIED,
                             lambda: _only_may(policy, rule, VERBS[capability]))
        case RunStep(guard, title, op):
            return _decision(_guard_grants(access, guard, asker), Capability.RUN_GUARDED_STEPS, STEP_REFUSED,
                             lambda: f"Only {_guarded_by(policy, guard, asker)} may {op} “{title}”.")
        case Cancel(guard, title, requested_by):
            allowed = asker.user == requested_by or _guard_grants(access, guard, asker)
            requester = f"{mention(requested_by)} or " if requested_by else ""
            return _decision(allowed, Capability.RUN_GUARDED_STEPS, STEP_REFUSED,
                             lambda: f"Only {requester}whoever may run “{title}” can cancel this request.")
        case Approve():
            return _approval(policy, question, asker)
        case Reassign():
            return _reassignment(policy, question, asker)
        case _:
            assert_never(question)


def groups_to_ask(policy: Policy, question: Question) -> tuple[str, ...]:
    """The user groups whose membership can change the decision (Slack is asked about these only)."""
    access = policy.access
    admin_groups = tuple(a for a in access.admins if is_group(a))
    match question:
        case Use(capability):
            return access.groups_for(capability)
        case RunStep(guard) | Cancel(guard):
            if guard is None or not guard.restricted:
                return ()  # anyone may
            wanted = guard.groups
        case Approve(guard):
            wanted = guard.approver_groups
        case Reassign(role):
            if not role.restricted:
                return ()
            if role.id == COMMANDER:
                return access.groups_for(Capability.REASSIGN_COMMANDER)
            wanted = ()
        case _:
            assert_never(question)
    return tuple(dict.fromkeys([*(g for g in wanted if is_group(g)), *admin_groups]))


def _decision(allowed: bool, capability: Capability | None, action: str, reason: Callable[[], str]) -> Decision:
    """The decision; the refusal's text is only made for a refusal."""
    if allowed:
        return Decision(True, capability)
    return Decision(False, capability, action, reason())


def _grants(access: Permissions, rule: Rule, asker: Asker) -> bool:
    """Does `rule`, or being an admin, let `asker` through?"""
    user = asker.user
    return (rule.anyone or user in rule.users or any(asker.roles.get(role) == user for role in rule.roles)
            or any(group in asker.member_of for group in rule.groups) or access.is_admin(user, asker.member_of))


def _guard_rule(roles: tuple[str, ...], targets: tuple[str, ...]) -> Rule:
    """A step guard as a rule: its roles, and its targets split into user groups and users."""
    return Rule(roles=roles, groups=tuple(t for t in targets if is_group(t)),
                users=tuple(t for t in targets if not is_group(t)))


def _guard_grants(access: Permissions, guard: Guard | None, asker: Asker) -> bool:
    if guard is None or not guard.restricted:
        return True
    return _grants(access, _guard_rule(guard.roles, guard.groups), asker)


def _approval(policy: Policy, question: Approve, asker: Asker) -> Decision:
    guard, title = question.guard, question.title
    if asker.user == question.requested_by:
        return Decision(False, Capability.APPROVE, APPROVAL_REFUSED,
                        f"A different person must approve “{title}”: you asked for it.")
    if guard.approver_roles or guard.approver_groups:
        rule = _guard_rule(guard.approver_roles, guard.approver_groups)
        approvers = _guarded_by(policy, Guard(roles=guard.approver_roles, groups=guard.approver_groups), asker)
    else:  # no approvers named: anyone holding a role in this incident
        rule = Rule(roles=tuple(asker.roles))
        labels = ", ".join(role.label.lower() for role in policy.roles)
        approvers = f"someone holding a role in this incident ({labels})"
    return _decision(_grants(policy.access, rule, asker), Capability.APPROVE, APPROVAL_REFUSED,
                     lambda: f"Only {approvers} may approve “{title}”.")


def _reassignment(policy: Policy, question: Reassign, asker: Asker) -> Decision:
    role, holder = question.role, question.holder
    capability = Capability.REASSIGN_COMMANDER if role.id == COMMANDER else None
    if not role.restricted or holder is None or holder == asker.user:
        return Decision(True, capability)
    access = policy.access
    # Only the commander's role has a rule; any other restricted role is taken only by an admin.
    rule = access.rule(Capability.REASSIGN_COMMANDER) if capability else Rule()
    label = role.label.lower()
    who = [f"the current {label} {mention(holder)}",
           *(mention(a) for a in dict.fromkeys([*rule.groups, *rule.users, *access.admins]))]
    return _decision(_grants(access, rule, asker), capability, REASSIGN_REFUSED,
                     lambda: f"Only {' or '.join(who)} can reassign the {label}.")


def _only_may(policy: Policy, rule: Rule, verb: str) -> str:
    """"Only the incident commander, <!subteam^S1> or an admin may resolve or close the incident."."""
    labels = _labels(policy)
    people = [f"the {labels.get(r, r).lower()}" for r in rule.roles]
    people += [mention(g) for g in rule.groups] + [mention(u) for u in rule.users]
    people.append("an admin" if policy.access.admins else
                  "an admin (none are configured: `permissions.admins`)")
    listed = people[0] if len(people) == 1 else ", ".join(people[:-1]) + " or " + people[-1]
    return f"Only {listed} may {verb}."


def _guarded_by(policy: Policy, guard: Guard | None, asker: Asker) -> str:
    """Who a guard lets through, naming each role's holder: "the incident commander (<@U1>) or <!subteam^S1>"."""
    if guard is None:
        return "anyone"
    labels, people = _labels(policy), []
    for role_id in guard.roles:
        label, holder = labels.get(role_id, role_id).lower(), asker.roles.get(role_id)
        people.append(f"the {label} ({mention(holder)})" if holder else
                      f"the {label} (nobody yet: `/incident role {role_id} @someone`)")
    people += [mention(target) for target in guard.groups]
    return " or ".join(people)


def _labels(policy: Policy) -> dict[str, str]:
    return {role.id: role.label for role in policy.roles}
