"""Reads and human activity for the fake workspace: history, user groups, and people posting.

Mixed into SlackState. Tests use ``post_as_user``, ``edit_as_user`` and ``delete_as_user`` to
make a person's message exist (so reaction and shortcut flows can read it back), and build the
matching Events API payloads with ``bot.standin.payloads``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

Reply = dict[str, Any]


class PeopleMixin:
    """conversations.history / replies / list, usergroups.users.list, and messages by people."""

    channels: dict[str, dict[str, Any]]
    bot_user_id: str
    usergroups: dict[str, list[str]]

    if TYPE_CHECKING:  # provided by SlackState
        def next_ts(self) -> str: ...

        def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None: ...

        def resolve(self, ref: Any) -> dict[str, Any] | None: ...

        def channel_json(self, c: dict[str, Any]) -> Reply: ...

    def post_as_user(self, channel_id: str, user_id: str, text: str, ts: str | None = None) -> dict[str, Any]:
        """A person posts a message (at `ts`, default the next one); returns it."""
        message = {"type": "message", "user": user_id, "text": text, "ts": ts or self.next_ts(), "team": "T0001"}
        self.channels[channel_id]["messages"].append(message)
        return message

    def edit_as_user(self, channel_id: str, ts: str, text: str) -> dict[str, Any]:
        """A person edits their message; returns (previous, edited) for the event payload."""
        message = self.find_message(channel_id, ts)
        assert message is not None, f"no message {ts} in {channel_id}"
        previous = dict(message)
        message.update(text=text, edited={"user": message["user"], "ts": self.next_ts()})
        return {"previous": previous, "message": dict(message)}

    def delete_as_user(self, channel_id: str, ts: str) -> dict[str, Any]:
        """A person deletes their message; returns the deleted message."""
        messages = self.channels[channel_id]["messages"]
        message = self.find_message(channel_id, ts)
        assert message is not None, f"no message {ts} in {channel_id}"
        messages.remove(message)
        return message

    def m_conversations_history(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        latest, oldest = p.get("latest"), p.get("oldest")
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        limit = int(p.get("limit") or 100)
        found = [m for m in reversed(channel["messages"])
                 if (latest is None or float(m["ts"]) < float(latest) or (inclusive and m["ts"] == latest))
                 and (oldest is None or float(m["ts"]) > float(oldest) or (inclusive and m["ts"] == oldest))]
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit,
                "pin_count": 0, "response_metadata": {"next_cursor": ""}}

    def m_conversations_list(self, p: dict) -> Reply:
        """Channels of the asked types, a page at a time (`limit`, at most 1000), like Slack's cursor paging."""
        types = set(str(p.get("types") or "public_channel").split(","))
        limit = min(int(p.get("limit") or 100), 1000)
        start = int(str(p.get("cursor") or "0").removeprefix("next:") or 0)
        kinds = {"im": lambda c: c["id"][0] == "D",
                 "private_channel": lambda c: c["id"][0] != "D" and c["is_private"] and self.bot_user_id in c["members"],
                 "public_channel": lambda c: c["id"][0] != "D" and not c["is_private"]}
        found = [c for c in self.channels.values() if any(kinds[t](c) for t in types if t in kinds)]
        page = found[start:start + limit]
        more = start + limit < len(found)
        return {"ok": True, "channels": [self.channel_json(c) for c in page],
                "response_metadata": {"next_cursor": f"next:{start + limit}" if more else ""}}

    def m_conversations_replies(self, p: dict) -> Reply:
        channel = self.resolve(p.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = self.find_message(channel["id"], str(p.get("ts")))
        if message is None:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": [message], "has_more": False}

    def m_usergroups_users_list(self, p: dict) -> Reply:
        group = str(p.get("usergroup"))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}
