"""Refuse Slack payloads whose envelope is not the shape Slack sends, before any listener reads them.

Signed requests come from Slack (or from someone holding the signing secret); either way a listener
must never crash on a missing key. One check here, so listeners may read the envelope keys they rely
on (team, user, channel, action ids, view ids) directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

log = structlog.get_logger(__name__)

REFUSED = BoltResponse(status=400, body="malformed Slack payload")


def _text(node: Any, *path: str) -> bool:
    """True when `node[path...]` is a non-empty string."""
    for key in path:
        if not isinstance(node, dict):
            return False
        node = node.get(key)
    return isinstance(node, str) and bool(node)


def _action_ok(body: dict[str, Any]) -> bool:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return False
    if not all(isinstance(a, dict) and _text(a, "action_id") for a in actions):
        return False
    container = body.get("container")
    if isinstance(container, dict) and container.get("type") == "message":
        return _text(body, "channel", "id") and isinstance(container.get("message_ts"), str)
    if "view" in body:
        return _text(body, "view", "id")
    return True


def _view_ok(body: dict[str, Any], submission: bool) -> bool:
    view = body.get("view")
    if not (isinstance(view, dict) and _text(view, "id") and _text(view, "callback_id")):
        return False
    if not isinstance(view.get("private_metadata", ""), str):
        return False
    if submission:
        state = view.get("state")
        return isinstance(state, dict) and isinstance(state.get("values"), dict)
    return True


def well_formed(body: Any) -> bool:
    """Whether a parsed Slack request body has the envelope its type promises."""
    if not isinstance(body, dict):
        return False
    if "command" in body:  # form-encoded: Bolt gives strings
        return _text(body, "team_id") and _text(body, "user_id") and _text(body, "channel_id")
    kind = body.get("type")
    if kind in ("url_verification", "ssl_check"):
        return True
    if kind == "event_callback":
        return _text(body, "team_id") and isinstance(body.get("event"), dict) and _text(body, "event", "type")
    if not (_text(body, "team", "id") and _text(body, "user", "id")):  # interactive payloads name both
        return False
    match kind:
        case "block_actions":
            return _action_ok(body)
        case "view_submission":
            return _view_ok(body, submission=True)
        case "view_closed":
            return _view_ok(body, submission=False)
        case "message_action":
            return _text(body, "callback_id") and _text(body, "channel", "id") and _text(body, "message", "ts")
        case "shortcut" | "block_suggestion":
            return _text(body, "callback_id") or _text(body, "action_id")
    return False


def install(app: AsyncApp) -> None:
    """Add the global middleware that refuses malformed payloads (after Bolt's signature check)."""

    # Bolt passes arguments by name: `next` it must be.
    async def refuse_malformed(body: Any, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        if not well_formed(body):
            kind = body.get("type") if isinstance(body, dict) else type(body).__name__
            log.warning("malformed_slack_payload", kind=str(kind)[:40])
            return REFUSED
        await next()
        return None

    app.middleware(refuse_malformed)
