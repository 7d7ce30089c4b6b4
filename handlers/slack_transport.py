"""The SlackTransport port: one Web API call from the outbox, its outcome classified, nothing raised.

The client given here must not retry on its own (no retry handlers): the outbox sender decides when
to try again and keeps that decision in the database, so a restart does not forget it.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.outbox import Attempt, OutboundCall, Outcome

log = structlog.get_logger(__name__)

METADATA_TYPE = "warroom_outbox"  # every posted message carries its outbox id, to find it after a timeout
LOOKBACK_MESSAGES = 200  # how many of the channel's newest messages are searched for a lost post
_TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", {}) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def _tag(call: OutboundCall) -> str:
    return f"{call.team_id}/{call.id}"


class SlackWebTransport:
    """Makes outbox calls with a non-retrying AsyncWebClient."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, call: OutboundCall) -> Attempt:
        params: dict[str, Any] = dict(call.params)
        if isinstance(params.get("users"), list | tuple):
            params["users"] = ",".join(params["users"])
        if call.posts:
            params["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"call": _tag(call)}}
        try:
            response = await self.client.api_call(call.method, json=params)
        except SlackApiError as exc:
            return self._refused(call, exc)
        except TimeoutError as exc:
            return Attempt(Outcome.TRANSIENT, error=f"timed out ({exc.__class__.__name__})", maybe_delivered=True)
        except aiohttp.ClientConnectorError as exc:  # never reached Slack
            return Attempt(Outcome.TRANSIENT, error=f"cannot connect: {exc}")
        except (aiohttp.ClientError, OSError, SlackClientError, ValueError) as exc:
            return Attempt(Outcome.TRANSIENT, error=f"{exc.__class__.__name__}: {exc}", maybe_delivered=True)
        return Attempt(Outcome.SENT, ts=str(response.get("ts") or "") or None)

    @staticmethod
    def _refused(call: OutboundCall, exc: SlackApiError) -> Attempt:
        status = getattr(exc.response, "status_code", 200)
        error = str(exc.response.get("error", "unknown_error")) if exc.response is not None else "unknown_error"
        if status == 429 or error == "ratelimited":
            return Attempt(Outcome.RATE_LIMITED, retry_after=_retry_after(exc), error="ratelimited")
        if status >= 500 or error in _TRANSIENT_ERRORS:
            return Attempt(Outcome.TRANSIENT, error=f"HTTP {status} {error}", maybe_delivered=status >= 500)
        if error in ("already_in_channel", "cant_invite_self"):
            return Attempt(Outcome.SENT)  # what the call was for is already true
        return Attempt(Outcome.REFUSED, error=error)

    async def find_posted(self, call: OutboundCall) -> str | None:
        channel = str(call.params.get("channel", ""))
        if not call.posts or not channel.startswith(("C", "G")):
            return None  # a DM is addressed by user id, whose history cannot be read back: resend
        try:
            # The newest messages: the lost one went out moments ago (no `oldest`, which clock skew could defeat).
            found = await self.client.conversations_history(channel=channel, limit=LOOKBACK_MESSAGES,
                                                             include_all_metadata=True)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("outbox_lookup_failed", channel=channel, error=str(exc))
            raise LookupError("could not read the channel back") from exc
        for message in found.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if (message.get("metadata") or {}).get("event_type") == METADATA_TYPE and payload.get("call") == _tag(call):
                return str(message.get("ts"))
        return None
