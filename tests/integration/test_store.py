"""The SQL store on SQLite and PostgreSQL: migrations, repositories, the unit of work."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bot.domain.errors import StorageUnavailable
from bot.domain.incident import AuditEvent, NewIncident, TimelineEntry, TimelineKind
from store.engine import create_engine, session_factory
from store.migrate import current_revision, ensure_current, head_revision, upgrade
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _incident(team: str = "T1", number: int = 1, **kw: object) -> NewIncident:
    base = dict(team_id=team, number=number, title="Imports failing", severity="SEV1", status="investigating",
                declared_by="U1", declared_at=NOW)
    return NewIncident(**{**base, **kw})  # type: ignore[arg-type]


def uow(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engine))


async def test_migrating_an_empty_database_reaches_head_and_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()

        def tables_and_columns(conn: object) -> dict[str, set[str]]:
            insp = inspect(conn)
            return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names() if t != "alembic_version"}

        async with engine.connect() as conn:
            migrated = await conn.run_sync(tables_and_columns)
        modelled = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.sorted_tables}
        assert migrated == modelled
    finally:
        await engine.dispose()


async def test_the_models_need_no_migration_that_is_not_written(engine: AsyncEngine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def diff(conn: object) -> list[object]:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)  # type: ignore[arg-type]

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_a_database_behind_the_code_is_refused_with_the_fix(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with pytest.raises(StorageUnavailable, match="Run `warroom migrate`"):
            await ensure_current(engine)
    finally:
        await engine.dispose()


async def test_an_incident_round_trips_with_aware_utc_times(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        stored = await u.incidents.add(_incident(service="imports", summary="CSV 500s"))
        await u.commit()
    async with uow(engine) as u:
        loaded = await u.incidents.get("T1", stored.id)  # type: ignore[arg-type]
    assert loaded == stored
    assert loaded is not None and loaded.declared_at.tzinfo is not None and loaded.declared_at == NOW


async def test_without_commit_nothing_is_saved(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        await u.incidents.add(_incident())
    async with uow(engine) as u:
        assert await u.incidents.list_declared_since("T1", NOW - timedelta(days=1)) == []


async def test_incidents_declared_in_a_period_are_read_without_the_later_ones(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        for number, days in ((1, 10), (2, 5), (3, 1)):
            await u.incidents.add(_incident(number=number, declared_at=NOW - timedelta(days=days)))
        await u.commit()
    async with uow(engine) as u:
        period = await u.incidents.list_declared_since("T1", NOW - timedelta(days=11), NOW - timedelta(days=5))
        open_ended = await u.incidents.list_declared_since("T1", NOW - timedelta(days=6))
    assert [i.number for i in period] == [1]  # the end is exclusive: incident 2 is declared exactly at it
    assert [i.number for i in open_ended] == [3, 2]  # newest first


async def test_incident_numbers_are_per_workspace_and_never_repeat_under_concurrency(engine: AsyncEngine) -> None:
    async def allocate(team: str) -> int:
        async with uow(engine) as u:
            n = await u.incidents.allocate_number(team)
            await u.commit()
            return n

    numbers = await asyncio.gather(*(allocate("T1") for _ in range(15)))
    assert sorted(numbers) == list(range(1, 16))
    assert await allocate("T2") == 1


async def test_every_query_is_scoped_to_the_workspace(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        mine = await u.incidents.add(_incident("T1", channel_id="C1"))
        await u.timeline.add(TimelineEntry(incident_id=mine.id, team_id="T1", kind=TimelineKind.NOTE,  # type: ignore[arg-type]
                                           text="n", author="U1", occurred_at=NOW))
        await u.commit()
    async with uow(engine) as u:
        assert await u.incidents.get("T2", mine.id) is None  # type: ignore[arg-type]
        assert await u.incidents.get_by_channel("T2", "C1") is None
        assert await u.incidents.get_by_number("T2", 1) is None
        assert await u.incidents.list_by_status("T2", ["investigating"]) == []
        assert await u.timeline.list_for("T2", mine.id) == []  # type: ignore[arg-type]
        assert (await u.incidents.get_by_channel("T1", "C1")) == mine


async def test_the_same_number_twice_in_a_workspace_is_refused(engine: AsyncEngine) -> None:
    from sqlalchemy.exc import IntegrityError

    async with uow(engine) as u:
        await u.incidents.add(_incident(number=5))
        await u.commit()
    with pytest.raises(IntegrityError):
        async with uow(engine) as u:
            await u.incidents.add(_incident(number=5))
            await u.commit()


async def test_timeline_and_audit_come_back_in_time_order(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        inc = await u.incidents.add(_incident())
        for minutes in (5, 1, 3):
            at = NOW + timedelta(minutes=minutes)
            await u.timeline.add(TimelineEntry(incident_id=inc.id, team_id="T1", kind=TimelineKind.NOTE,  # type: ignore[arg-type]
                                               text=f"m{minutes}", author="U1", occurred_at=at))
            await u.audit.add(AuditEvent(team_id="T1", incident_id=inc.id, actor="U1", action=f"a{minutes}",
                                         at=at, before={"x": 1}, after={"x": minutes}))
        await u.commit()
    async with uow(engine) as u:
        assert [e.text for e in await u.timeline.list_for("T1", inc.id)] == ["m1", "m3", "m5"]  # type: ignore[arg-type]
        events = await u.audit.list_for("T1", inc.id)  # type: ignore[arg-type]
        assert [e.action for e in events] == ["a1", "a3", "a5"] and events[0].after == {"x": 1}


async def test_counts_by_status_cover_every_workspace(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        await u.incidents.add(_incident("T1", 1))
        await u.incidents.add(_incident("T2", 1, status="resolved"))
        await u.commit()
    async with uow(engine) as u:
        assert await u.incidents.count_by_status() == {"investigating": 1, "resolved": 1}


async def test_an_unreachable_database_is_reported_as_storage_unavailable() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StorageUnavailable, match="nothing was saved"):
            async with uow(engine) as u:
                await u.incidents.get("T1", 1)
    finally:
        await engine.dispose()


async def test_an_incident_keeps_its_class(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        stored = await u.incidents.add(_incident(incident_class="queue-failure"))
        await u.commit()
    async with uow(engine) as u:
        loaded = await u.incidents.get("T1", stored.id)
    assert loaded is not None and loaded.incident_class == "queue-failure"

