"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, DateTime, func
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, aware UTC datetimes out (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(**column: Any) -> Any:
    """A SQLModel field stored in a UTCDateTime column (aware UTC in and out)."""

    return Field(sa_column=Column(UTCDateTime(), **column))


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a UTCDateTime column, to group by in SQL (read it back with `as_day`).

    SQLite keeps the UTC time as text, whose date() is the UTC day; PostgreSQL keeps a timestamptz, whose day
    depends on the session's time zone unless it is taken in UTC first."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def as_day(value: date | str) -> date:
    """A `utc_day` as read: a date (PostgreSQL) or its ISO text (SQLite)."""
    return date.fromisoformat(value) if isinstance(value, str) else value
