"""A use case whose transaction loses a race is run again, once, from the start; one that saved is not."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from bot.app import build_services
from bot.config import load_policy
from bot.domain.commits import committed
from bot.domain.errors import TransactionConflict
from bot.domain.incident import Incident
from bot.services.audit import AuditService
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from bot.services.retry import ATTEMPTS, retried
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork, is_conflict
from tests.databases import fresh_database
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("orig", "conflict"), [
    (_PgError("40P01"), True),  # deadlock_detected
    (_PgError("40001"), True),  # serialization_failure
    (_PgError("23505"), False),  # unique_violation: a bug or a refused write, not a race
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: incident"), False),
])
def test_a_lost_race_is_told_apart_from_other_database_errors(orig: Exception, conflict: bool) -> None:
    error = (OperationalError if isinstance(orig, sqlite3.Error) else DBAPIError)("SELECT 1", {}, orig)
    assert is_conflict(error) is conflict


async def test_a_use_case_that_lost_a_race_before_saving_anything_runs_again_until_it_lands() -> None:
    runs = 0

    @retried
    async def change() -> str:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise TransactionConflict("lost a race")
        committed()
        return "landed"

    assert await change() == "landed" and runs == 3


async def test_a_use_case_that_saved_something_is_not_run_again_after_a_later_conflict() -> None:
    runs = 0

    @retried
    async def change() -> None:
        nonlocal runs
        runs += 1
        committed()  # its first transaction committed; the next one loses a race
        raise TransactionConflict("lost a race")

    with pytest.raises(TransactionConflict):
        await change()
    assert runs == 1


async def test_a_use_case_that_keeps_losing_gives_up_after_the_last_attempt() -> None:
    runs = 0

    @retried
    async def change() -> None:
        nonlocal runs
        runs += 1
        raise TransactionConflict("lost a race")

    with pytest.raises(TransactionConflict):
        await change()
    assert runs == ATTEMPTS


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, str]]:
    async with fresh_database("postgresql", tmp_path) as url:
        engine = create_engine(url)
        await upgrade(engine)
        yield engine, url.replace("postgresql+asyncpg://", "postgresql://")
        await engine.dispose()


async def _declared(engine: AsyncEngine) -> tuple[Services, Incident]:
    services = build_services(uow=lambda: SqlUnitOfWork(session_factory(engine)), chat=FakeChat(), clock=FakeClock(),
                              policy=load_policy(None), directory=FakeDirectory(), runbook_chat=FakeRunbookChat(),
                              runner=FakeStepRunner(), catalog={})
    result = await services.incidents.declare(DeclareRequest(team_id="T1", user_id="U1", severity="sev1",
                                                             title="Imports failing"))
    assert result.incident is not None
    return services, result.incident


async def _waiting(other: asyncpg.Connection, seconds: float = 10.0) -> None:
    """Until some backend waits for a lock (polled with a deadline)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await other.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
        assert asyncio.get_running_loop().time() < deadline, "the status change never waited for the row"
        await asyncio.sleep(0.02)


async def test_a_status_change_that_loses_a_deadlock_on_postgresql_is_run_again_and_lands_once(
        pg: tuple[AsyncEngine, str]) -> None:
    engine, dsn = pg
    services, incident = await _declared(engine)
    assert incident.id is not None
    other = await asyncpg.connect(dsn)  # someone taking the same two locks in the other order
    try:
        with capture_logs() as logs:
            async with other.transaction():
                await other.execute("SET LOCAL deadlock_timeout = '60s'")  # so PostgreSQL picks the status change
                await other.execute("SELECT id FROM incident WHERE id = $1 FOR UPDATE", incident.id)
                change = asyncio.create_task(services.incidents.change_status("T1", incident.id, "U1", "identified"))
                await _waiting(other)  # it holds the workspace's chain head and waits for the incident
                await other.fetchval("SELECT seq FROM audit_chain_head WHERE team_id = 'T1' FOR UPDATE")
            changed = await change  # the other transaction ended: the second attempt goes through
    finally:
        await other.close()

    assert changed.status == "identified"
    retried_events = [e for e in logs if e["event"] == "transaction_conflict_retried"]
    assert [e["attempt"] for e in retried_events] == [1]
    entries = await services.incidents.timeline("T1", incident.id)
    assert Counter(e.text for e in entries)["Status investigating → identified"] == 1
    actions = Counter(e.action for e in await services.incidents.audit("T1", incident.id))
    assert actions["incident.status_changed"] == 1
    assert (await AuditService(uow=lambda: SqlUnitOfWork(session_factory(engine))).verify("T1")).intact
