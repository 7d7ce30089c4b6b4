"""People acting in the stand-in's workspace, delivered to the bot the way Slack delivers them.

Typing a slash command, clicking a button or choosing an option, submitting or closing a modal,
a message shortcut, a reaction, a pin, a plain message: each becomes the signed request Slack
would send (payloads.py, sender.py). What the bot answers in the HTTP response (an ack's text,
``response_action``) is shown the way Slack shows it; everything else arrives later through the
Web API and response URLs and is picked up by LiveWorkspace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import contract, elements

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
    """Mixed into LiveWorkspace: one method per thing a person does."""

    fake: FakeSlack
    state: SlackState
    bot_url: str
    signing_secret: str
    commands: list[dict[str, Any]]
    bot_events: set[str]
    ephemerals: list[dict[str, Any]]
    modals: dict[str, list[str]]
    view_errors: dict[str, dict[str, str]]
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

    # -- interactivity -----------------------------------------------------------------------
    def _surface(self, where: dict[str, Any]) -> tuple[list[dict[str, Any]], Route | None]:
        """The blocks a click happened in, and the route for replies to it."""
        user, channel = str(where["user"]), str(where.get("channel") or "")
        if where.get("view_id"):
            return list(self.state.views[str(where["view_id"])].get("blocks") or []), None
        if where.get("ephemeral_id"):
            found = next(e for e in self.ephemerals if e["id"] == where["ephemeral_id"])
            return list(found.get("blocks") or []), Route(user, found["channel"],
                                                          ephemeral_id=found["id"])
        message = self.state.find_message(channel, str(where.get("ts")))
        if message is None:
            raise LookupError(f"no message {where.get('ts')} in {channel}")
        return list(message.get("blocks") or []), Route(user, channel, message_ts=message["ts"])

    async def click(self, where: dict[str, Any], block: int, element: int | None,
                    choice: Any = None, values: dict[str, Any] | None = None) -> None:
        """Use element ``element`` of block ``block`` (None: the section's accessory).

        ``where`` names the person (``user``) and the surface: ``channel`` + ``ts``, an
        ``ephemeral_id``, or a ``view_id`` (then ``values`` holds the modal's inputs).
        """
        blocks, route = self._surface(where)
        target = blocks[block]
        item = target["accessory"] if element is None else target["elements"][element]
        action = elements.action_for(item, elements.block_id(target, block), choice)
        user = str(where["user"])
        if where.get("view_id"):
            view = self.state.views[str(where["view_id"])]
            payload = self._view_action(user, view, action, values or {})
            self._track(payload, None)
            await self._interact(payload, user, None)
            return
        assert route is not None
        payload = self.fake.block_action_payload(user, route.channel, self._ts(route), action)
        if route.ephemeral_id is not None:  # Slack sends no message for ephemeral ones
            payload.pop("message", None)
            payload["container"]["is_ephemeral"] = True
        self._track(payload, route)
        await self._interact(payload, user, route.channel)

    def _ts(self, route: Route) -> str:
        if route.ephemeral_id is not None:
            return next(e["ts"] for e in self.ephemerals if e["id"] == route.ephemeral_id)
        return str(route.message_ts)

    def _view_action(self, user: str, view: dict[str, Any], action: dict[str, Any],
                     values: dict[str, Any]) -> dict[str, Any]:
        submission = self.fake.view_submission_payload(user, view, elements.view_values(view, values))
        return {**submission, "type": "block_actions", "actions": [action],
                "container": {"type": "view", "view_id": view["id"]}}

    async def submit(self, user: str, view_id: str, values: dict[str, Any]) -> None:
        """Submit the modal ``view_id``; ``values`` maps input block index to the entry."""
        view = self.state.views[view_id]
        payload = self.fake.view_submission_payload(user, view, elements.view_values(view, values))
        self._track(payload, None)
        body = await self._interact(payload, user, None)
        if body is None:
            self.view_errors[view_id] = {"": "We had some trouble connecting. Try again?"}
            self.bump()
            return
        stack = self.modals.setdefault(user, [])
        action = body.get("response_action") if isinstance(body, dict) else None
        if action == "errors":
            self.view_errors[view_id] = dict(body.get("errors") or {})
        elif action in ("update", "push"):
            method = "views.update" if action == "update" else "views.push"
            problems = contract.check_content(method, {"view": body.get("view")})
            self.fake.violations.extend(f"view_submission {action}: {p}" for p in problems)
            params = {"view": body.get("view"), **({"view_id": view_id} if action == "update" else {})}
            reply = self.state.handle(method, params)
            self.view_errors.pop(view_id, None)
            if action == "push" and reply.get("ok"):
                stack.append(reply["view"]["id"])
        elif action == "clear":
            stack.clear()
        elif view_id in stack:
            stack.remove(view_id)
        self.bump()

    async def close(self, user: str, view_id: str) -> None:
        """Cancel the modal; the bot hears of it when the view asked for notify_on_close."""
        stack = self.modals.setdefault(user, [])
        if view_id in stack:
            stack.remove(view_id)
        self.bump()
        view = self.state.views.get(view_id) or {}
        if view.get("notify_on_close"):
            payload = {"type": "view_closed", "team": {"id": self.state.team_id},
                       "user": {"id": user}, "api_app_id": self.fake.app_id, "view": view,
                       "is_cleared": False, "token": self.fake.verification_token}
            await self._interact(payload, user, None)

    async def shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> None:
        """A message shortcut on the message ``ts``."""
        message = self.state.find_message(channel, ts)
        if message is None:
            raise LookupError(f"no message {ts} in {channel}")
        trigger_id = self.fake.new_trigger_id()
        payload = {"type": "message_action", "callback_id": callback_id,
                   "trigger_id": trigger_id, "message_ts": ts,
                   "response_url": self.fake.response_url(f"shortcut-{trigger_id.split('.')[0]}"),
                   "message": message, "team": {"id": self.state.team_id, "domain": "warroom-test"},
                   "channel": {"id": channel, "name": self.state.channels[channel]["name"]},
                   "user": {"id": user, "name": self.state.users.get(user, {}).get("name", user),
                            "team_id": self.state.team_id},
                   "action_ts": ts, "token": self.fake.verification_token,
                   "is_enterprise_install": False, "enterprise": None}
        self._track(payload, Route(user, channel))
        await self._interact(payload, user, channel)

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
