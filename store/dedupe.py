"""Slack deliveries already handled, in SQL: one INSERT ... ON CONFLICT DO NOTHING decides who is first."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from store.models import SeenRequestRow
from store.uow import unavailable_as

KEY_MAX = 200


def stored_key(key: str) -> str:
    """`key` as stored: long keys (action ids may be 255 characters) become a digest of themselves."""
    if len(key) <= KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class SqlSeenRequests:
    """Implements the domain's SeenRequests port; each call is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def first_time(self, team_id: str, key: str, at: datetime) -> bool:
        """Record `key`; True for the one caller that records it first, False for a redelivery."""
        statement = self._insert(SeenRequestRow).values(
            team_id=team_id, key=stored_key(key), created_at=at,
        ).on_conflict_do_nothing(index_elements=["team_id", "key"])
        with unavailable_as("The database is unreachable; cannot tell a redelivery apart."):
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    async def forget_before(self, before: datetime) -> int:
        """Drop what was recorded before `before`; how many rows went."""
        statement = delete(SeenRequestRow).where(SeenRequestRow.created_at < before)  # type: ignore[arg-type]
        with unavailable_as("The database is unreachable; old delivery records stay for now."):
            async with self._engine.begin() as conn:
                result = await conn.execute(statement)
        return int(result.rowcount or 0)
