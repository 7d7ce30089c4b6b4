"""Messages the bot posts in the fake workspace, and the marks it puts on them.

Mixed into SlackState: chat.postMessage, chat.update, chat.postEphemeral, chat.getPermalink,
reactions.add and pins.add. A posted message carries the keys of Slack's message object; chat.update
replaces it in place and marks it edited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .wire import Reply, err


class MessagesMixin:
    """chat.postMessage / update / postEphemeral / getPermalink, reactions.add, pins.add."""

    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str
    pins: set[tuple[str, str]]

    if TYPE_CHECKING:  # provided by SlackState
        def next_ts(self) -> str: ...

        def resolve(self, ref: Any) -> dict[str, Any] | None: ...

        def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None: ...

    def _message(self, p: dict, ts: str) -> dict[str, Any]:
        message = {"type": "message", "ts": ts, "user": self.bot_user_id, "bot_id": self.bot_id,
                   "app_id": self.app_id, "team": self.team_id, "text": p.get("text") or ""}
        for key in ("blocks", "thread_ts", "metadata", "attachments"):
            if p.get(key) is not None:
                message[key] = p[key]
        return message

    def m_chat_postMessage(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return err("channel_not_found")
        message = self._message(p, self.next_ts())
        channel["messages"].append(message)
        return {"ok": True, "channel": channel["id"], "ts": message["ts"], "message": message}

    def m_chat_update(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return err("channel_not_found")
        old = self.find_message(channel["id"], str(p.get("ts")))
        if old is None:
            return err("message_not_found")
        new = {**self._message(p, old["ts"]), "edited": {"user": self.bot_user_id,
                                                          "ts": self.next_ts()}}
        old.clear()
        old.update(new)
        return {"ok": True, "channel": channel["id"], "ts": new["ts"], "text": new["text"],
                "message": new}

    def m_chat_postEphemeral(self, p: dict) -> Reply:
        if self.resolve(p.get("channel")) is None:
            return err("channel_not_found")
        return {"ok": True, "message_ts": self.next_ts()}

    def m_chat_getPermalink(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return err("channel_not_found")
        ts = str(p.get("message_ts"))
        return {"ok": True, "channel": channel["id"],
                "permalink": f"https://fake.slack/archives/{channel['id']}/p{ts.replace('.', '')}"}

    def m_reactions_add(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return err("channel_not_found")
        message = self.find_message(channel["id"], str(p.get("timestamp")))
        if message is not None:
            reactions = message.setdefault("reactions", [])
            if any(r["name"] == p.get("name") for r in reactions):
                return err("already_reacted")
            reactions.append({"name": p.get("name"), "users": [self.bot_user_id], "count": 1})
        return {"ok": True}

    def m_pins_add(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return err("channel_not_found")
        key = (channel["id"], str(p.get("timestamp")))
        if key in self.pins:
            return err("already_pinned")
        self.pins.add(key)
        return {"ok": True}
