"""Slack deliveries remembered in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import StorageUnavailable
from store.dedupe import SqlSeenRequests
from store.engine import create_engine

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_key_is_new_once_and_a_redelivery_after_that(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    assert await seen.first_time("T1", "event:Ev1", T0) is True
    assert await seen.first_time("T1", "event:Ev1", T0 + timedelta(minutes=1)) is False


async def test_the_same_key_in_another_workspace_is_new(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    assert await seen.first_time("T1", "event:Ev1", T0)
    assert await seen.first_time("T2", "event:Ev1", T0)


async def test_a_new_store_on_the_same_database_still_knows_the_key(engine: AsyncEngine) -> None:
    before_a_restart = SqlSeenRequests(engine)
    assert await before_a_restart.first_time("T1", "action:a:1.2:3.4", T0)
    await before_a_restart.flush()  # as Warroom.stop does
    assert not await SqlSeenRequests(engine).first_time("T1", "action:a:1.2:3.4", T0)


async def test_concurrent_deliveries_of_one_key_have_exactly_one_winner(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    results = await asyncio.gather(*(seen.first_time("T1", "event:EvRace", T0) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_many_deliveries_at_once_are_each_new_once_however_they_are_grouped(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    keys = [f"signed:v0={n:064x}" for n in range(300)] * 2
    results = await asyncio.gather(*(seen.first_time("T1", key, T0) for key in keys))
    # Exactly one delivery of each key is new. Which one is not promised: on PostgreSQL two batches are written at
    # once, and the later batch's INSERT may reach the server first.
    assert [first + again for first, again in zip(results[:300], results[300:], strict=True)] == [1] * 300
    await seen.flush()
    assert not await SqlSeenRequests(engine).first_time("T1", keys[0], T0)


async def test_long_keys_are_stored_as_a_digest_and_still_told_apart(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    long_a, long_b = "action:" + "a" * 300, "action:" + "a" * 299 + "b"
    assert await seen.first_time("T1", long_a, T0)
    assert await seen.first_time("T1", long_b, T0)
    assert not await seen.first_time("T1", long_a, T0)


async def test_pruning_forgets_only_what_is_older_than_the_cut(engine: AsyncEngine) -> None:
    seen = SqlSeenRequests(engine)
    await seen.first_time("T1", "event:old", T0)
    await seen.first_time("T1", "event:new", T0 + timedelta(hours=25))
    assert await seen.forget_before(T0 + timedelta(hours=1)) == 1
    assert await seen.first_time("T1", "event:old", T0 + timedelta(hours=26))
    assert not await seen.first_time("T1", "event:new", T0 + timedelta(hours=26))


async def test_an_unreachable_database_is_storage_unavailable_not_a_redelivery() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StorageUnavailable, match="unreachable"):
            await SqlSeenRequests(engine).first_time("T1", "event:Ev1", T0)
        seen = SqlSeenRequests(engine)
        results = await asyncio.gather(*(seen.first_time("T1", f"event:Ev{n}", T0) for n in range(5)),
                                       return_exceptions=True)
        assert [type(r) for r in results] == [StorageUnavailable] * 5
    finally:
        await engine.dispose()
