"""Issue 3's scenario end to end: roles three ways, five timeline captures, handover, resolve, review."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from handlers.ids import Action, Block
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People, ts_at
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


@pytest.fixture
async def clocked(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[Bot, FakeClock]]:
    clock = FakeClock(T0)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'life.db'}", tmp_path, clock=clock) as bot:
        yield bot, clock


async def _declare(bot: Bot) -> str:
    await bot.command("declare sev1 Imports failing", user_id="U1")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.settled()  # the card goes out from the outbox
    return str(bot.fake.calls_to("conversations.create")[0].response["channel"]["id"])


def _card_ts(bot: Bot, channel: str) -> str:
    return str(next(c for c in bot.fake.calls_to("chat.postMessage") if c.params["channel"] == channel).response["ts"])


async def test_declare_roles_timeline_handover_resolve_and_review(clocked: tuple[Bot, FakeClock], tmp_path: Path) -> None:
    bot, clock = clocked
    fake, people = bot.fake, People(bot)
    channel = await _declare(bot)
    card = _card_ts(bot, channel)

    # Roles, three ways: a command, the card's user select, the card's "take" button.
    clock.advance(minutes=1)
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
    await fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == "U1")
    clock.advance(minutes=1)
    await people.click("U1", channel, card, {"type": "users_select", "action_id": f"{Action.ROLE_SELECT}comms",
                                             "block_id": Block.CARD_ROLES, "selected_user": "U2"})
    await fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == "U2")
    clock.advance(minutes=1)
    await people.click("U3", channel, card, {"type": "button", "action_id": f"{Action.TAKE_ROLE}scribe",
                                             "block_id": Block.CARD_ROLES, "value": "scribe"})
    [dm] = await fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == "U3")
    assert "Keeps the timeline" in json.dumps(dm.params["blocks"])

    # Five captures: command, shortcut, reaction (delivered twice), pin (then edited), reaction (then deleted).
    clock.advance(minutes=1)
    await bot.command("note decision: disable imports with FEATURE_IMPORTS=false", user_id="U3", channel_id=channel)
    await fake.wait_for_response(lambda r: "Added to the timeline as a decision" in r["body"].get("text", ""))
    m1 = fake.state.post_as_user(channel, "U4", "Import queue depth 40k", ts=ts_at(T0 + timedelta(minutes=5)))
    m2 = fake.state.post_as_user(channel, "U5", "Workers OOM at 2GB", ts=ts_at(T0 + timedelta(minutes=7)))
    m3 = fake.state.post_as_user(channel, "U2", "Status page updated", ts=ts_at(T0 + timedelta(minutes=8)))
    m4 = fake.state.post_as_user(channel, "U4", "EU also down?", ts=ts_at(T0 + timedelta(minutes=9)))
    clock.advance(minutes=6)
    await people.shortcut("U3", channel, m1)
    await fake.wait_for_response(lambda r: r["body"].get("text") == "Added to the timeline.")
    await people.event(people.reaction("reaction_added", "U3", channel, m2["ts"]), event_id="Ev2")
    await people.event(people.reaction("reaction_added", "U3", channel, m2["ts"]), event_id="Ev2", retry_num=1)
    await people.event(people.pin("pin_added", "U2", channel, m3), event_id="Ev3")
    await people.event(people.reaction("reaction_added", "U3", channel, m4["ts"]), event_id="Ev4")
    await bot.settled()
    change = fake.state.edit_as_user(channel, m3["ts"], "Status page updated: investigating imports")
    await people.event(people.edited(channel, change), event_id="Ev5")
    await people.event(people.deleted(channel, fake.state.delete_as_user(channel, m4["ts"])), event_id="Ev6")
    await bot.settled()

    # Status twice (select and command), then the handover.
    clock.advance(minutes=4)
    await people.click("U1", channel, card, {"type": "static_select", "action_id": Action.CARD_STATUS,
                                             "block_id": Block.CARD_ACTIONS, "selected_option": {"value": "identified"}})
    await bot.settled()
    clock.advance(minutes=5)
    await bot.command("status monitoring", user_id="U1", channel_id=channel)
    await bot.settled()
    clock.advance(minutes=5)
    await bot.command("handover <@U6|dev>", user_id="U1", channel_id=channel)
    [handover] = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text", "")).startswith("Handover"))
    assert "<@U6> takes over as incident commander from <@U1>" in json.dumps(handover.params["blocks"])
    await bot.settled()

    # Resolve through the modal; the review is posted in the channel.
    clock.advance(minutes=10)
    await bot.command("resolve", user_id="U6", channel_id=channel)
    [opened] = await fake.wait_for("views.open")
    await people.submit_resolution("U6", opened.params["view"], "Rolled back release 4.2",
                                   "CSV imports failed for 30 minutes", "Worker memory limit too low")
    [posted] = await fake.wait_for("chat.postMessage", lambda c: "post-incident review" in str(c.params.get("text")))
    await bot.settled()
    shown = json.dumps(posted.params["blocks"])
    assert posted.params["channel"] == channel and posted.params["blocks"][0]["type"] == "header"
    assert "Rolled back release 4.2" in shown and "Worker memory limit too low" in shown
    await fake.wait_for("files.getUploadURLExternal")
    [shared] = [f for f in fake.state.files.values() if f["shared"]]
    markdown = shared["content"].decode("utf-8")

    team = fake.state.team_id
    incident = await bot.warroom.services.reviews.find(team, "INC-1")
    review = json.loads(await bot.warroom.services.reviews.render(team, incident.id, "json"))  # type: ignore[arg-type]
    minute = lambda n: (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    got = [(e["occurred_at"].replace("+00:00", "Z"), e["author"], e["kind"], e["text"]) for e in review["timeline"]]
    assert got == [
        (minute(0), "U1", "change", "Declared SEV1: Imports failing"),
        (minute(1), "U1", "change", "<@U1> is now incident commander"),
        (minute(2), "U1", "change", "<@U2> is now communications lead"),
        (minute(3), "U3", "change", "<@U3> is now scribe"),
        (minute(4), "U3", "decision", "disable imports with FEATURE_IMPORTS=false"),
        (minute(5), "U4", "note", "Import queue depth 40k"),
        (minute(7), "U5", "note", "Workers OOM at 2GB"),
        (minute(8), "U2", "note", "Status page updated: investigating imports"),
        (minute(14), "U1", "change", "Status investigating → identified"),
        (minute(19), "U1", "change", "Status identified → monitoring"),
        (minute(24), "U1", "change", "<@U6> took over as incident commander (was <@U1>)"),
        (minute(34), "U6", "change", "Status monitoring → resolved"),
    ]
    assert all(e["permalink"] for e in review["timeline"][5:8])
    assert review["durations"] == {"time_to_detect": None, "time_to_acknowledge": 60.0,
                                   "time_to_mitigate": 19 * 60.0, "time_to_resolve": 34 * 60.0}
    commanders = [(r["user_id"], r["handover"]) for r in review["roles"] if r["role"] == "commander"]
    assert commanders == [("U1", False), ("U6", True)]
    assert review["incident"]["resolution"] == "Rolled back release 4.2"
    assert "**Handover** — Incident commander: u6" in markdown, "U6 by the name Slack gives"

    # The same review from the command line.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "export", "INC-1", "--format", "md", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=tmp_path,
        env={"PATH": "", "DATABASE_URL": bot.warroom.settings.database_url, "HOME": str(tmp_path)})
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("# INC-1: Imports failing") and "Workers OOM at 2GB" in out.decode()
    assert "EU also down?" not in out.decode()
    assert "| Declared by | u1 |" in out.decode() and "@U" not in out.decode(), "names from the cache, Slack not asked"


async def test_a_non_commander_reassigning_the_commander_is_refused_with_the_reason(clocked: tuple[Bot, FakeClock]) -> None:
    bot, _ = clocked
    channel = await _declare(bot)
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
    await bot.settled()
    await bot.command("role commander <@U9|eve>", user_id="U9", channel_id=channel)
    refusal = await bot.fake.wait_for_response(lambda r: "Only" in r["body"].get("text", ""))
    assert refusal["body"]["response_type"] == "ephemeral"
    assert refusal["body"]["text"] == "Only the current incident commander <@U1> can reassign the incident commander."
    incident = await bot.warroom.incidents.for_channel(bot.fake.state.team_id, channel)
    assert incident.roles["commander"] == "U1"
    audit = await bot.warroom.incidents.audit(bot.fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert audit[-1].action == "role.reassign_refused" and audit[-1].actor == "U9"
