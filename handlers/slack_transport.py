"""The SlackTransport port: one Web API call from the outbox, its outcome classified, nothing raised.

The client given here must not retry on its own (no retry handlers): the outbox sender decides when
to try again and keeps that decision in the database, so a restart does not forget it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.outbox import UPLOAD_METHOD, Attempt, OutboundCall, Outcome

log = structlog.get_logger(__name__)

METADATA_TYPE = "warroom_outbox"  # every posted message carries its outbox tag, to find it after a timeout
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
    """Unique forever (the id is not: a pruned id comes back), so it never matches an older message."""
    return f"{call.team_id}/{call.tag or call.id}"


def _tag_block_id(call: OutboundCall) -> str:
    """A shared file carries no metadata; its message's block id names the outbox call instead."""
    return f"{METADATA_TYPE}/{_tag(call)}"


class UploadRefused(Exception):
    """The upload URL answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"upload failed with HTTP {status}")
        self.status = status


class SlackWebTransport:
    """Makes outbox calls with a non-retrying AsyncWebClient."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, call: OutboundCall) -> Attempt:
        params: dict[str, Any] = dict(call.params)
        if isinstance(params.get("users"), list | tuple):
            params["users"] = ",".join(params["users"])
        if call.posts and call.method != UPLOAD_METHOD:
            params["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"call": _tag(call)}}
        try:
            if call.method == UPLOAD_METHOD:
                await self._upload(call)
                return Attempt(Outcome.SENT)
            response = await self.client.api_call(call.method, json=params)
        except UploadRefused as exc:
            return Attempt(Outcome.TRANSIENT if exc.status >= 500 else Outcome.REFUSED, error=str(exc))
        except SlackApiError as exc:
            return self._refused(call, exc)
        except TimeoutError as exc:
            return Attempt(Outcome.TRANSIENT, error=f"timed out ({exc.__class__.__name__})", maybe_delivered=True)
        except aiohttp.ClientConnectorError as exc:  # never reached Slack
            return Attempt(Outcome.TRANSIENT, error=f"cannot connect: {exc}")
        except (aiohttp.ClientError, OSError, SlackClientError, ValueError) as exc:
            return Attempt(Outcome.TRANSIENT, error=f"{exc.__class__.__name__}: {exc}", maybe_delivered=True)
        return Attempt(Outcome.SENT, ts=str(response.get("ts") or "") or None)

    async def _upload(self, call: OutboundCall) -> None:
        """Slack's external upload: ask for an upload URL, POST the bytes there, then share the file."""
        p = call.params
        data = str(p["content"]).encode("utf-8")
        target = await self.client.files_getUploadURLExternal(filename=str(p["filename"]), length=len(data))
        session = self.client.session
        own = session is None
        session = session or aiohttp.ClientSession()
        try:
            async with session.post(str(target["upload_url"]), data=data,
                                    headers={"Content-Type": "application/octet-stream"},
                                    timeout=aiohttp.ClientTimeout(total=self.client.timeout)) as response:
                if response.status != 200:
                    raise UploadRefused(response.status)
        finally:
            if own:
                await session.close()
        note = [{"type": "context", "block_id": _tag_block_id(call), "elements": [
            {"type": "mrkdwn", "text": f"{p['title']}: the whole review as Markdown."}]}]
        await self.client.files_completeUploadExternal(
            files=[{"id": str(target["file_id"]), "title": str(p["title"])}], channel_id=str(p["channel"]),
            blocks=json.dumps(note))

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
            # A DM is addressed by user id, whose history cannot be read back: resend. (A channel named
            # by name was resolved to its id before the call was sent.)
            return None
        try:
            # The newest messages: the lost one went out moments ago (no `oldest`, which clock skew could defeat).
            found = await self.client.conversations_history(channel=channel, limit=LOOKBACK_MESSAGES,
                                                             include_all_metadata=True)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("outbox_lookup_failed", channel=channel, error=str(exc))
            raise LookupError("could not read the channel back") from exc
        messages: list[dict[str, Any]] = found.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if (message.get("metadata") or {}).get("event_type") == METADATA_TYPE and payload.get("call") == _tag(call):
                return str(message.get("ts"))
            if any(b.get("block_id") == _tag_block_id(call) for b in message.get("blocks") or []):
                return str(message.get("ts"))
        return None
