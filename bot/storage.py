"""Storage alone: what `warroom export` and `warroom audit` build (the database, no Slack, no flag providers)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.domain.errors import StorageUnavailable
from bot.services.audit import AuditService
from bot.services.clock import SystemClock
from bot.services.people import PeopleNames
from bot.services.review_reader import ReviewReader
from bot.settings import Settings
from store.engine import create_engine, session_factory
from store.migrate import ensure_current, upgrade
from store.names import SqlNameCache
from store.uow import SqlUnitOfWork


async def start_storage(engine: AsyncEngine, settings: Settings) -> None:
    """Bring the schema up to date (SQLite) or check that it is (PostgreSQL); StorageUnavailable if unreachable."""
    try:
        if settings.migrate_on_start:
            await upgrade(engine)
        else:
            await ensure_current(engine)
    except (OSError, DBAPIError, asyncpg.PostgresError) as exc:
        # e.g. a SQLite file in a directory that does not exist, an unknown role or database (asyncpg's own errors).
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        detail = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ""
        await _failed_connections_stopped()
        raise StorageUnavailable(f"Cannot reach the database ({type(cause).__name__}{': ' + detail if detail else ''})"
                                 ": check DATABASE_URL and that the database server is running.") from exc


async def _failed_connections_stopped(timeout: float = 1.0) -> None:
    """aiosqlite stops a connection that failed to open from its own thread, which then reports back to the event
    loop: a CLI that closes its loop first gets that thread's traceback on stderr after its one-line error."""
    workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name and t.is_alive()]
    def join() -> None:
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    if workers:
        await asyncio.to_thread(join)


@dataclass(frozen=True)
class Storage:
    """The read-only use cases over the database."""

    reviews: ReviewReader
    audit: AuditService


@asynccontextmanager
async def opened_storage(config: Config) -> AsyncIterator[Storage]:
    """The database with its schema checked (migrated, on SQLite); the engine is disposed on leaving."""
    engine = create_engine(config.settings.database_url)
    try:
        await start_storage(engine, config.settings)
        sessions = session_factory(engine)
        clock = SystemClock()
        # People's names come from the cache only: these commands never ask Slack.
        people = PeopleNames(cache=SqlNameCache(engine), lookup=None, clock=clock)
        reviews = ReviewReader(uow=lambda: SqlUnitOfWork(sessions), clock=clock, policy=config.policy,
                               review_template=config.policy.review_template, people=people)
        yield Storage(reviews=reviews, audit=AuditService(uow=lambda: SqlUnitOfWork(sessions)))
    finally:
        await engine.dispose()
