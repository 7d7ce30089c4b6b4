"""People acting in the stand-in's workspace, delivered to the bot the way Slack delivers them.

Typing a slash command, clicking a button or choosing an option, submitting or closing a modal,
a message shortcut, a reaction, a pin, a plain message: each becomes the signed request Slack
would send (payloads.py, sender.py); clicks, modals and shortcuts are built in interactivity.py. What
the bot answers in the HTTP response (an ack's text, ``response_action``) is shown the way Slack shows
it; everything else arrives later through the Web API and response URLs and is picked up by
LiveWorkspace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from .server import FakeSlack
    from .state import SlackState

ACK_SECONDS = 3.0  # Slack shows operation_timeout when the bot acks later than this
MENTION = re.compile(r"(?<![<\w])([@#])([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


@dataclass
class Route:
    """Where a response_url's replies go: to whom, in which channel, replacing what."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral_id: str | None = None
    replaced: bool = False  # a replace_original reply came before the ack it replaces was shown


class ActingMixin:
    """Mixed into LiveWorkspace: one method per thing a person does (clicks, modals and shortcuts:
    InteractivityMixin), and the delivery of each to the bot."""

    fake: FakeSlack
    state: SlackState
    bot_url: str
    signing_secret: str
    commands: list[dict[str, Any]]
    bot_events: set[str]
    triggers: dict[str, str]
    routes: dict[str, Route]

    if TYPE_CHECKING:  # provided by LiveWorkspace
        def bump(self) -> None: ...

        def add_ephemeral(self, user: str, channel: str, text: str, blocks: Any,
                          thread_ts: Any) -> dict[str, Any]: ...

    # -- delivery ----------------------------------------------------------------------------
    def _track(self, payload: dict[str, Any], route: Route | None) -> None:
        if payload.get("trigger_id"):
            self.triggers[payload["trigger_id"]] = route.user if route else payload["user"]["id"]
        if route is not None and payload.get("response_url"):
            self.routes[str(payload["response_url"]).rsplit("/", 1)[-1]] = route

    async def _deliver(self, body: str) -> tuple[int, Any, float]:
        return await self.fake._send_signed(  # the stand-in signs as Slack
            self.bot_url, self.signing_secret, body, timestamp=None, signature=None)

    async def _interact(self, payload: dict[str, Any], user: str, channel: str | None) -> Any:
        status, body, elapsed = await self._deliver(urlencode({"payload": json.dumps(payload)}))
        self._complain(status, elapsed, user, channel, "this action")
        return body if status == 200 else None

    def _complain(self, status: int, elapsed: float, user: str, channel: str | None,
                  what: str) -> None:
        """Say what Slack says when the app fails to acknowledge in time, or at all."""
        error = "dispatch_failed" if status != 200 else \
            "operation_timeout" if elapsed > ACK_SECONDS else None
        if error is not None and channel is not None:
            self.add_ephemeral(user, channel, f":warning: {what} failed with the error "
                                              f"\"{error}\" (HTTP {status}, {elapsed:.1f} s)", None, None)

    def escape(self, text: str) -> str:
        """What Slack sends for typed text: `&`, `<`, `>` as entities, then @name and #channel as
        <@U…|name> and <#C…|name>."""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        def swap(match: re.Match[str]) -> str:
            sigil, name = match.group(1), match.group(2).lower()
            if sigil == "@":
                user = next((u for u in self.state.users.values()
                             if name in (u["name"], u["id"].lower())), None)
                return f"<@{user['id']}|{user['name']}>" if user else match.group(0)
            channel = self.state.channel_by_name(name)
            return f"<#{channel['id']}|{name}>" if channel else match.group(0)
        return MENTION.sub(swap, text)

    # -- the composer ------------------------------------------------------------------------
    async def type_in(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> None:
        """What a person sends from the message box: a slash command or a message."""
        if text.startswith("/"):
            await self.command(user, channel, text)
        else:
            await self.post(user, channel, text, thread_ts)

    async def command(self, user: str, channel: str, text: str) -> None:
        """A slash command (``/incident declare sev1 ...``) as Slack sends it."""
        name, _, rest = text.strip().partition(" ")
        known = next((c for c in self.commands if c.get("command") == name), None)
        if known is None:
            self.add_ephemeral(user, channel, f"`{name}` is not a valid command.", None, None)
            return
        if known.get("should_escape"):
            rest = self.escape(rest)
        payload = self.fake.command_payload(command=name, text=rest.strip(), user_id=user,
                                            channel_id=channel)
        route = Route(user, channel)
        self._track(payload, route)
        status, body, elapsed = await self._deliver(urlencode(payload))
        self._complain(status, elapsed, user, channel, f"`{name}`")
        if status != 200 or not body or route.replaced:
            return
        if isinstance(body, str):
            body = {"text": body}
        if body.get("response_type") == "in_channel":
            self.state.handle("chat.postMessage", {"channel": channel, "text": body.get("text"),
                                                   "blocks": body.get("blocks")})
            self.bump()
        elif body.get("text") or body.get("blocks"):
            # The command's ephemeral reply is what a response_url reply with replace_original
            # or delete_original acts on, as in Slack.
            shown = self.add_ephemeral(user, channel, body.get("text") or "", body.get("blocks"), None)
            route.ephemeral_id = route.ephemeral_id or shown["id"]

    async def post(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> None:
        """A person's message (in a thread when ``thread_ts``); the bot gets the message event."""
        message = self.state.post_as_user(channel, user, self.escape(text))
        message["team"] = self.state.team_id
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.bump()
        dm = channel.startswith("D")
        event = {**message, "channel": channel, "channel_type": "im" if dm else "channel"}
        await self._event("message.im" if dm else "message.channels", event, user, channel)

    # -- reactions, pins, the App Home -------------------------------------------------------
    async def react(self, user: str, channel: str, ts: str, name: str) -> None:
        """Add ``:name:`` to a message, or take it back when the person already reacted so."""
        message = self.state.find_message(channel, ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        reactions = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["name"] == name), None)
        removing = entry is not None and user in entry["users"]
        if entry is not None and removing:
            entry["users"].remove(user)
            if not entry["users"]:
                reactions.remove(entry)
        elif entry is None:
            reactions.append({"name": name, "users": [user], "count": 1})
        else:
            entry["users"].append(user)
        for r in reactions:
            r["count"] = len(r["users"])
        self.bump()
        kind = "reaction_removed" if removing else "reaction_added"
        event = {"type": kind, "user": user, "reaction": name, "item_user": message.get("user"),
                 "item": {"type": "message", "channel": channel, "ts": ts}}
        await self._event(kind, event, user, channel)

    async def pin(self, user: str, channel: str, ts: str) -> None:
        """Pin a message, or unpin it when it is pinned."""
        message = self.state.find_message(channel, ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        key = (channel, ts)
        kind = "pin_removed" if key in self.state.pins else "pin_added"
        (self.state.pins.discard if kind == "pin_removed" else self.state.pins.add)(key)
        self.bump()
        event = {"type": kind, "user": user, "channel_id": channel,
                 "item": {"type": "message", "channel": channel, "message": message,
                          "created_by": user}}
        await self._event(kind, event, user, channel)

    async def open_home(self, user: str) -> None:
        """The person opens the app's Home tab."""
        dm = self.state.resolve(user)
        event = {"type": "app_home_opened", "user": user, "tab": "home",
                 "channel": dm["id"] if dm else ""}
        await self._event("app_home_opened", event, user, None)

    async def _event(self, subscription: str, event: dict[str, Any], user: str,
                     channel: str | None) -> None:
        if subscription not in self.bot_events:
            return  # Slack delivers only the events the app subscribed to
        status, _, elapsed = await self._deliver(json.dumps(self.fake.event_payload(event)))
        self._complain(status, elapsed, user, channel, f"the {event['type']} event")
