"""Read-only units of work on an engine of their own: they do not wait behind a write, and cannot write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.domain.incident import NewIncident
from store.dedupe import SqlSeenRequests
from store.engine import Engines, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _incident(number: int) -> NewIncident:
    return NewIncident(team_id="T1", number=number, title=f"Incident {number}", severity="sev2", status="investigating",
                    declared_by="U1", declared_at=NOW, channel_id=f"C{number}")


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[Engines]:
    opened = Engines.open(database_url)
    await upgrade(opened.write)
    yield opened
    await opened.dispose()


def _writes(engines: Engines) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engines.write))


def _reads(engines: Engines) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engines.read), read_only=True)


async def test_reads_and_delivery_records_have_engines_of_their_own_on_a_database_file(engines: Engines) -> None:
    assert engines.read is not engines.write
    if engines.write.dialect.name == "sqlite":
        assert engines.deliveries is engines.write  # written behind on the one writer
    else:
        assert engines.deliveries is not engines.write


async def test_a_read_does_not_wait_for_a_write_in_progress_and_sees_only_what_was_committed(engines: Engines) -> None:
    async with _writes(engines) as uow:
        await uow.incidents.add(_incident(1))
        await uow.commit()
    async with _writes(engines) as writing:
        await writing.incidents.add(_incident(2))  # holds SQLite's only writer connection until it ends
        async with asyncio.timeout(5), _reads(engines) as reading:
            found = await reading.incidents.list_by_status("T1", ["investigating"])
            by_channel = await reading.incidents.get_by_channel("T1", "C1")
        await writing.commit()
    assert [i.number for i in found] == [1]
    assert by_channel is not None and by_channel.number == 1
    async with _reads(engines) as reading:
        assert len(await reading.incidents.list_by_status("T1", ["investigating"])) == 2


async def test_a_read_only_unit_of_work_cannot_commit_or_write(engines: Engines) -> None:
    async with _reads(engines) as uow:
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.commit()
    with pytest.raises((OperationalError, DBAPIError), match="(?i)read.only|readonly"):
        async with _reads(engines) as uow:
            await uow.incidents.add(_incident(3))
    async with _reads(engines) as uow:
        assert await uow.incidents.list_by_status("T1", ["investigating"]) == []


async def test_an_in_memory_sqlite_database_is_read_where_it_is_written() -> None:
    engines = Engines.open("sqlite+aiosqlite:///:memory:")
    try:
        assert engines.read is engines.write and engines.deliveries is engines.write
    finally:
        await engines.dispose()


async def test_delivery_records_on_their_engine_tell_the_first_delivery_from_a_redelivery(engines: Engines) -> None:
    seen = SqlSeenRequests(engines.deliveries)  # PostgreSQL: autocommit, each batch one INSERT
    first = await asyncio.gather(*(seen.first_time("T1", f"event:E{i % 3}", NOW) for i in range(6)))
    assert sorted(first) == [False, False, False, True, True, True]
    assert await seen.first_time("T1", "event:E1", NOW) is False
    await seen.flush()
    assert await SqlSeenRequests(engines.deliveries).first_time("T1", "event:E2", NOW) is False  # kept in the database


async def test_a_key_delivered_again_while_its_first_batch_is_being_written_is_not_new(engines: Engines) -> None:
    seen = SqlSeenRequests(engines.deliveries)
    first = asyncio.create_task(seen.first_time("T1", "event:EvTwice", NOW))
    async with asyncio.timeout(5):
        while seen._queue or not first.done() and not seen._writers:  # the first batch taken (or written behind)
            await asyncio.sleep(0)
    again = asyncio.create_task(seen.first_time("T1", "event:EvTwice", NOW))
    if engines.write.dialect.name == "postgresql":
        await asyncio.sleep(0)
        assert sum(not w.done() for w in seen._writers) == 2  # two batches in flight, one key in both
    assert sorted(await asyncio.gather(first, again)) == [False, True]
    await seen.flush()
