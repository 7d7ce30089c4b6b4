"""Milestones, follow-ups, resolving with a summary, the review, export and stats (with fakes)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.domain.errors import IncidentNotFound, InvalidCommand, InvalidInput
from tests.unit.services import make_world


async def test_back_filling_detected_uses_the_workspace_time_zone_and_is_recorded() -> None:
    world = make_world(timezone="Europe/Berlin")  # the fake clock reads 14:00 UTC = 15:00 in Berlin
    incident = await world.declare()
    changed = await world.services.reviews.set_milestone("T1", incident.channel_id, "U1", "detected", "14:02")  # type: ignore[arg-type]
    assert changed.milestones["detected"] == world.clock.now() - timedelta(minutes=58)
    assert world.db.audit[-1].action == "incident.milestone_set" and world.db.audit[-1].at == world.clock.now()
    assert world.db.timeline[-1].text == "Milestone detected (back-filled)"
    assert world.db.timeline[-1].occurred_at == changed.milestones["detected"]


async def test_a_back_filled_milestone_lands_in_the_review_timeline_where_it_happened() -> None:
    world = make_world()
    incident = await world.declare()  # at 14:00 UTC
    world.clock.advance(minutes=10)
    await world.services.timeline.note("T1", incident.channel_id, "U1", "decision: disable imports")  # type: ignore[arg-type]
    world.clock.advance(minutes=10)
    await world.services.reviews.set_milestone("T1", incident.channel_id, "U1", "detected", "13:50")  # type: ignore[arg-type]
    data = json.loads(await world.services.reviews.render("T1", incident.id, "json"))  # type: ignore[arg-type]
    assert [(e["occurred_at"][11:16], e["text"]) for e in data["timeline"]] == [
        ("13:50", "Milestone detected (back-filled)"),
        ("14:00", "Declared SEV1: Imports failing"),
        ("14:10", "disable imports"),
    ]


async def test_a_milestone_out_of_order_is_refused() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.incidents.change_status("T1", incident.id, "U1", "monitoring")  # type: ignore[arg-type]
    world.clock.advance(minutes=5)
    with pytest.raises(InvalidInput, match="mitigated"):
        await world.services.reviews.set_milestone("T1", incident.channel_id, "U1", "detected", "now")  # type: ignore[arg-type]


async def test_status_changes_set_mitigated_and_resolved() -> None:
    world = make_world()
    incident = await world.declare()
    world.clock.advance(minutes=20)
    await world.services.incidents.change_status("T1", incident.id, "U1", "monitoring")  # type: ignore[arg-type]
    world.clock.advance(minutes=10)
    changed = await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert changed.milestones["mitigated"] == incident.declared_at + timedelta(minutes=20)
    assert changed.milestones["resolved"] == incident.declared_at + timedelta(minutes=30)


async def test_followups_are_added_posted_and_closed_once() -> None:
    world = make_world()
    incident = await world.declare()
    item = await world.services.reviews.add_followup("T1", incident.channel_id, "U1", "Add queue alert", "U4")  # type: ignore[arg-type]
    assert world.chat.calls("post_followup") == [item]
    _, done = await world.services.reviews.close_followup("T1", item.id, "U4")  # type: ignore[arg-type]
    assert done.done_by == "U4" and not done.open
    before = len(world.db.audit)
    await world.services.reviews.close_followup("T1", item.id, "U5")  # type: ignore[arg-type]
    assert len(world.db.audit) == before and world.db.followups[0].done_by == "U4"


async def test_a_followup_of_another_workspace_cannot_be_closed() -> None:
    world = make_world()
    incident = await world.declare()
    item = await world.services.reviews.add_followup("T1", incident.channel_id, "U1", "Add queue alert", None)  # type: ignore[arg-type]
    with pytest.raises(IncidentNotFound):
        await world.services.reviews.close_followup("T2", item.id, "U4")  # type: ignore[arg-type]


async def test_resolving_stores_the_summary_resolves_and_posts_the_review() -> None:
    world = make_world()
    incident = await world.declare()
    await world.services.timeline.note("T1", incident.channel_id, "U1", "decision: disable imports")  # type: ignore[arg-type]
    world.clock.advance(minutes=45)
    markdown = await world.services.reviews.resolve("T1", incident.id, "U1", {  # type: ignore[arg-type]
        "resolution": "Rolled back 4.2", "impact": "Imports failed for 45 min", "root_cause": ""})
    stored = world.incident(incident.id)
    assert stored.status == "resolved" and stored.resolution == "Rolled back 4.2"
    assert world.chat.calls("post_review") == [markdown]
    assert "# INC-1: Imports failing" in markdown and "Rolled back 4.2" in markdown
    assert "disable imports" in markdown and "Imports failed for 45 min" in markdown
    [review] = world.chat.reviews
    assert review["incident"]["resolution"] == "Rolled back 4.2" and review["timeline"][1]["text"] == "disable imports"


async def test_the_review_names_people_looked_up_once_and_keeps_their_ids_in_json() -> None:
    world = make_world()
    world.profiles.names.update({"U1": "Ana Lopez", "U2": "Bo Chen"})
    incident = await world.declare()
    await world.services.roles.assign("T1", incident.id, "U1", "commander", "U2")  # type: ignore[arg-type]
    markdown = await world.services.reviews.resolve("T1", incident.id, "U2", {"resolution": "Rolled back"})  # type: ignore[arg-type]
    assert "| Declared by | Ana Lopez |" in markdown and "Bo Chen is now incident commander" in markdown
    assert "@U" not in markdown and "<@" not in markdown
    data = json.loads(await world.services.reviews.render("T1", incident.id, "json"))  # type: ignore[arg-type]
    assert data["incident"]["declared_by"] == "U1" and data["people"] == {"U1": "Ana Lopez", "U2": "Bo Chen"}
    assert sorted(world.profiles.asked) == ["U1", "U2"], "each person was looked up once, then read from the cache"


async def test_resolving_without_a_summary_is_refused_and_changes_nothing() -> None:
    world = make_world()
    incident = await world.declare()
    with pytest.raises(InvalidInput):
        await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": " "})  # type: ignore[arg-type]
    assert world.incident(incident.id).status == "investigating"


async def test_export_finds_the_incident_by_reference_in_both_formats() -> None:
    world = make_world()
    incident = await world.declare()
    found = await world.services.reviews.find("T1", "inc-1")
    assert found.id == incident.id
    data = json.loads(await world.services.reviews.render("T1", found.id, "json"))  # type: ignore[arg-type]
    assert data["incident"]["ref"] == "INC-1" and data["timeline"][0]["text"] == "Declared SEV1: Imports failing"
    with pytest.raises(InvalidCommand, match="`pdf` is not an export format"):
        await world.services.reviews.render("T1", found.id, "pdf")  # type: ignore[arg-type]
    with pytest.raises(IncidentNotFound):
        await world.services.reviews.find("T2", "INC-1")


