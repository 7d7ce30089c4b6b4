"""The ports for people's display names: a cache kept across restarts and the chat platform's lookup."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol


class CachedName(NamedTuple):
    """A person's display name and when it was looked up."""

    name: str
    fetched_at: datetime


class NameCache(Protocol):
    """Display names already looked up, kept across restarts."""

    async def get(self, team_id: str, user_ids: Collection[str]) -> dict[str, CachedName]:
        """The cached names of those of `user_ids` that were looked up before."""
        ...

    async def put(self, team_id: str, names: Mapping[str, str], at: datetime) -> None:
        """Remember `names` (user id -> name), looked up at `at`."""
        ...


class ProfileLookup(Protocol):
    """Asks the chat platform for a person's name."""

    async def display_name(self, team_id: str, user_id: str) -> str | None:
        """The name people see for `user_id` (None: no such user); raises ChatUnavailable when it cannot ask."""
        ...
