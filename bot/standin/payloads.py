"""Builders for the requests Slack sends to the bot.

Key sets follow shared/slack/payload-shapes (slash command, block_actions, view_submission,
event_callback); values point back at the fake (response_url, trigger ids) so that whatever
the bot does next with them lands on the fake too.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .state import SlackState

_serial = itertools.count(1)  # process-wide, so ids stay unique across FakeSlack instances


class PayloadsMixin:
    """Mixed into FakeSlack; needs ``self.state``, ``self.app_id``, ``self.response_url``."""

    state: SlackState
    app_id: str
    verification_token = "fake-verification-token"  # legacy field every payload still carries

    def response_url(self, name: str = "x") -> str:  # overridden by FakeSlack
        raise NotImplementedError

    def new_trigger_id(self) -> str:
        """A fresh trigger_id in Slack's "<n>.<n>.<hex>" format."""
        n = next(_serial)
        return f"{1000000 + n}.{2000000 + n}.{n:032x}"

    def _team(self, team_id: str | None) -> str:
        return team_id or self.state.team_id

    def _channel_name(self, channel_id: str) -> str:
        channel = self.state.channels.get(channel_id)
        return channel["name"] if channel else channel_id.lower()

    def command_payload(self, *, command: str = "/incident", text: str = "",
                        user_id: str = "U1", channel_id: str = "CGENERAL",
                        team_id: str | None = None) -> dict[str, Any]:
        """A slash command's form fields (SlashCommandPayload keys), response_url on the fake."""
        return {
            "token": self.verification_token, "team_id": self._team(team_id),
            "team_domain": "warroom-test", "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id), "user_id": user_id,
            "user_name": user_id.lower(), "command": command, "text": text,
            "api_app_id": self.app_id, "is_enterprise_install": "false",
            "response_url": self.response_url(f"command-{next(_serial)}"),
            "trigger_id": self.new_trigger_id(),
        }

    def _user(self, user_id: str, team_id: str | None) -> dict[str, Any]:
        return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(),
                "team_id": self._team(team_id)}

    def block_action_payload(self, user_id: str, channel_id: str, message_ts: str,
                             action: dict, team_id: str | None = None) -> dict[str, Any]:
        """A ``block_actions`` payload for a click on a message the bot posted.

        ``message`` is the stored message when the fake knows it (as Slack sends the whole
        message), and ``action`` gets an ``action_ts`` and a ``type`` when missing.
        """
        message = self.state.find_message(channel_id, message_ts) or {
            "type": "message", "ts": message_ts, "text": ""}
        act = {"type": "button", "action_ts": f"{time.time():.6f}", **action}
        return {
            "type": "block_actions", "user": self._user(user_id, team_id),
            "api_app_id": self.app_id, "token": self.verification_token,
            "container": {"type": "message", "message_ts": message_ts,
                          "channel_id": channel_id, "is_ephemeral": False},
            "trigger_id": self.new_trigger_id(),
            "team": {"id": self._team(team_id), "domain": "warroom-test"},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "message": message, "state": {"values": {}},
            "response_url": self.response_url(f"action-{next(_serial)}"),
            "actions": [act],
        }

    def view_submission_payload(self, user_id: str, view: dict, values: dict,
                                team_id: str | None = None) -> dict[str, Any]:
        """A ``view_submission`` payload; ``values`` is {block_id: {action_id: {...}}}.

        ``view`` may be the dict the bot sent (or one returned by views.open): the id, hash
        and other server-side keys are filled in from the fake's record when it has one.
        """
        stored = self.state.views.get(str(view.get("id"))) if view.get("id") else None
        base = dict(stored) if stored else {
            "id": f"V{next(_serial):08d}", "team_id": self._team(team_id), "app_id": self.app_id,
            "bot_id": self.state.bot_id, "private_metadata": "", "callback_id": "",
            "external_id": "", "hash": f"h{next(_serial)}", "clear_on_close": False,
            "notify_on_close": False, "previous_view_id": None, "root_view_id": None}
        full = {**base, **view, "id": base["id"], "state": {"values": values}}
        return {
            "type": "view_submission", "team": {"id": self._team(team_id),
                                                "domain": "warroom-test"},
            "user": self._user(user_id, team_id), "api_app_id": self.app_id,
            "token": self.verification_token, "trigger_id": self.new_trigger_id(),
            "view": full, "enterprise": None, "is_enterprise_install": False,
        }

    def event_payload(self, event: dict, *, event_id: str | None = None,
                      team_id: str | None = None) -> dict[str, Any]:
        """The ``event_callback`` wrapper Slack puts around an Events API event."""
        now = int(time.time())
        event = {"event_ts": f"{time.time():.6f}", **event}
        return {
            "token": self.verification_token, "team_id": self._team(team_id),
            "api_app_id": self.app_id, "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{next(_serial):010d}", "event_time": now,
            "authorizations": [{"enterprise_id": None, "team_id": self._team(team_id),
                                "user_id": self.state.bot_user_id, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": f"4-fake-{next(_serial)}",
        }
