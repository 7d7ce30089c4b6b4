"""Everything the generated manifest subscribes to is handled by the running app, and nothing else is."""

from __future__ import annotations

from bot.manifest import build_manifest
from handlers.ids import Callback
from tests.e2e.harness import SIGNING_SECRET, Bot

# The manifest names channel messages `message.channels`; the Events API delivers them as `message`.
EVENT_TYPE = {"message.channels": "message"}


def _event(kind: str) -> dict[str, object]:
    base: dict[str, object] = {"type": kind, "user": "U1", "channel": "CGENERAL"}
    if kind.startswith("reaction_"):
        base.update(reaction="thumbsup", item={"type": "message", "channel": "CGENERAL", "ts": "1.0"})
    if kind.startswith("pin_"):
        base.update(channel_id="CGENERAL", item={"type": "message", "message": {"ts": "1.0"}})
    if kind == "message":
        base.update(text="hello", ts="1.0")
    return base


async def test_every_manifest_subscription_reaches_a_listener_and_others_do_not(bot: Bot) -> None:
    fake = bot.fake
    manifest = build_manifest(bot.warroom.surface, bot.warroom.settings)
    for command in manifest["features"]["slash_commands"]:
        status, _, _ = await fake.send_command(bot.events_url, SIGNING_SECRET,
                                               command=command["command"], text="help")
        assert status == 200, command["command"]
    for shortcut in manifest["features"]["shortcuts"]:
        payload = {"type": "message_action", "callback_id": shortcut["callback_id"], "trigger_id": fake.new_trigger_id(),
                   "response_url": fake.response_url("s"), "team": {"id": fake.state.team_id},
                   "channel": {"id": "CGENERAL"}, "user": {"id": "U1"},
                   "message": {"type": "message", "ts": "1.0", "user": "U2", "text": "x"}, "message_ts": "1.0"}
        status, _, _ = await bot.interaction(payload)
        assert status == 200, shortcut["callback_id"]
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        status, _, _ = await fake.send_event(bot.events_url, SIGNING_SECRET,
                                             _event(EVENT_TYPE.get(name, name)))
        assert status == 200, name
    await bot.settled()

    # Not in the manifest, so not handled: Bolt answers 404 for a request no listener takes.
    status, _, _ = await fake.send_event(bot.events_url, SIGNING_SECRET, _event("team_join"))
    assert status == 404
    status, _, _ = await fake.send_command(bot.events_url, SIGNING_SECRET, command="/deploy")
    assert status == 404
    assert Callback.ADD_TO_TIMELINE in [s["callback_id"] for s in manifest["features"]["shortcuts"]]
