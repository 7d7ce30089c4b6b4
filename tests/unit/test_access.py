"""The one permission decision: each question, each kind of grant, and the refusal that says who may."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import load_policy
from bot.domain.access import (
    APPROVAL_REFUSED,
    DENIED,
    REASSIGN_REFUSED,
    STEP_REFUSED,
    Approve,
    Asker,
    Cancel,
    Decision,
    Reassign,
    RunStep,
    Use,
    decide,
    groups_to_ask,
)
from bot.domain.permissions import VERBS, Capability, Permissions, Rule
from bot.domain.policy import Policy, Role
from bot.domain.runbook import Guard

NO_ADMINS = "an admin (none are configured: `permissions.admins`)"
COMMANDER = Role("commander", "Incident commander", "Leads.", restricted=True)
ROLES = {"commander": "U1", "comms": "U2"}


def _policy(admins: tuple[str, ...] = (), **rules: list[str]) -> Policy:
    parsed = {Capability(name): Rule.parse(entries) for name, entries in rules.items()}
    return replace(load_policy(None), permissions=Permissions(rules=parsed, admins=admins))


def _asker(user: str, *groups: str, roles: dict[str, str] | None = None) -> Asker:
    return Asker(user, roles=ROLES if roles is None else roles, member_of=frozenset(groups))


# --- a capability of the permission model: every capability, every kind of grant ------------------

# grant -> (its entries, an asker it lets through, an asker it refuses, how the refusal names it)
GRANTS: dict[str, tuple[list[str], Asker, Asker | None, str]] = {
    "anyone": (["anyone"], _asker("U9", roles={}), None, ""),
    "role": (["role:comms"], _asker("U2"), _asker("U1"), "the communications lead"),
    "group": (["S0LEADS"], _asker("U3", "S0LEADS"), _asker("U3", "S0OTHER"), "<!subteam^S0LEADS>"),
    "user": (["U0ANA"], _asker("U0ANA"), _asker("U0BO"), "<@U0ANA>"),
}


@pytest.mark.parametrize("grant", list(GRANTS))
@pytest.mark.parametrize("capability", list(Capability))
def test_each_kind_of_grant_lets_through_only_whom_it_names(capability: Capability, grant: str) -> None:
    entries, allowed, refused, named = GRANTS[grant]
    policy = _policy(**{capability.value: entries})
    assert decide(policy, Use(capability), allowed) == Decision(True, capability)
    if refused is not None:
        assert decide(policy, Use(capability), refused) == Decision(
            False, capability, DENIED, f"Only {named} or {NO_ADMINS} may {VERBS[capability]}.")


@pytest.mark.parametrize("capability", list(Capability))
def test_admins_may_use_every_capability_by_id_or_through_their_group(capability: Capability) -> None:
    policy = _policy(admins=("U0BOSS", "S0ADMINS"), **{capability.value: ["U0ANA"]})
    assert decide(policy, Use(capability), _asker("U0BOSS")).allowed
    assert decide(policy, Use(capability), _asker("U7", "S0ADMINS")).allowed
    refusal = decide(policy, Use(capability), _asker("U7", "S0OTHER"))
    assert refusal.reason == f"Only <@U0ANA> or an admin may {VERBS[capability]}."


def test_a_role_grant_needs_an_incident_whose_role_the_user_holds() -> None:
    policy = _policy(resolve=["role:commander"])
    assert decide(policy, Use(Capability.RESOLVE), _asker("U1")).allowed
    assert not decide(policy, Use(Capability.RESOLVE), _asker("U1", roles={})).allowed  # no incident


def test_the_defaults_keep_warroom_open_except_the_commander_role_and_the_status_page() -> None:
    policy = load_policy(None)
    open_to_all = [c for c in Capability if decide(policy, Use(c), _asker("U9")).allowed]
    assert open_to_all == [c for c in Capability
                           if c not in (Capability.REASSIGN_COMMANDER, Capability.PUBLISH_STATUS_PAGE)]
    assert decide(policy, Use(Capability.PUBLISH_STATUS_PAGE), _asker("U2")).allowed  # the comms lead


def test_a_refusal_lists_roles_groups_users_then_admins() -> None:
    policy = _policy(admins=("S0ADMINS",), resolve=["role:commander", "S0LEADS", "U0ANA"])
    assert decide(policy, Use(Capability.RESOLVE), _asker("U7")).reason == (
        "Only the incident commander, <!subteam^S0LEADS>, <@U0ANA> or an admin may resolve or close the incident.")


# --- a guarded runbook step: its guard, narrowed by nothing but itself -----------------------------

def test_an_unguarded_or_unrestricted_step_may_be_run_by_anyone() -> None:
    policy = _policy()
    assert decide(policy, RunStep(None, "Check"), _asker("U9")).allowed
    assert decide(policy, RunStep(Guard(confirm="Sure?"), "Check"), _asker("U9")).allowed


@pytest.mark.parametrize(("guard", "allowed", "named"), [
    (Guard(roles=("commander",)), _asker("U1"), "the incident commander (<@U1>)"),
    (Guard(groups=("S0OPS",)), _asker("U5", "S0OPS"), "<!subteam^S0OPS>"),
    (Guard(groups=("U0ANA",)), _asker("U0ANA"), "<@U0ANA>"),
], ids=["role", "group", "user"])
def test_a_steps_guard_lets_through_only_whom_it_names(guard: Guard, allowed: Asker, named: str) -> None:
    policy = _policy(admins=("S0ADMINS",))
    assert decide(policy, RunStep(guard, "Kill"), allowed) == Decision(True, Capability.RUN_GUARDED_STEPS)
    for op in ("run", "roll back", "skip"):
        assert decide(policy, RunStep(guard, "Kill", op), _asker("U7")) == Decision(
            False, Capability.RUN_GUARDED_STEPS, STEP_REFUSED, f"Only {named} may {op} “Kill”.")


def test_an_admin_passes_a_steps_guard_without_holding_its_role() -> None:
    policy, guard = _policy(admins=("U0BOSS", "S0ADMINS")), Guard(roles=("commander",))
    assert decide(policy, RunStep(guard, "Kill"), _asker("U0BOSS")).allowed
    assert decide(policy, RunStep(guard, "Kill"), _asker("U8", "S0ADMINS")).allowed


def test_a_guard_role_nobody_holds_says_how_to_assign_it() -> None:
    decision = decide(_policy(), RunStep(Guard(roles=("commander",)), "Kill"), _asker("U7", roles={}))
    assert decision.reason == "Only the incident commander (nobody yet: `/incident role commander @someone`) may run “Kill”."


# --- approving and cancelling a request ------------------------------------------------------------

APPROVAL = Guard(roles=("commander",), approval=True)


def test_the_requester_may_not_approve_their_own_request() -> None:
    assert decide(_policy(admins=("U1",)), Approve(APPROVAL, "Kill", "U1"), _asker("U1")) == Decision(
        False, Capability.APPROVE, APPROVAL_REFUSED, "A different person must approve “Kill”: you asked for it.")


def test_with_no_approvers_named_anyone_holding_a_role_or_an_admin_approves() -> None:
    policy = _policy(admins=("S0ADMINS",))
    assert decide(policy, Approve(APPROVAL, "Kill", "U1"), _asker("U2")).allowed
    assert decide(policy, Approve(APPROVAL, "Kill", "U1"), _asker("U8", "S0ADMINS")).allowed
    assert decide(policy, Approve(APPROVAL, "Kill", "U1"), _asker("U7")).reason == (
        "Only someone holding a role in this incident (incident commander, communications lead, scribe) "
        "may approve “Kill”.")


def test_a_refusal_to_approve_names_the_policys_own_roles() -> None:
    roles = (Role("commander", "Incident commander", "Leads."), Role("ops", "Ops lead", "Runs the fix."))
    policy = replace(_policy(), roles=roles)
    assert decide(policy, Approve(APPROVAL, "Kill", "U1"), _asker("U7")).reason == (
        "Only someone holding a role in this incident (incident commander, ops lead) may approve “Kill”.")


def test_named_approvers_are_the_only_ones_who_approve() -> None:
    guard = Guard(roles=("commander",), approval=True, approver_roles=("comms",), approver_groups=("S0LEADS", "U0ANA"))
    policy = _policy()
    for approver in (_asker("U2"), _asker("U5", "S0LEADS"), _asker("U0ANA")):
        assert decide(policy, Approve(guard, "Kill", "U1"), approver).allowed
    assert decide(policy, Approve(guard, "Kill", "U0BO"), _asker("U1")) == Decision(
        False, Capability.APPROVE, APPROVAL_REFUSED,
        "Only the communications lead (<@U2>) or <!subteam^S0LEADS> or <@U0ANA> may approve “Kill”.")


def test_the_requester_or_whoever_may_run_the_step_cancels_a_request() -> None:
    policy, guard = _policy(), Guard(roles=("commander",), approval=True)
    assert decide(policy, Cancel(guard, "Kill", "U2"), _asker("U2")).allowed
    assert decide(policy, Cancel(guard, "Kill", "U2"), _asker("U1")).allowed
    assert decide(policy, Cancel(guard, "Kill", "U2"), _asker("U7")) == Decision(
        False, Capability.RUN_GUARDED_STEPS, STEP_REFUSED, "Only <@U2> or whoever may run “Kill” can cancel this request.")


# --- taking a restricted role from its holder ------------------------------------------------------

def test_an_unrestricted_unheld_or_own_role_may_be_given_by_anyone() -> None:
    policy = _policy()
    assert decide(policy, Reassign(Role("scribe", "Scribe", "Notes."), "U3"), _asker("U9")).allowed
    assert decide(policy, Reassign(COMMANDER, None), _asker("U9")).allowed
    assert decide(policy, Reassign(COMMANDER, "U1"), _asker("U1")).allowed


@pytest.mark.parametrize(("entries", "allowed"), [
    (["anyone"], _asker("U9")),
    (["role:comms"], _asker("U2")),
    (["S0LEADS"], _asker("U5", "S0LEADS")),
    (["U0ANA"], _asker("U0ANA")),
], ids=["anyone", "role", "group", "user"])
def test_the_reassign_commander_rule_says_who_else_takes_the_commander_role(entries: list[str], allowed: Asker) -> None:
    policy = _policy(admins=("U0BOSS",), reassign_commander=entries)
    assert decide(policy, Reassign(COMMANDER, "U1"), allowed) == Decision(True, Capability.REASSIGN_COMMANDER)
    assert decide(policy, Reassign(COMMANDER, "U1"), _asker("U0BOSS")).allowed


def test_a_refused_reassignment_names_the_holder_the_rules_groups_and_users_then_the_admins() -> None:
    policy = _policy(admins=("S0ADMINS", "S0LEADS"), reassign_commander=["role:commander", "S0LEADS", "U0ANA"])
    assert decide(policy, Reassign(COMMANDER, "U1"), _asker("U9")) == Decision(
        False, Capability.REASSIGN_COMMANDER, REASSIGN_REFUSED,
        "Only the current incident commander <@U1> or <!subteam^S0LEADS> or <@U0ANA> or <!subteam^S0ADMINS> "
        "can reassign the incident commander.")


def test_another_restricted_role_is_taken_from_its_holder_only_by_an_admin() -> None:
    ops = Role("ops", "Ops lead", "Runs the fix.", restricted=True)
    policy = _policy(admins=("S0ADMINS",), reassign_commander=["anyone"])
    assert decide(policy, Reassign(ops, "U4"), _asker("U8", "S0ADMINS")) == Decision(True, None)
    assert decide(policy, Reassign(ops, "U4"), _asker("U9")) == Decision(
        False, None, REASSIGN_REFUSED, "Only the current ops lead <@U4> or <!subteam^S0ADMINS> can reassign the ops lead.")


# --- which user groups Slack is asked about --------------------------------------------------------

def test_slack_is_asked_only_about_groups_that_can_change_the_decision() -> None:
    policy = _policy(admins=("S0ADMINS", "U0BOSS"), approve=["S0LEADS", "role:commander"])
    assert groups_to_ask(policy, Use(Capability.APPROVE)) == ("S0LEADS", "S0ADMINS")
    assert groups_to_ask(policy, RunStep(Guard(roles=("commander",), groups=("S0OPS", "U0ANA")), "Kill")) == (
        "S0OPS", "S0ADMINS")
    assert groups_to_ask(policy, RunStep(None, "Check")) == ()
    assert groups_to_ask(policy, Approve(Guard(approval=True, approver_groups=("S0QA",)), "Kill", "U1")) == (
        "S0QA", "S0ADMINS")
    assert groups_to_ask(policy, Reassign(Role("scribe", "Scribe", "Notes."), "U3")) == ()
    assert groups_to_ask(policy, Reassign(replace(COMMANDER, id="ops"), "U3")) == ("S0ADMINS",)
