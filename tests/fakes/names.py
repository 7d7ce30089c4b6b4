"""The display-name ports faked: the name cache and Slack's users.info as dicts."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from bot.domain.names import CachedName


class FakeNameCache:
    """Names in a dict, as SqlNameCache keeps them."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], CachedName] = {}

    async def get(self, team_id: str, user_ids: Collection[str]) -> dict[str, CachedName]:
        return {u: self.rows[(team_id, u)] for u in user_ids if (team_id, u) in self.rows}

    async def put(self, team_id: str, names: Mapping[str, str], at: datetime) -> None:
        self.rows.update({(team_id, u): CachedName(n, at) for u, n in names.items()})


class FakeProfiles:
    """Slack's users.info as a dict; records who was asked, and fails when told to."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self.names = dict(names or {})
        self.asked: list[str] = []
        self.fail: Exception | None = None

    async def display_name(self, team_id: str, user_id: str) -> str | None:
        self.asked.append(user_id)
        if self.fail is not None:
            raise self.fail
        return self.names.get(user_id)
