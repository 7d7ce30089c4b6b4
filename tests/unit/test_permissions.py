"""The permission model: who may do what, loading it from warroom.yaml, and denials that say who may."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import load_policy, parse_policy
from bot.domain.access import Approve, RunStep
from bot.domain.errors import ConfigError, PermissionDenied
from bot.domain.permissions import Capability, Permissions, Rule
from bot.domain.runbook import Guard, Runbook
from bot.services.declaration import DeclareRequest
from tests.unit.services import World, make_world


def _model(admins: tuple[str, ...] = (), **rules: list[str]) -> Permissions:
    parsed = {Capability(name): Rule.parse(entries) for name, entries in rules.items()}
    return Permissions(rules=parsed, admins=admins)


# --- the model (the decision itself: tests/unit/test_access.py) ----------------------------------

def test_groups_for_lists_the_rule_groups_then_the_admin_groups_once() -> None:
    model = _model(admins=("S0ADMINS", "U0BOSS", "S0LEADS"), approve=["S0LEADS", "role:commander"])
    assert model.groups_for(Capability.APPROVE) == ("S0LEADS", "S0ADMINS")


def test_an_unreadable_rule_entry_is_named() -> None:
    with pytest.raises(ValueError, match="'oncall' is not `anyone`, `role:<role id>`"):
        Rule.parse(["oncall"])


# --- loading it from warroom.yaml ----------------------------------------------------------------

def test_permissions_load_from_yaml_and_role_admins_still_count_as_admins() -> None:
    policy = parse_policy("permissions:\n  admins: [S0ADMINS]\n  resolve: [role:commander, S0LEADS]\n"
                          "role_admins: [U0BOSS]\n")
    assert policy.access.admins == ("S0ADMINS", "U0BOSS")
    assert policy.access.rule(Capability.RESOLVE) == Rule(roles=("commander",), groups=("S0LEADS",))
    assert policy.access.rule(Capability.DECLARE) == Rule(anyone=True)  # left out: the default


@pytest.mark.parametrize(("text", "named"), [
    ("permissions: {resolve: [oncall-leads]}", "permissions.resolve.0: 'oncall-leads' is not"),
    ("permissions: {resolve: [role:pilot]}", "permissions.resolve: 'role:pilot' names no role"),
    ("permissions: {declare: [role:commander]}", "permissions.declare cannot name incident roles"),
    ("permissions: {destroy: [anyone]}", "permissions.destroy: Extra inputs are not permitted"),
    ("permissions: {admins: [anyone]}", "permissions.admins.0: String should match pattern"),
])
def test_a_bad_permissions_entry_fails_naming_the_key(text: str, named: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy(text)
    assert named in str(info.value)


# --- the use cases check them, and record every denial -------------------------------------------

def _world_with(catalog: dict[str, Runbook] | None = None, **rules: list[str]) -> World:
    """A world whose admins are S0ADMINS and whose `rules` replace the defaults."""
    base = load_policy(None)
    merged = {**base.permissions.rules, **{Capability(k): Rule.parse(v) for k, v in rules.items()}}
    return make_world(catalog=catalog, permissions=replace(base.permissions, rules=merged, admins=("S0ADMINS",)))


async def test_resolving_is_refused_to_someone_the_rule_leaves_out_and_the_refusal_is_audited() -> None:
    world = _world_with(resolve=["role:commander"])
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="Only the incident commander or an admin may resolve"):
        await world.services.incidents.change_status("T1", incident.id, "U7", "resolved")  # type: ignore[arg-type]
    assert world.incident(incident.id).status == "investigating"
    denial = world.db.audit[-1]
    assert (denial.action, denial.actor, denial.incident_id) == ("permission.denied", "U7", incident.id)
    assert denial.after["capability"] == "resolve"
    changed = await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert changed.status == "resolved"


async def test_a_status_change_that_does_not_close_is_not_resolving() -> None:
    world = _world_with(resolve=["role:commander"])
    incident = await world.declare()
    changed = await world.services.incidents.change_status("T1", incident.id, "U7", "identified")  # type: ignore[arg-type]
    assert changed.status == "identified"


async def test_an_admin_group_member_may_resolve_when_the_rule_leaves_them_out() -> None:
    world = _world_with(resolve=["role:commander"])
    world.directory.groups["S0ADMINS"] = {"U8"}
    incident = await world.declare()
    changed = await world.services.incidents.change_status("T1", incident.id, "U8", "resolved")  # type: ignore[arg-type]
    assert changed.status == "resolved"


async def test_declaring_is_refused_outside_the_declare_rule_and_audited_for_the_workspace() -> None:
    world = _world_with(declare=["S0RESPONDERS"])
    with pytest.raises(PermissionDenied, match="Only <!subteam\\^S0RESPONDERS> or an admin may declare"):
        await world.services.incidents.declare(DeclareRequest(team_id="T1", user_id="U7", severity="sev2",
                                                              title="Slow"), force=True)
    assert world.db.incidents == {}
    [denial] = world.db.audit
    assert (denial.team_id, denial.incident_id, denial.action) == ("T1", None, "permission.denied")
    world.directory.groups["S0RESPONDERS"] = {"U7"}
    assert (await world.declare(user="U7")).number == 1


async def test_changing_severity_is_refused_outside_the_rule() -> None:
    world = _world_with(change_severity=["role:commander", "U0ANA"])
    incident = await world.declare()
    with pytest.raises(PermissionDenied, match="Only the incident commander, <@U0ANA> or an admin"):
        await world.services.incidents.change_severity("T1", incident.id, "U7", "sev3")  # type: ignore[arg-type]
    assert world.incident(incident.id).severity == "SEV1"
    changed = await world.services.incidents.change_severity("T1", incident.id, "U0ANA", "sev3")  # type: ignore[arg-type]
    assert changed.severity == "SEV3"


async def test_a_reassign_commander_group_may_take_the_commander_role_over() -> None:
    world = _world_with(reassign_commander=["role:commander", "S0LEADS"])
    world.directory.groups["S0LEADS"] = {"U5"}
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied) as info:
        await world.services.roles.assign("T1", incident.id, "U9", "commander", "U9")  # type: ignore[arg-type]
    assert str(info.value) == ("Only the current incident commander <@U1> or <!subteam^S0LEADS> or "
                               "<!subteam^S0ADMINS> can reassign the incident commander.")
    changed = await world.services.roles.assign("T1", incident.id, "U5", "commander", "U5")  # type: ignore[arg-type]
    assert changed.roles["commander"] == "U5"


async def test_exporting_is_refused_outside_the_rule_and_allowed_to_the_role() -> None:
    world = _world_with(export=["role:scribe"])
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "scribe", "U2")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="Only the scribe or an admin may export"):
        await world.services.export("T1", incident.channel_id or "", "U7")
    assert world.db.audit[-1].after["capability"] == "export"
    found, markdown = await world.services.export("T1", "", "U2", ref="INC-1")
    assert found.id == incident.id and "Imports failing" in markdown


GUARD = Guard(roles=("commander",))


async def test_an_admin_group_member_passes_a_steps_guard_and_approves_through_slacks_groups() -> None:
    world = _world_with()
    world.directory.groups["S0ADMINS"] = {"U8"}
    incident = (await world.declare()).with_changes(roles={"commander": "U1"})
    check = world.services.incidents.permissions
    for question in (RunStep(GUARD, "Kill"), Approve(replace(GUARD, approval=True), "Kill", "U1")):
        assert (await check.decide(question, "U8", incident)).allowed
        assert not (await check.decide(question, "U7", incident)).allowed
    assert (await check.decide(RunStep(GUARD, "Kill"), "U1", incident)).allowed


def test_permission_denied_is_raised_in_one_module_only() -> None:
    """Every refusal is made by PermissionCheck.refused, which audits it: no other module raises one."""
    root = Path(__file__).resolve().parents[2]
    raising = sorted(str(path.relative_to(root)) for folder in ("bot", "handlers", "store", "runbooks")
                     for path in (root / folder).rglob("*.py") if re.search(r"(?<!class )\bPermissionDenied\(", path.read_text()))
    assert raising == ["bot/services/permissions.py"]
