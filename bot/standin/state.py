"""Workspace state behind the fake Web API: channels and users here; messages (messages.py), views
(views.py), history and people posting (people.py) and file uploads (files.py) are mixed in.

Replies carry the keys of the real ones (shared/slack/payload-shapes/api_*.json) so code that
reads e.g. ``resp["channel"]["id"]`` or ``resp["view"]["id"]`` behaves as against Slack.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from typing import Any

from .contract import CHANNEL_NAME, SharedContractMissing, load_spec
from .files import FilesMixin
from .messages import MessagesMixin
from .people import PeopleMixin
from .views import ViewsMixin
from .wire import Reply, err, split_list, truthy


class SlackState(PeopleMixin, FilesMixin, MessagesMixin, ViewsMixin):
    """In-memory workspace; ``handle(method, params)`` answers like Slack's Web API."""

    def __init__(self, *, team_id: str, bot_user_id: str, bot_id: str,
                 channels: dict[str, str], app_id: str = "A0001") -> None:
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = (
            team_id, bot_user_id, bot_id, app_id)
        self._initial_channels = dict(channels)
        self.reset()
        self._handlers: dict[str, Callable[[dict], Reply]] = {
            name: getattr(self, "m_" + name.replace(".", "_"))
            for name in ("auth.test", "conversations.create", "conversations.invite",
                         "conversations.setTopic", "conversations.info", "conversations.join",
                         "conversations.archive",
                         "chat.postMessage", "chat.update", "chat.postEphemeral",
                         "chat.getPermalink", "views.open", "views.update", "views.push",
                         "views.publish", "users.info", "reactions.add", "pins.add",
                         "conversations.history", "conversations.replies", "conversations.list",
                         "usergroups.users.list",
                         "files.getUploadURLExternal", "files.completeUploadExternal")
        }

    def reset(self) -> None:
        """Back to the initial workspace: pre-existing channels only, no messages or views."""
        self.channels: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.pins: set[tuple[str, str]] = set()
        self.usergroups: dict[str, list[str]] = {}
        self.reset_files()
        self._ids = itertools.count(1)
        self._last_ts = 0  # microseconds of the last ts handed out
        for name, channel_id in self._initial_channels.items():
            self.add_channel(name, channel_id)

    # -- helpers -----------------------------------------------------------------------------
    def next_ts(self) -> str:
        """A unique, increasing Slack-style message timestamp: the time now, as Slack stamps messages."""
        # Bumped past the last one so two messages in the same microsecond still sort in order.
        self._last_ts = max(time.time_ns() // 1000, self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def add_channel(self, name: str, channel_id: str | None = None,
                    is_private: bool = False) -> dict[str, Any]:
        """Create a channel the bot is a member of; returns the stored record."""
        channel_id = channel_id or f"C{next(self._ids):08d}"
        self.channels[channel_id] = {"id": channel_id, "name": name, "topic": "",
                                     "members": {self.bot_user_id}, "messages": [],
                                     "is_private": is_private, "created": int(time.time()),
                                     "archived": False}
        return self.channels[channel_id]

    def add_user(self, user_id: str, *, name: str | None = None, real_name: str | None = None,
                 tz: str = "UTC", **extra: Any) -> dict[str, Any]:
        """Register a user for users.info; unknown U… ids are synthesised on demand."""
        name = name or user_id.lower()
        real_name = real_name or name.title()
        self.users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": name, "deleted": False,
            "real_name": real_name, "tz": tz, "tz_label": tz, "tz_offset": 0,
            "is_bot": False, "is_admin": False, "is_app_user": False, "updated": 1700000000,
            "profile": {"real_name": real_name, "display_name": name,
                        "real_name_normalized": real_name, "display_name_normalized": name,
                        "team": self.team_id},
            **extra,
        }
        return self.users[user_id]

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """The channel record named ``name`` (leading "#" allowed), or None."""
        name = name.lstrip("#")
        return next((c for c in self.channels.values() if c["name"] == name), None)

    def resolve(self, ref: Any) -> dict[str, Any] | None:
        """A channel by id, "#name" or "name"; a user id opens (creates) the DM with them."""
        ref = str(ref or "")
        if ref in self.channels:
            return self.channels[ref]
        if re.fullmatch(r"[UW][A-Z0-9]+", ref):  # posting to a user id lands in the app DM
            dm_id = "D" + ref[1:]
            return self.channels.get(dm_id) or self.add_channel(ref.lower(), dm_id, True)
        return self.channel_by_name(ref)

    def find_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        channel = self.channels.get(channel_id)
        if channel is None:
            return None
        return next((m for m in channel["messages"] if m["ts"] == ts), None)

    def channel_json(self, c: dict[str, Any]) -> Reply:
        """The conversation object of conversations.* replies (api_conversations.*.json keys)."""
        return {
            "id": c["id"], "name": c["name"], "name_normalized": c["name"],
            "is_channel": not c["is_private"], "is_group": False, "is_im": c["id"][0] == "D",
            "is_mpim": False, "is_private": c["is_private"], "is_archived": c.get("archived", False),
            "is_general": c["name"] == "general", "is_shared": False, "is_ext_shared": False,
            "is_org_shared": False, "is_member": self.bot_user_id in c["members"],
            "created": c["created"], "creator": self.bot_user_id, "unlinked": 0,
            "topic": {"value": c["topic"], "creator": self.bot_user_id, "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
            "shared_team_ids": [self.team_id], "context_team_id": self.team_id,
            "num_members": len(c["members"]), "updated": int(time.time() * 1000),
        }

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, method: str, params: dict) -> Reply:
        """Answer one Web API call; methods without state in the spec just say ok."""
        handler = self._handlers.get(method)
        if handler is not None:
            return handler(params)
        try:
            known = method in load_spec() or method == "apps.connections.open"
        except SharedContractMissing:  # the sandbox without shared/slack: nothing to check against
            known = True
        return {"ok": True} if known else err("unknown_method")

    def m_auth_test(self, p: dict) -> Reply:
        return {"ok": True, "url": "https://fake.slack/", "team": "Warroom Test",
                "user": "warroom", "team_id": self.team_id, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "app_id": self.app_id, "is_enterprise_install": False}

    def m_conversations_create(self, p: dict) -> Reply:
        name = str(p.get("name") or "")
        if not CHANNEL_NAME.match(name):
            return err("invalid_name_specials")
        if self.channel_by_name(name) is not None:
            return err("name_taken")
        return {"ok": True, "channel": self.channel_json(
            self.add_channel(name, is_private=truthy(p.get("is_private"))))}

    def m_conversations_invite(self, p: dict) -> Reply:
        channel = self.channels.get(str(p.get("channel")))
        if channel is None:
            return err("channel_not_found")
        users = split_list(p.get("users"))
        already = [u for u in users if u in channel["members"]]
        errors = [{"ok": False, "error": "already_in_channel", "user": u} for u in already]
        if already and not truthy(p.get("force")):  # without force Slack invites nobody
            return err("already_in_channel", errors=errors)
        channel["members"].update(users)
        reply = {"ok": True, "channel": self.channel_json(channel)}
        return {**reply, "errors": errors} if errors else reply

    def m_conversations_setTopic(self, p: dict) -> Reply:
        channel = self.channels.get(str(p.get("channel")))
        if channel is None:
            return err("channel_not_found")
        if len(str(p.get("topic") or "")) > 250:
            return err("too_long")
        channel["topic"] = str(p.get("topic") or "")
        return {"ok": True, "channel": self.channel_json(channel)}

    def m_conversations_archive(self, p: dict) -> Reply:
        channel = self.channels.get(str(p.get("channel")))
        if channel is None:
            return err("channel_not_found")
        if channel["archived"]:
            return err("already_archived")
        channel["archived"] = True
        return {"ok": True}

    def m_conversations_info(self, p: dict) -> Reply:
        channel = self.channels.get(str(p.get("channel")))
        if channel is None:
            return err("channel_not_found")
        return {"ok": True, "channel": self.channel_json(channel)}

    def m_conversations_join(self, p: dict) -> Reply:
        channel = self.channels.get(str(p.get("channel")))
        if channel is None:
            return err("channel_not_found")
        channel["members"].add(self.bot_user_id)
        return {"ok": True, "channel": self.channel_json(channel)}

    def m_users_info(self, p: dict) -> Reply:
        user_id = str(p.get("user") or "")
        if user_id not in self.users:
            if not re.fullmatch(r"[UW][A-Z0-9]+", user_id):
                return err("user_not_found")
            self.add_user(user_id)
        return {"ok": True, "user": self.users[user_id]}
