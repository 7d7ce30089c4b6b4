"""Async engine construction for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

CONNECT_SECONDS = 2.0
STATEMENT_SECONDS = 30.0


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine.

    SQLite (one process) gets a single pooled connection: transactions queue for it in asyncio
    instead of several connections fighting over SQLite's write lock in its busy handler, whose
    sleeps made declares take seconds under load (bench/run.py). WAL and foreign keys are on.
    """
    if url.startswith("sqlite"):
        if ":memory:" not in url and "poolclass" not in kwargs:
            kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 10, **kwargs}
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # A dead server fails fast: connecting gives up after CONNECT_SECONDS, a hung statement after
    # STATEMENT_SECONDS, and pre-ping swaps out connections the server dropped, so the pool recovers
    # by itself when the database is back. A request that cannot get a connection in 10 s (all busy)
    # is told "not saved, try again".
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=10,
                               connect_args={"timeout": CONNECT_SECONDS, "command_timeout": STATEMENT_SECONDS},
                               **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy loads escape)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
