"""The Core side of the SQLModel rows, typed: their tables, and Core selects run in a session.

The store reads hot lists as plain rows (Core `select` over a table, not ORM objects) and writes with
dialect inserts. SQLModel supports both at run time but does not declare them to type checkers; the
two gaps are bridged here, once, instead of at every query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Result, Select, Table, func
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


def open_newest_first(table: Table) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """ORDER BY for a workspace's open incidents (filtered by status), newest first.

    The time is sorted as an expression, not as the column. SQLite keeps no statistics unless ANALYZE runs, so for
    `ORDER BY declared_at` it prefers walking the whole (team_id, declared_at) index newest first, skipping closed
    incidents, to sorting: a walk of the workspace's entire history whenever fewer than LIMIT incidents are open,
    which is most of the time. Sorting an expression leaves no sort to save, so it searches the (team_id, status)
    index and sorts the few open ones. PostgreSQL plans by its statistics either way."""
    return func.coalesce(table.c.declared_at, table.c.declared_at).desc(), table.c.id.desc()
