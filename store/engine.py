"""Async engines for SQLite and PostgreSQL: one for changes, one for reads, one for delivery records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

CONNECT_SECONDS = 2.0
STATEMENT_SECONDS = 30.0
READERS = 4  # read connections beside SQLite's one writer


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine (the writer's, unless `kwargs` say otherwise).

    SQLite (one process) gets a single pooled connection: transactions queue for it in asyncio
    instead of several connections fighting over SQLite's write lock in its busy handler, whose
    sleeps made declares take seconds under load (bench/run.py). WAL and foreign keys are on.
    """
    if url.startswith("sqlite"):
        if ":memory:" not in url and "poolclass" not in kwargs:
            kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 10, **kwargs}
        return _sqlite(url, read_only=False, **kwargs)
    # A dead server fails fast: connecting gives up after CONNECT_SECONDS, a hung statement after
    # STATEMENT_SECONDS, and connections the server dropped are swapped out as they are taken from the
    # pool, so the pool recovers by itself when the database is back. A request that cannot get a
    # connection in 10 s (all busy) is told "not saved, try again". The pool keeps what it opened (no
    # overflow): a connection opened and closed again as load comes and goes costs a TLS attempt, the
    # login and the driver's type set-up each time.
    engine = create_async_engine(url, **{
        "pool_size": 20, "max_overflow": 0, "pool_timeout": 10,
        "connect_args": {"timeout": CONNECT_SECONDS, "command_timeout": STATEMENT_SECONDS}, **kwargs})
    event.listen(engine.sync_engine.pool, "checkout", _swap_out_if_closed)
    return engine


def _swap_out_if_closed(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A connection the server closed (a restart, an idle timeout) is replaced before it is used.

    What `pool_pre_ping` does, without its round trips: asyncpg's ping is BEGIN, a query and ROLLBACK,
    three waits for the server before every unit of work. asyncpg knows a connection closed from its
    socket; one that died silently fails its first statement, and the pool starts afresh after it.
    """
    if dbapi_conn.driver_connection.is_closed():
        raise DisconnectionError("the database closed this connection")


def create_read_engine(url: str) -> AsyncEngine | None:
    """An engine for read-only units of work, whose reads never queue behind a write; None for an
    in-memory SQLite database (only its one connection sees it).

    SQLite in WAL mode lets readers go on while the writer writes: READERS connections with
    `query_only` on, so a write sent there by mistake fails instead of fighting the writer for the
    lock. PostgreSQL: a pool of its own whose transactions are read-only.
    """
    if url.startswith("sqlite"):
        if ":memory:" in url:
            return None
        return _sqlite(url, read_only=True, pool_size=READERS, max_overflow=0, pool_timeout=10)
    # Autocommit: each read is one statement and one round trip (no BEGIN and ROLLBACK around it); what it
    # sees is what it would in a READ COMMITTED transaction, whose every statement takes a new snapshot.
    return create_engine(url, pool_size=2 * READERS, isolation_level="AUTOCOMMIT", connect_args={
        "timeout": CONNECT_SECONDS, "command_timeout": STATEMENT_SECONDS,
        "server_settings": {"default_transaction_read_only": "on"}})


def _sqlite(url: str, *, read_only: bool, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        if ":memory:" not in url and not read_only:  # WAL is kept in the file: the writer sets it once
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


@dataclass(frozen=True)
class Engines:
    """The engines of one Warroom process.

    `write`: units of work that change something (on SQLite its single connection). `read`:
    read-only units of work (`/incident list`, the incident of a channel, permission checks),
    which would otherwise wait behind every write for SQLite's one connection. `deliveries`: the
    delivery records written before an ack on PostgreSQL (store/dedupe.py), on a connection of
    their own so an ack never waits for the writers' pool; SQLite writes them behind, on the writer.
    """

    write: AsyncEngine
    read: AsyncEngine
    deliveries: AsyncEngine

    @classmethod
    def open(cls, url: str) -> Engines:
        """Build the engines for `url` (nothing connects until used)."""
        write = create_engine(url)
        if write.dialect.name == "sqlite":
            return cls(write=write, read=create_read_engine(url) or write, deliveries=write)
        # Each batch of delivery records is one INSERT: in autocommit it is its own transaction, one round
        # trip before the acks that wait for it instead of three (BEGIN, INSERT, COMMIT).
        return cls(write=write, read=create_read_engine(url) or write,
                   deliveries=create_engine(url, pool_size=2, isolation_level="AUTOCOMMIT"))

    @classmethod
    def single(cls, engine: AsyncEngine) -> Engines:
        """One engine for everything (tests that watch or build the engine themselves)."""
        return cls(write=engine, read=engine, deliveries=engine)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        for engine in {id(e): e for e in (self.deliveries, self.read, self.write)}.values():
            await engine.dispose()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy loads escape)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
