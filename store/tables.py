"""The Core side of the SQLModel rows, typed: their tables, and Core selects run in a session.

The store reads hot lists as plain rows (Core `select` over a table, not ORM objects) and writes with
dialect inserts. SQLModel supports both at run time but does not declare them to type checkers; the
two gaps are bridged here, once, instead of at every query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Result, Select, Table
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model."""
    # SQLModel's metaclass sets __table__ on every `table=True` model but does not declare it.
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


async def core_rows(session: AsyncSession, statement: Select[Any] | CompoundSelect) -> Result[Any]:
    """Run a Core select in the session's transaction; its rows, not ORM objects."""
    # SQLModel's AsyncSession.exec runs any executable, but its overloads name only SQLModel's own
    # select types and DML (its `execute` is deprecated and warns).
    result: Result[Any] = await session.exec(statement)  # type: ignore[call-overload]
    return result
