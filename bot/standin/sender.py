"""Signed HTTP requests from "Slack" to the bot (slash commands, interactivity, events)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from .signing import signed_headers

Sent = tuple[int, "dict[str, Any] | str", float]


class HttpSenderMixin:
    """Mixed into FakeSlack; needs ``self._session`` and the payload builders."""

    _session: aiohttp.ClientSession | None

    if TYPE_CHECKING:  # provided by PayloadsMixin
        def command_payload(self, *, command: str = "/incident", text: str = "",
                            user_id: str = "U1", channel_id: str = "CGENERAL",
                            team_id: str | None = None) -> dict[str, Any]: ...

        def event_payload(self, event: dict, *, event_id: str | None = None,
                          team_id: str | None = None) -> dict[str, Any]: ...

    async def _send_signed(self, bot_url: str, signing_secret: str, body: str, *,
                           timestamp: str | int | None, signature: str | None,
                           extra_headers: dict[str, str] | None = None) -> Sent:
        if self._session is None:
            raise RuntimeError("FakeSlack is not started: await fake.start() first")
        headers = signed_headers(signing_secret, body, timestamp)
        if signature is not None:  # lets tests send a forged or stale signature
            headers["X-Slack-Signature"] = signature
        headers.update(extra_headers or {})
        started = time.perf_counter()
        async with self._session.post(bot_url, data=body.encode("utf-8"),
                                      headers=headers) as resp:
            raw = await resp.text()
            elapsed = time.perf_counter() - started
            parsed: dict[str, Any] | str = raw
            if raw.lstrip().startswith("{"):
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    pass  # not JSON after all: hand back the text
            return resp.status, parsed, elapsed

    async def send_command(self, bot_url: str, signing_secret: str, *,
                           command: str = "/incident", text: str = "", user_id: str = "U1",
                           channel_id: str = "CGENERAL", team_id: str | None = None,
                           timestamp: str | int | None = None,
                           signature: str | None = None) -> Sent:
        """POST a signed slash command to the bot; returns (status, body, elapsed seconds)."""
        payload = self.command_payload(command=command, text=text,
                                       user_id=user_id, channel_id=channel_id, team_id=team_id)
        return await self._send_signed(bot_url, signing_secret, urlencode(payload),
                                       timestamp=timestamp, signature=signature)

    async def send_interaction(self, bot_url: str, signing_secret: str, payload: dict, *,
                               timestamp: str | int | None = None,
                               signature: str | None = None) -> Sent:
        """POST a signed interactivity payload (form field ``payload=<json>``) to the bot."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self._send_signed(bot_url, signing_secret, body,
                                       timestamp=timestamp, signature=signature)

    async def send_event(self, bot_url: str, signing_secret: str, event: dict, *,
                         event_id: str | None = None, team_id: str | None = None,
                         retry_num: int | None = None, retry_reason: str = "http_timeout",
                         timestamp: str | int | None = None,
                         signature: str | None = None) -> Sent:
        """POST a signed Events API callback; ``event`` is the inner event (or a full wrapper).

        Pass the same ``event_id`` with ``retry_num=1..3`` to replay a delivery the way Slack
        does when the bot was slow (X-Slack-Retry-Num / X-Slack-Retry-Reason headers).
        """
        wrapper = event if event.get("type") == "event_callback" else \
            self.event_payload(event, event_id=event_id, team_id=team_id)
        extra = None
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._send_signed(bot_url, signing_secret, json.dumps(wrapper),
                                       timestamp=timestamp, signature=signature,
                                       extra_headers=extra)
