"""The open incidents per workspace, cached for a few seconds for listing and the duplicate check."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.incident import Incident


class OpenIncidents:
    """The open incidents per workspace, kept for a few seconds.

    `/incident list` and the duplicate check read it on every call; every declare, status or
    severity change made through this process drops the workspace's entry, so this replica lists
    current titles, severities and statuses. Changes made by another replica (PostgreSQL
    deployments) show up within `ttl` (WARROOM_LIST_CACHE_SECONDS; 0 turns it off). Roles and milestones in it may lag: it is for listing.
    """

    def __init__(self, ttl: timedelta = timedelta(seconds=2)) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[datetime, list[Incident]]] = {}

    def get(self, team_id: str, now: datetime) -> list[Incident] | None:
        """The cached list, or None when missing or older than TTL."""
        entry = self._entries.get(team_id)
        if entry is None or not (entry[0] <= now < entry[0] + self.ttl):
            return None
        return entry[1]

    def put(self, team_id: str, incidents: list[Incident], now: datetime) -> None:
        """Remember the list read at `now`."""
        self._entries[team_id] = (now, incidents)

    def drop(self, team_id: str) -> None:
        """Forget the workspace's list (after any change to one of its incidents)."""
        self._entries.pop(team_id, None)
