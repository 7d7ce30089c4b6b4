"""Channel names resolved to ids with conversations.list, cached per workspace in memory.

A channel named by name in warroom.yaml or a runbook (`#incidents`) is resolved once: one listing of
the workspace's channels (a page of up to 1000 at a time) fills the cache, so every later call is
addressed, paced and looked up by the channel's id. A name the listing did not have is not asked
for again until `SWEEP_GAP` has passed (conversations.list is rate-limited); a cached id Slack no
longer knows is forgotten, and the next call lists the channels again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.outbox import ChannelNames, channel_key, is_channel_name

log = structlog.get_logger(__name__)

PAGE = 1000  # the most conversations.list returns at once
SWEEP_GAP = 30.0  # seconds before a name that was not found is looked for again
TYPES = "public_channel,private_channel"


class SlackChannelNames:
    """The ChannelNames port over Slack's conversations.list."""

    def __init__(self, client: AsyncWebClient, *, sweep_gap: float = SWEEP_GAP) -> None:
        self._client = client
        self._gap = sweep_gap
        self._ids: dict[str, dict[str, str]] = {}  # team -> "#name" -> id
        self._swept: dict[str, float] = {}  # team -> monotonic time of the last complete listing
        self._locks: dict[str, asyncio.Lock] = {}

    def known(self, team_id: str, channel: str) -> str:
        if not is_channel_name(channel):
            return channel
        return self._ids.get(team_id, {}).get(channel_key(channel), channel)

    async def resolve(self, team_id: str, channel: str) -> str | None:
        if not is_channel_name(channel):
            return channel
        key = channel_key(channel)
        # One listing at a time per workspace: calls waiting for the same name share its answer.
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            found = self._ids.get(team_id, {}).get(key)
            swept = self._swept.get(team_id)
            if found is None and (swept is None or time.monotonic() - swept >= self._gap):
                self._ids[team_id] = await self._list()
                self._swept[team_id] = time.monotonic()
                found = self._ids[team_id].get(key)
        return found

    def forget(self, team_id: str, channel: str) -> bool:
        names = self._ids.get(team_id, {})
        key = channel_key(channel)
        stale = key in names or channel in names.values()
        if stale:
            self._ids[team_id] = {n: i for n, i in names.items() if n != key and i != channel}
            self._swept.pop(team_id, None)  # list again at the next call
            log.info("channel_name_forgotten", team_id=team_id, channel=channel)
        return stale

    async def warm(self, channels: Iterable[str]) -> None:
        """Resolve the channels named in the configuration before the first incident needs them."""
        names = [c for c in channels if is_channel_name(c)]
        if not names:
            return
        try:
            team_id = str((await self._client.auth_test())["team_id"])
            for name in names:
                if await self.resolve(team_id, name) is None:
                    log.warning("channel_not_found", channel=name)
        except (LookupError, SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("channel_names_not_resolved", error=str(exc))  # resolved when first used instead

    async def _list(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        cursor = ""
        try:
            while True:
                page = await self._client.conversations_list(types=TYPES, exclude_archived=True, limit=PAGE,
                                                             cursor=cursor or None)
                channels: list[dict[str, Any]] = page.get("channels", [])
                ids.update({f"#{c['name']}": str(c["id"]) for c in channels})
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                if not cursor:
                    return ids
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("channel_list_failed", error=str(exc))
            raise LookupError("could not list the workspace's channels") from exc


async def distinct_channels(names: ChannelNames | None, team_id: str, channels: Sequence[str],
                            besides: Sequence[str | None] = ()) -> list[str]:
    """Each channel once, by id where it can be resolved (`#incidents` and its id are one), none of `besides`."""
    seen = {channel_key(c) for c in besides if c is not None}  # an incident's channel, when it has one
    distinct: list[str] = []
    for channel in channels:
        resolved = channel
        if names is not None:
            try:
                resolved = await names.resolve(team_id, channel) or channel
            except LookupError:  # Slack cannot list channels now: the sender resolves it before sending
                resolved = names.known(team_id, channel)
        if channel_key(resolved) not in seen:
            seen.add(channel_key(resolved))
            distinct.append(resolved)
    return distinct
