"""People's display names in SQL, so a review shows names even where Slack cannot be asked (`warroom export`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from bot.domain.names import CachedName
from store.columns import utc_field
from store.tables import table_of
from store.uow import unavailable_as

NAME_MAX = 200


class PersonNameRow(SQLModel, table=True):
    """The name Slack gave for a user id, and when it was looked up."""

    __tablename__ = "person_name"
    team_id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=NAME_MAX)
    fetched_at: datetime = utc_field(nullable=False)


class SqlNameCache:
    """Implements the NameCache port; each call is its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert: Any = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def get(self, team_id: str, user_ids: Collection[str]) -> dict[str, CachedName]:
        if not user_ids:
            return {}
        t = table_of(PersonNameRow)
        statement = select(t.c.user_id, t.c.name, t.c.fetched_at).where(
            t.c.team_id == team_id, t.c.user_id.in_(sorted(user_ids)))
        with unavailable_as("The database is unreachable; names cannot be read."):
            async with self._engine.connect() as conn:
                rows = (await conn.execute(statement)).all()
        return {row.user_id: CachedName(row.name, row.fetched_at) for row in rows}

    async def put(self, team_id: str, names: Mapping[str, str], at: datetime) -> None:
        if not names:
            return
        rows = [{"team_id": team_id, "user_id": user_id, "name": name[:NAME_MAX], "fetched_at": at}
                for user_id, name in names.items()]
        statement = self._insert(PersonNameRow).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={"name": statement.excluded.name, "fetched_at": statement.excluded.fetched_at})
        with unavailable_as("The database is unreachable; names are not remembered."):
            async with self._engine.begin() as conn:
                await conn.execute(statement)
