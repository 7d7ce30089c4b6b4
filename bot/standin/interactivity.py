"""Clicks, modals and message shortcuts in the stand-in's workspace: what Slack sends to the app's
interactivity URL (block_actions, view_submission, view_closed, message_action), and what the app's answer
to a submission does to the modal stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import contract, elements
from .acting import Route

if TYPE_CHECKING:
    from .server import FakeSlack
    from .state import SlackState


class InteractivityMixin:
    """Mixed into LiveWorkspace after ActingMixin, which delivers what these methods build."""

    fake: FakeSlack
    state: SlackState
    ephemerals: list[dict[str, Any]]
    modals: dict[str, list[str]]
    view_errors: dict[str, dict[str, str]]

    def bump(self) -> None: ...  # provided by LiveWorkspace

    # provided by ActingMixin
    def _track(self, payload: dict[str, Any], route: Route | None) -> None: ...

    async def _interact(self, payload: dict[str, Any], user: str, channel: str | None) -> Any: ...

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
