"""The store when the database goes away and comes back: StorageUnavailable, then recovery by itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import StorageUnavailable
from bot.domain.incident import NewIncident
from bot.health import check_database
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.pgcluster import PgCluster, throwaway_cluster

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    with throwaway_cluster() as running:
        yield running


@pytest.fixture
async def pg_engine(cluster: PgCluster) -> AsyncIterator[AsyncEngine]:
    if not cluster.running():  # a failed test may have left it stopped
        await cluster.start()
    engine = create_engine(await cluster.create_database())
    await upgrade(engine)
    yield engine
    if not cluster.running():
        await cluster.start()
    await engine.dispose()


def _incident(n: int) -> NewIncident:
    return NewIncident(team_id="T1", number=n, title=f"Incident {n}", severity="sev2", status="investigating",
                       declared_by="U1", declared_at=T0)


async def _add(engine: AsyncEngine, n: int) -> None:
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        await uow.incidents.add(_incident(n))
        await uow.commit()


async def _numbers(engine: AsyncEngine) -> list[int]:
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        return sorted(i.number for i in await uow.incidents.list_by_status("T1", ["investigating"]))


async def test_a_stopped_postgresql_is_unavailable_and_the_same_engine_recovers_when_it_starts(
        cluster: PgCluster, pg_engine: AsyncEngine) -> None:
    await _add(pg_engine, 1)
    await cluster.stop()
    with pytest.raises(StorageUnavailable, match="unreachable"):
        await _add(pg_engine, 2)
    health = await check_database(pg_engine)
    assert not health.ok and health.detail.startswith("unreachable")

    await cluster.start()
    assert (await check_database(pg_engine)).ok
    await _add(pg_engine, 3)
    assert await _numbers(pg_engine) == [1, 3]


async def test_a_transaction_cut_off_by_the_stop_is_unavailable_and_leaves_nothing(
        cluster: PgCluster, pg_engine: AsyncEngine) -> None:
    with pytest.raises(StorageUnavailable):
        async with SqlUnitOfWork(session_factory(pg_engine)) as uow:
            await uow.incidents.add(_incident(1))  # flushed on the connection the stop then cuts off
            await cluster.stop()
            await uow.commit()
    await cluster.start()
    assert await _numbers(pg_engine) == []


async def test_a_sqlite_file_that_cannot_be_opened_is_unavailable_until_it_can(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'warroom.db'}")
    try:
        await upgrade(engine)
        await _add(engine, 1)
        await engine.dispose()  # as after a lost connection: the next use opens the file again
        folder.rename(tmp_path / "moved")
        folder.write_text("not a folder")  # root ignores permissions; a file in the way stops even root
        with pytest.raises(StorageUnavailable, match="unreachable"):
            await _add(engine, 2)
        assert not (await check_database(engine)).ok

        folder.unlink()
        (tmp_path / "moved").rename(folder)
        await _add(engine, 3)
        assert await _numbers(engine) == [1, 3]
    finally:
        await engine.dispose()
