"""Claiming due timers reads the timers that are due, through the (state, due_at) index: the cost of a
poll does not grow with the thousands of timers still pending (SQLite's query plans; PostgreSQL picks
plans from table statistics, so its plan is not pinned here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.domain.incident import NewIncident
from bot.domain.timers import Timer, TimerKind
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def test_a_claim_searches_the_due_index_and_scans_no_table(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'claims.db'}")
    await upgrade(engine)
    sessions = session_factory(engine)
    async with SqlUnitOfWork(sessions) as uow:
        incident = await uow.incidents.add(NewIncident(team_id="T1", number=1, title="Imports failing", severity="SEV1",
                                                    status="investigating", declared_by="U1", declared_at=NOW))
        await uow.timers.replan("T1", incident.id, [
            Timer(team_id="T1", incident_id=incident.id, kind=TimerKind.UPDATE_DUE, due_at=NOW + timedelta(minutes=n))
            for n in range(-2, 200)])
        await uow.commit()
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    async with SqlUnitOfWork(sessions) as uow:
        claimed = await uow.timers.claim_due(NOW, NOW + timedelta(seconds=60), 50)
        await uow.commit()
    assert [t.due_at for t in claimed] == [NOW - timedelta(minutes=2), NOW - timedelta(minutes=1), NOW]
    plans = []
    async with engine.connect() as conn:
        for statement, parameters in statements:
            if "FROM timer" in statement:
                rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()
                plans.append([row[-1] for row in rows])
    await engine.dispose()
    assert plans, "the claim read no timers"
    for plan in plans:
        assert not any(step.startswith("SCAN timer") for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # in due order from the index: no sort of all due
        assert any("timer USING" in step and ("ix_timer_due" in step or "PRIMARY KEY" in step) for step in plan), plan
