"""Events that feed the timeline: the timeline reaction, pins, and edits or deletions of captured messages."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.services.container import Services
from handlers.surface import Surface


def register(surface: Surface, services: Services) -> None:
    """Register reaction, pin and message events."""
    timeline = services.timeline
    emoji = services.policy.timeline_emoji

    @surface.event("reaction_added", "reactions:read")
    async def reaction_added(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        item = event.get("item") or {}
        if event.get("reaction") == emoji and item.get("type") == "message":
            await timeline.capture_ts(body["team_id"], item["channel"], item["ts"], actor=event["user"], via="reaction")

    @surface.event("reaction_removed", "reactions:read")
    async def reaction_removed(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        item = event.get("item") or {}
        if event.get("reaction") == emoji and item.get("type") == "message":
            await timeline.release(body["team_id"], item["channel"], item["ts"], via="reaction", actor=event["user"])

    @surface.event("pin_added", "pins:read")
    async def pin_added(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        item = event.get("item") or {}
        ts = (item.get("message") or {}).get("ts")
        if item.get("type") == "message" and ts:
            await timeline.capture_ts(body["team_id"], event["channel_id"], ts, actor=event["user"], via="pin")

    @surface.event("pin_removed", "pins:read")
    async def pin_removed(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        item = event.get("item") or {}
        ts = (item.get("message") or {}).get("ts")
        if item.get("type") == "message" and ts:
            await timeline.release(body["team_id"], event["channel_id"], ts, via="pin", actor=event["user"])

    @surface.event("message", "channels:history", subscriptions=("message.channels",))
    async def message(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        subtype = event.get("subtype")
        if subtype == "message_changed":
            changed = event.get("message") or {}
            await timeline.edited(body["team_id"], event["channel"], changed.get("ts", ""), changed.get("text", ""),
                                  actor=changed.get("user", "slack"))
        elif subtype == "message_deleted":
            previous = event.get("previous_message") or {}
            await timeline.deleted(body["team_id"], event["channel"], event.get("deleted_ts", ""),
                                   actor=previous.get("user", "slack"))
