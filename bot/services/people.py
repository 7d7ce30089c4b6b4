"""People by name: PeopleNames looks names up once in Slack and caches them; People shows them in text."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta

import structlog

from bot.domain.errors import ChatUnavailable, StorageUnavailable
from bot.domain.names import NameCache, ProfileLookup
from bot.domain.ports import Clock

log = structlog.get_logger(__name__)

REFRESH_AFTER = timedelta(days=7)  # people rename themselves now and then; a week-old name is still right
LOOKUPS_AT_ONCE = 8  # users.info is Tier 4 (100+ a minute); a review names a few dozen people at most
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# Slack markup in stored text: mentions, channels, groups and special mentions, links.
_SLACK_MARKUP = re.compile(r"<([@#!])([^>|]+)(?:\|([^>]*))?>|<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def mentioned(text: str) -> Iterator[str]:
    """The user ids `<@U123>` mentions in `text`."""
    return (m.group(1) for m in _USER_MENTION.finditer(text))


class People:
    """Shows people by name: `who("U1")` is "Ana Lopez"; an id nobody could name shows as itself."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def who(self, user_id: str | None) -> str:
        """The person's name ("nobody" for none)."""
        return (self._names.get(user_id) or user_id) if user_id else "nobody"

    def plain(self, text: str) -> str:
        """Stored Slack text as plain text: mentions as names, `#channel`, `label (url)`, entities decoded."""

        def show(m: re.Match[str]) -> str:
            sigil, target, label, url, url_label = m.groups()
            if url:
                return f"{url_label} ({url})" if url_label and url_label != url else url
            if sigil == "@":
                return self._names.get(target) or label or target
            if sigil == "#":
                return "#" + (label or target)
            return label or "@" + target.split("^")[-1]  # <!here>, <!subteam^S1|@oncall>

        plain = _SLACK_MARKUP.sub(show, text)
        for entity, char in _ENTITIES:
            plain = plain.replace(entity, char)
        return plain


class PeopleNames:
    """User id -> display name, for documents people keep (the review, its export)."""

    def __init__(self, *, cache: NameCache, lookup: ProfileLookup | None, clock: Clock) -> None:
        self._cache, self._lookup, self._clock = cache, lookup, clock

    async def names(self, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """The names of those of `user_ids` that have one; the ids nobody can name are left out."""
        wanted = {u for u in user_ids if u}
        if not wanted:
            return {}
        try:
            cached = await self._cache.get(team_id, wanted)
        except StorageUnavailable as exc:
            log.warning("names_cache_unavailable", error=str(exc))
            cached = {}
        now = self._clock.now()
        names = {user: found.name for user, found in cached.items()}
        stale = sorted(u for u in wanted if u not in cached or now - cached[u].fetched_at > REFRESH_AFTER)
        if stale and self._lookup is not None:
            fresh = await self._look_up(team_id, stale)
            names.update(fresh)
            try:
                await self._cache.put(team_id, fresh, now)
            except StorageUnavailable as exc:
                log.warning("names_cache_unavailable", error=str(exc))
        return names

    async def _look_up(self, team_id: str, user_ids: list[str]) -> dict[str, str]:
        """Ask Slack for each; once Slack cannot be asked, stop asking (the cached or bare ids serve)."""
        lookup, gate, found = self._lookup, asyncio.Semaphore(LOOKUPS_AT_ONCE), {}
        assert lookup is not None
        unreachable = False

        async def one(user_id: str) -> None:
            nonlocal unreachable
            async with gate:
                if unreachable:
                    return
                try:
                    name = await lookup.display_name(team_id, user_id)
                except ChatUnavailable as exc:
                    unreachable = True
                    log.warning("name_lookup_failed", user=user_id, error=str(exc))
                    return
                if name:
                    found[user_id] = name

        await asyncio.gather(*(one(u) for u in user_ids))
        return found
