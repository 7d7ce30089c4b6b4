"""Drop Slack's redeliveries and refuse replays: what was already handled is not handled again.

Slack redelivers an event when the ack was late or failed (X-Slack-Retry-Num), and Socket Mode may
resend an envelope after a reconnect; those are acked quietly. Slack never resends a slash command,
a view submission or a shortcut, and they carry no id: over HTTP, their signature (an HMAC of the
timestamp and the body) names the delivery, so the same signed request again is a captured one
replayed inside the five minutes the signature is good for. It is refused. The record is in the
database, so a restart does not forget it.

When refusing is an ack (a command's replay text, an empty ack for a click or an event), the middleware
leaves the check to the listener, which makes it before it does anything (`go_ahead`, called by
handlers.errors.guard): on PostgreSQL the record's round trip then overlaps Bolt's wait for the ack
instead of delaying everything after it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.domain.errors import StorageUnavailable
from bot.domain.repositories import SeenRequests

log = structlog.get_logger(__name__)

# The record is written before the ack, which Slack wants within 3 s: a slow database is not waited for.
CHECK_SECONDS = 1.0
REPLAY_PREFIX = "signed:"
# Read-only, and asked again by Slack as a person types: the same signed request twice is harmless.
UNGUARDED = frozenset({"url_verification", "ssl_check", "block_suggestion"})
# Sub-commands that only show something to whoever asked (through the original response_url): a replay
# changes nothing, so they need no record, which spares /incident list a database write per request.
# tests/unit/test_delivery_keys.py checks each word against the sub-command table.
READ_ONLY_WORDS = frozenset({"list", "ls", "help", "?", "timeline", "oncall", "stats"})
REPLAY_TEXT = "This request was already received and handled; a replayed request is not acted on again."
DELIVERY_CHECK = "warroom_delivery_check"  # Bolt context key: the check its listener makes (go_ahead)


def delivery_key(body: dict[str, Any], signature: str | None = None) -> str | None:
    """What identifies this delivery across redeliveries and replays; None for requests that need no record.

    `signature` is X-Slack-Signature (HTTP only: Socket Mode envelopes are not signed, and not replayable).
    """
    kind = body.get("type")
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if kind == "block_actions" and body.get("actions"):
        action = body["actions"][0]
        container = body.get("container") or {}
        where = container.get("message_ts") or container.get("view_id") or (body.get("view") or {}).get("id") or "-"
        return f"action:{action.get('action_id', '')}:{where}:{action.get('action_ts', '')}"
    if "command" in body and _first_word(body.get("text")) in READ_ONLY_WORDS:
        return None
    if signature and kind not in UNGUARDED:
        return REPLAY_PREFIX + signature
    return None


def _first_word(text: Any) -> str:
    words = text.split(None, 1) if isinstance(text, str) else []
    return words[0].lower() if words else ""


def team_of(body: dict[str, Any]) -> str:
    """The workspace the delivery belongs to (the org for org-wide installs)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or body.get("enterprise_id") or "-")


def install(app: AsyncApp, seen: SeenRequests) -> None:
    """Add the global middleware that drops redeliveries and refuses replays (after Bolt's signature check)."""

    # Bolt passes arguments by name: `next` it must be.
    async def drop_redeliveries(req: AsyncBoltRequest, body: dict[str, Any], context: AsyncBoltContext,
                                next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        key = delivery_key(body, req.headers.get("x-slack-signature", [None])[0])
        if key is not None and _answered_by_ack(body, key):
            # The listener asks before it acks or does anything (go_ahead, in handlers.errors.guard): the
            # database's round trip overlaps Bolt's wait for the ack instead of coming before it, and is made in
            # the listener's own task (no hand-over between tasks, each a turn of a busy event loop).
            context[DELIVERY_CHECK] = _Pending(seen, body, key, req.headers.get("x-slack-retry-num", [None])[0])
        elif key is not None and not await _first_time(seen, team_of(body), key):
            if key.startswith(REPLAY_PREFIX):
                return _refuse_replay(body)
            _log_dropped(body, key, req.headers.get("x-slack-retry-num", [None])[0])
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(drop_redeliveries)


def _answered_by_ack(body: dict[str, Any], key: str) -> bool:
    """Whether refusing this delivery is an ack the listener can give: an empty one for a redelivered click or
    event, the replay text for a command. Anything else (a view submission, a shortcut) gets 409 from here."""
    return key.startswith(("action:", "event:")) or (key.startswith(REPLAY_PREFIX) and "command" in body)


@dataclass(frozen=True)
class _Pending:
    """A delivery whose check its listener makes (go_ahead)."""

    seen: SeenRequests
    body: dict[str, Any]
    key: str
    retry_num: str | None


async def go_ahead(context: Any, ack: AsyncAck) -> bool:
    """Whether the listener may run: checks the delivery the middleware left to it, and for a redelivery or
    a replayed command acks it (quietly, or with words it can show) and returns False."""
    pending = context.get(DELIVERY_CHECK) if isinstance(context, dict) else None
    if not isinstance(pending, _Pending) or await _first_time(pending.seen, team_of(pending.body), pending.key):
        return True
    replay = pending.key.startswith(REPLAY_PREFIX)
    if replay:
        _log_replay(pending.body)
    else:
        _log_dropped(pending.body, pending.key, pending.retry_num)
    if ack.response is None:  # events are acked by Bolt before their listener runs
        if replay:
            await ack(response_type="ephemeral", text=REPLAY_TEXT)
        else:
            await ack()
    return False


def _log_dropped(body: dict[str, Any], key: str, retry_num: str | None) -> None:
    log.info("redelivery_dropped", team_id=team_of(body), key=key, retry_num=retry_num)


def _log_replay(body: dict[str, Any]) -> None:
    command = "command" in body
    log.warning("replay_refused", team_id=team_of(body), kind="command" if command else str(body.get("type"))[:40],
                user_id=body.get("user_id") or (body.get("user") or {}).get("id"))


def _refuse_replay(body: dict[str, Any]) -> BoltResponse:
    """A command is told in words it can show; anything else gets 409 (Slack itself never sends these)."""
    _log_replay(body)
    if "command" in body:
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": REPLAY_TEXT}),
                            headers={"content-type": "application/json"})
    return BoltResponse(status=409, body=REPLAY_TEXT)


async def _first_time(seen: SeenRequests, team_id: str, key: str) -> bool:
    """Whether this is the first delivery; when that cannot be told in time, handle it (the listener's
    own writes then say whether the database is there), rather than drop what may be new."""
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            # Wall-clock time, not the use cases' clock: Slack's redelivery and signature windows are real time,
            # and so is the pruning (Warroom.forget_old_deliveries).
            return await seen.first_time(team_id, key, datetime.now(UTC))
    except (StorageUnavailable, TimeoutError) as exc:
        log.warning("redelivery_check_skipped", team_id=team_id, key=key, error=type(exc).__name__)
        return True
