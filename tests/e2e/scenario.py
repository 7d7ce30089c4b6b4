"""Helpers for the incident-lifecycle scenario: people acting in Slack, as Slack would deliver it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.ids import Block, Callback, Field
from tests.e2e.harness import SIGNING_SECRET, Bot


def ts_at(when: datetime) -> str:
    """The Slack ts of a message posted at `when`."""
    return f"{when.timestamp():.6f}"


class People:
    """Drives a running bot the way people in Slack would."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.fake = bot.fake

    async def event(self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None) -> None:
        status, _, _ = await self.fake.send_event(self.bot.events_url, SIGNING_SECRET, event,
                                                  event_id=event_id, retry_num=retry_num)
        assert status == 200

    async def shortcut(self, user: str, channel: str, message: dict[str, Any]) -> None:
        payload = {
            "type": "message_action", "callback_id": Callback.ADD_TO_TIMELINE, "trigger_id": self.fake.new_trigger_id(),
            "message_ts": message["ts"], "response_url": self.fake.response_url("shortcut"),
            "message": message, "team": {"id": self.fake.state.team_id, "domain": "warroom-test"},
            "channel": {"id": channel, "name": self.fake.channels[channel]["name"]},
            "user": {"id": user, "name": user.lower(), "team_id": self.fake.state.team_id},
            "action_ts": message["ts"], "token": "verification", "is_enterprise_install": False, "enterprise": None,
        }
        status, _, _ = await self.bot.interaction(payload)
        assert status == 200

    async def click(self, user: str, channel: str, message_ts: str, action: dict[str, Any]) -> None:
        status, _, _ = await self.bot.interaction(self.fake.block_action_payload(user, channel, message_ts, action))
        assert status == 200

    def reaction(self, kind: str, user: str, channel: str, ts: str, emoji: str = "pushpin") -> dict[str, Any]:
        return {"type": kind, "user": user, "reaction": emoji, "item_user": user,
                "item": {"type": "message", "channel": channel, "ts": ts}}

    def pin(self, kind: str, user: str, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, "user": user, "channel_id": channel,
                "item": {"type": "message", "channel": channel, "message": message, "created_by": user}}

    def edited(self, channel: str, change: dict[str, Any]) -> dict[str, Any]:
        return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
                "message": change["message"], "previous_message": change["previous"], "ts": change["message"]["ts"]}

    def deleted(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel,
                "deleted_ts": message["ts"], "previous_message": message, "ts": message["ts"]}

    async def declare_in_form(self, user: str, title: str, severity: str) -> str:
        """Declare through the declare form, whose text reaches Warroom as typed; returns the new channel."""
        status, _, _ = await self.bot.command("", user_id=user)
        assert status == 200
        [*_, opened] = await self.fake.wait_for("views.open")
        values = {
            Block.TITLE: {Field.VALUE: {"type": "plain_text_input", "value": title}},
            Block.SEVERITY: {Field.VALUE: {"type": "static_select", "selected_option": {
                "value": severity, "text": {"type": "plain_text", "text": severity}}}},
            Block.SERVICE: {Field.VALUE: {"type": "plain_text_input", "value": None}},
            Block.SUMMARY: {Field.VALUE: {"type": "plain_text_input", "value": None}},
        }
        status, body, _ = await self.bot.interaction(self.fake.view_submission_payload(user, opened.params["view"], values))
        assert status == 200 and not body
        [*_, create] = await self.fake.wait_for("conversations.create")
        return str(create.response["channel"]["id"])

    async def submit_resolution(self, user: str, view: dict[str, Any], resolution: str, impact: str, cause: str) -> None:
        def text(value: str) -> dict[str, Any]:
            return {Field.VALUE: {"type": "plain_text_input", "value": value}}

        values = {Block.RESOLUTION: text(resolution), Block.IMPACT: text(impact), Block.ROOT_CAUSE: text(cause)}
        status, body, _ = await self.bot.interaction(self.fake.view_submission_payload(user, view, values))
        assert status == 200 and not body
