"""Roles: assignment with history, the commander guard, handover."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidInput, PermissionDenied
from tests.unit.services import make_world


async def test_assigning_a_role_records_history_timeline_and_dms_the_holder() -> None:
    world = make_world()
    incident = await world.declare()
    changed = await world.services.roles.assign("T1", incident.id, "U1", "comms", "U2")  # type: ignore[arg-type]
    assert changed.roles == {"comms": "U2"}
    [assignment] = world.db.roles
    assert (assignment.role, assignment.user_id, assignment.assigned_by) == ("comms", "U2", "U1")
    assert world.db.timeline[-1].text == "<@U2> is now communications lead"
    assert world.db.audit[-1].action == "role.assigned" and world.db.audit[-1].after == {"role": "comms", "user": "U2"}
    assert world.chat.calls("notify_role_holder") == [("comms", "U2")]
    assert world.chat.calls("update_card")[-1].roles == {"comms": "U2"}  # type: ignore[attr-defined]


async def test_reassigning_ends_the_previous_assignment() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "scribe", "U2")  # type: ignore[arg-type]
    world.clock.advance(minutes=10)
    await world.services.roles.assign("T1", incident.id, "U2", "scribe", "U3")  # type: ignore[arg-type]
    first, second = world.db.roles
    assert first.relinquished_at == world.clock.now() and second.relinquished_at is None
    assert world.db.timeline[-1].text == "<@U3> is now scribe (was <@U2>)"


async def test_the_first_commander_marks_the_incident_acknowledged() -> None:
    world = make_world()
    incident = await world.declare()
    world.clock.advance(minutes=4)
    changed = await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    assert changed.milestones["acknowledged"] == world.clock.now()


async def test_a_non_commander_cannot_reassign_the_commander_and_the_refusal_is_recorded() -> None:
    world = make_world(role_admins=("S0ADMINS",))
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied) as info:
        await world.services.roles.assign("T1", incident.id, "U9", "commander", "U9")  # type: ignore[arg-type]
    assert str(info.value) == ("Only the current incident commander <@U1> or <!subteam^S0ADMINS> "
                               "can reassign the incident commander.")
    assert world.incident(incident.id).roles == {"commander": "U1"}
    refusal = world.db.audit[-1]
    assert refusal.action == "role.reassign_refused" and refusal.actor == "U9"


async def test_an_admin_group_member_may_reassign_the_commander() -> None:
    world = make_world(role_admins=("S0ADMINS",))
    world.directory.groups["S0ADMINS"] = {"U8"}
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    changed = await world.services.roles.assign("T1", incident.id, "U8", "commander", "U5")  # type: ignore[arg-type]
    assert changed.roles["commander"] == "U5"


async def test_unrestricted_roles_can_be_reassigned_by_anyone() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "scribe", "U2")  # type: ignore[arg-type]
    changed = await world.services.roles.assign("T1", incident.id, "U7", "scribe", "U7")  # type: ignore[arg-type]
    assert changed.roles["scribe"] == "U7"


async def test_an_unknown_role_lists_the_roles() -> None:
    world = make_world()
    incident = await world.declare()
    with pytest.raises(InvalidInput, match="`pilot` is not a role. Use one of: `commander`, `comms`, `scribe`"):
        await world.services.roles.assign("T1", incident.id, "U1", "pilot", "U2")  # type: ignore[arg-type]


async def test_handover_moves_the_commander_and_posts_a_summary_with_open_followups() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U1")  # type: ignore[arg-type]
    await world.services.reviews.add_followup("T1", incident.channel_id, "U1", "Add queue alert", "U4")  # type: ignore[arg-type]
    await world.services.roles.handover("T1", incident.id, "U1", "U2")  # type: ignore[arg-type]
    [summary] = world.chat.calls("post_handover")
    assert summary.from_user == "U1" and summary.to_user == "U2"  # type: ignore[attr-defined]
    assert [f.text for f in summary.open_followups] == ["Add queue alert"]  # type: ignore[attr-defined]
    assert world.db.roles[-1].handover is True
    assert world.db.timeline[-1].text == "<@U2> took over as incident commander (was <@U1>)"
