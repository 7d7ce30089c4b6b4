"""The timeline: notes, captures that keep the source's time and author, dedupe, edits, withdrawals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.chat import ChatMessage
from bot.domain.errors import InvalidCommand, NotInIncidentChannel
from bot.domain.incident import TimelineKind
from bot.services.timeline import split_kind
from tests.unit.services import World, make_world

TS = "1763820000.000100"  # 2025-11-22 14:00:00 UTC


async def _world() -> tuple[World, str]:
    world = make_world()
    incident = await world.declare()
    assert incident.channel_id
    world.chat.messages[(incident.channel_id, TS)] = ChatMessage(incident.channel_id, TS, "U5", "Queue depth 40k")
    return world, incident.channel_id


@pytest.mark.parametrize(("text", "kind", "body"), [
    ("decision: roll back 4.2", TimelineKind.DECISION, "roll back 4.2"),
    ("Action: restart workers", TimelineKind.ACTION, "restart workers"),
    ("imports at 50%", TimelineKind.NOTE, "imports at 50%"),
    ("ratio: 3:1 observed", TimelineKind.NOTE, "ratio: 3:1 observed"),
])
def test_a_note_prefix_sets_the_kind(text: str, kind: TimelineKind, body: str) -> None:
    assert split_kind(text) == (kind, body)


async def test_a_note_is_added_with_its_author() -> None:
    world, channel = await _world()
    entry = await world.services.timeline.note("T1", channel, "U3", "decision: roll back")
    assert (entry.kind, entry.text, entry.author, entry.source) == (TimelineKind.DECISION, "roll back", "U3", "command")


async def test_an_empty_note_explains_what_to_type() -> None:
    world, channel = await _world()
    with pytest.raises(InvalidCommand, match="Write the note after the command"):
        await world.services.timeline.note("T1", channel, "U3", "  ")


async def test_a_note_outside_an_incident_channel_is_refused() -> None:
    world, _ = await _world()
    with pytest.raises(NotInIncidentChannel):
        await world.services.timeline.note("T1", "CGENERAL", "U3", "hello")


async def test_a_captured_message_keeps_its_time_author_and_permalink() -> None:
    world, channel = await _world()
    entry = await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="reaction")
    assert entry is not None
    assert entry.occurred_at == datetime.fromtimestamp(float(TS), UTC)
    assert (entry.author, entry.text, entry.captured_by) == ("U5", "Queue depth 40k", ("reaction",))
    assert entry.permalink and entry.permalink.endswith("p1763820000000100")


async def test_the_same_message_captured_twice_or_two_ways_is_one_entry() -> None:
    world, channel = await _world()
    assert await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="reaction")
    assert await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="reaction") is None
    assert await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="pin") is None
    captured = [e for e in world.db.timeline if e.source_ts == TS]
    assert len(captured) == 1 and captured[0].captured_by == ("reaction", "pin")


async def test_removing_one_of_two_captures_keeps_the_entry_and_removing_both_withdraws_it() -> None:
    world, channel = await _world()
    await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="reaction")
    await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="pin")
    await world.services.timeline.release("T1", channel, TS, via="pin", actor="U9")
    [entry] = [e for e in world.db.timeline if e.source_ts == TS]
    assert entry.visible
    await world.services.timeline.release("T1", channel, TS, via="reaction", actor="U9")
    [entry] = [e for e in world.db.timeline if e.source_ts == TS]
    assert not entry.visible and entry.withdrawn_at == world.clock.now()
    assert world.db.audit[-1].action == "timeline.withdrawn"


async def test_editing_the_source_updates_the_entry_and_deleting_withdraws_it() -> None:
    world, channel = await _world()
    await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="pin")
    await world.services.timeline.edited("T1", channel, TS, "Queue depth 45k", actor="U5")
    [entry] = [e for e in world.db.timeline if e.source_ts == TS]
    assert entry.text == "Queue depth 45k" and entry.edited_at is not None
    await world.services.timeline.deleted("T1", channel, TS, actor="U5")
    [entry] = [e for e in world.db.timeline if e.source_ts == TS]
    assert not entry.visible and entry.text == "Queue depth 45k"


async def test_reactions_in_other_channels_are_ignored_without_a_slack_call() -> None:
    world, _ = await _world()
    assert await world.services.timeline.capture_ts("T1", "CGENERAL", TS, actor="U9", via="reaction") is None
    assert world.chat.calls("fetch_message") == []


async def test_pages_go_newest_first_and_hide_withdrawn_entries() -> None:
    world, channel = await _world()
    for n in range(45):
        world.clock.advance(minutes=1)
        await world.services.timeline.note("T1", channel, "U3", f"note {n}")
    await world.services.timeline.capture_ts("T1", channel, TS, actor="U9", via="pin")
    await world.services.timeline.deleted("T1", channel, TS, actor="U5")
    _, first, page, pages = await world.services.timeline.page("T1", channel, 1, 20)
    assert (page, pages) == (1, 3) and [e.text for e in first][:2] == ["note 44", "note 43"] and len(first) == 20
    _, last, page, _ = await world.services.timeline.page("T1", channel, 9, 20)
    assert page == 3 and [e.text for e in last][-2:] == ["note 0", "Declared SEV1: Imports failing"]


async def test_a_captured_message_is_placed_by_its_own_time_not_when_it_was_captured() -> None:
    world, channel = await _world()
    declared = world.clock.now()
    earlier = f"{declared.timestamp() + 90:.6f}"  # posted 90 s after the declare, pinned only later
    world.chat.messages[(channel, earlier)] = ChatMessage(channel, earlier, "U5", "Queue depth 40k")
    for n in range(3):
        world.clock.advance(minutes=1)
        await world.services.timeline.note("T1", channel, "U3", f"note {n}")
    await world.services.timeline.capture_ts("T1", channel, earlier, actor="U9", via="pin")
    _, entries, _, _ = await world.services.timeline.page("T1", channel, 1, 20)
    assert [e.text for e in entries] == ["note 2", "note 1", "Queue depth 40k", "note 0", "Declared SEV1: Imports failing"]
    assert [e.occurred_at for e in entries] == sorted((e.occurred_at for e in entries), reverse=True)
