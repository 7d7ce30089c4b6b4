"""The audit hash chain on SQLite and PostgreSQL: appends, append-only triggers, verify and export."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import store.columns
from bot.cli_audit import add_audit_commands
from bot.domain.audit_chain import ChainHead, verify_chain
from bot.domain.errors import InvalidCommand
from bot.domain.incident import AuditEvent, Incident, NewIncident
from bot.services.audit import AuditService
from store.engine import create_engine, session_factory
from store.migrate import alembic_config, upgrade
from store.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def uow(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory(engine))


def _event(team: str = "T1", i: int = 1, incident_id: int | None = None) -> AuditEvent:
    return AuditEvent(team_id=team, actor=f"U{i}", action=f"incident.step{i}", at=NOW + timedelta(minutes=i),
                      incident_id=incident_id, before={"n": i - 1}, after={"n": i})


async def _append(engine: AsyncEngine, *events: AuditEvent) -> list[AuditEvent]:
    async with uow(engine) as u:
        stored = [await u.audit.add(e) for e in events]
        await u.commit()
    return stored


async def _declare(engine: AsyncEngine, team: str) -> Incident:
    async with uow(engine) as u:
        number = await u.incidents.allocate_number(team)
        incident = await u.incidents.add(NewIncident(team_id=team, number=number, title="Imports failing",
                                                     severity="SEV1", status="investigating", declared_by="U1",
                                                     declared_at=NOW))
        await u.commit()
    return incident


async def _verify(engine: AsyncEngine) -> list[str]:
    report = await AuditService(uow=lambda: uow(engine)).verify()
    return [str(p) for p in report.problems]


async def _tamper(engine: AsyncEngine, *statements: str) -> None:
    """Run statements the way someone with database access would: with the triggers out of the way."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            await conn.execute(sa.text("DROP TRIGGER audit_event_no_update"))
            await conn.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
        for statement in statements:
            await conn.execute(sa.text(statement))


def _cli(*argv: str) -> int:
    """`warroom audit ...` in this process, through the parser the `warroom` command adds."""
    parser = argparse.ArgumentParser(prog="warroom")
    add_audit_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the in-process CLI at the test database (and away from any .env in the checkout)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)


async def test_appends_build_one_valid_chain_per_workspace(engine: AsyncEngine) -> None:
    stored = await _append(engine, _event("T1", 1), _event("T2", 1), _event("T1", 2), _event("T1", 3))
    assert [(e.team_id, e.seq) for e in stored] == [("T1", 1), ("T2", 1), ("T1", 2), ("T1", 3)]

    async with uow(engine) as u:
        chain = await u.audit.chain("T1")
        assert await u.audit.teams() == ["T1", "T2"]
    assert [r.seq for r in chain.records] == [1, 2, 3]
    assert chain.records[1].prev_hash == chain.records[0].hash and chain.records[2] == stored[3]
    assert chain.head == ChainHead("T1", 3, stored[3].hash or "")
    assert verify_chain(chain) == [] and await _verify(engine) == []


async def test_an_append_that_is_rolled_back_gives_its_seq_to_the_next(engine: AsyncEngine) -> None:
    async with uow(engine) as u:
        await u.audit.add(_event())  # no commit
    [stored] = await _append(engine, _event(i=2))
    assert stored.seq == 1 and await _verify(engine) == []


async def test_concurrent_appends_in_one_workspace_take_every_seq_once(engine: AsyncEngine) -> None:
    async def append(i: int) -> None:
        await _append(engine, _event("T1", i))

    await asyncio.gather(*(append(i) for i in range(1, 21)))
    async with uow(engine) as u:
        chain = await u.audit.chain("T1")
    assert sorted(r.seq for r in chain.records) == list(range(1, 21))  # type: ignore[type-var]
    assert chain.head is not None and chain.head.seq == 20
    assert verify_chain(chain) == []


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET actor = 'U666'", "DELETE FROM audit_event"])
async def test_the_database_refuses_to_change_or_delete_audit_records(engine: AsyncEngine, statement: str) -> None:
    await _append(engine, _event())
    with pytest.raises(IntegrityError, match="audit_event is append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))
    assert await _verify(engine) == []


@pytest.mark.parametrize(("statement", "message"), [
    ("DELETE FROM audit_chain_head", "DELETE is not allowed"),
    ("UPDATE audit_chain_head SET seq = 0", "only advances one record at a time"),
])
async def test_the_chain_head_only_moves_forward(engine: AsyncEngine, statement: str, message: str) -> None:
    await _append(engine, _event())
    with pytest.raises(IntegrityError, match=message):
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))


async def test_verify_lists_records_changed_or_deleted_directly_in_the_database(
    engine: AsyncEngine, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    await _append(engine, *(_event("T1", i) for i in range(1, 6)), _event("T2", 1))
    assert await asyncio.to_thread(_cli, "audit", "verify") == 0
    assert capsys.readouterr().out == "audit chain intact: 6 records in 2 workspaces\n"

    await _tamper(engine, "UPDATE audit_event SET actor = 'U666' WHERE team_id = 'T1' AND seq = 2",
                  "DELETE FROM audit_event WHERE team_id = 'T1' AND seq = 4")
    assert await asyncio.to_thread(_cli, "audit", "verify") == 1
    assert capsys.readouterr().out == (
        "audit chain BROKEN: 2 problems (5 records in 2 workspaces)\n"
        "  T1 seq 2: changed: its contents do not match its hash (the record was edited)\n"
        "  T1 seq 4: missing: seq 4 is missing (deleted)\n"
    )
    assert await asyncio.to_thread(_cli, "audit", "verify", "--team", "T2") == 0
    assert capsys.readouterr().out == "audit chain intact: 1 record in 1 workspace\n"


async def test_warroom_audit_verify_detects_a_record_changed_in_the_database(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _append(engine, *(_event("T1", i) for i in range(1, 4)))
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    env = {**keep, "DATABASE_URL": database_url}

    async def warroom_audit_verify() -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "audit", "verify", env=env,
                                                    cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        return proc.returncode or 0, out.decode(), err.decode()

    code, out, err = await warroom_audit_verify()
    assert (code, out) == (0, "audit chain intact: 3 records in 1 workspace\n"), err

    await _tamper(engine, "UPDATE audit_event SET actor = 'U666' WHERE team_id = 'T1' AND seq = 2")
    code, out, err = await warroom_audit_verify()
    assert code == 1, err
    assert "T1 seq 2: changed: its contents do not match its hash" in out


async def test_export_prints_the_incidents_events_as_json_and_csv(
    engine: AsyncEngine, cli_env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second = await _declare(engine, "T1"), await _declare(engine, "T1")
    await _append(engine, _event("T1", 1, first.id), _event("T1", 2, second.id), _event("T1", 3, first.id))

    assert await asyncio.to_thread(_cli, "audit", "export", "INC-1", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["team_id"], document["incident"]) == ("T1", "INC-1")
    assert [(e["seq"], e["action"], e["before"], e["after"]) for e in document["events"]] == [
        (1, "incident.step1", {"n": 0}, {"n": 1}), (3, "incident.step3", {"n": 2}, {"n": 3})]
    assert document["events"][0]["at"] == "2026-11-22T14:01:00+00:00"

    out = tmp_path / "audit.csv"
    assert await asyncio.to_thread(_cli, "audit", "export", "inc-2", "--team", "T1", "--format", "csv", "-o", str(out)) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["seq"], r["actor"], r["after"], len(r["hash"])) for r in rows] == [("2", "U2", '{"n":2}', 64)]


async def test_export_without_a_team_needs_one_when_several_workspaces_have_incidents(
    engine: AsyncEngine, cli_env: None
) -> None:
    await _declare(engine, "T1")
    await _declare(engine, "T2")
    with pytest.raises(InvalidCommand, match="Name the workspace with --team"):
        await asyncio.to_thread(_cli, "audit", "export", "INC-1")


def _run_alembic(conn: Connection, action: str, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    getattr(command, action)(cfg, revision)


_AUDIT_0002 = sa.table(
    "audit_event", sa.column("team_id", sa.String()), sa.column("incident_id", sa.Integer()),
    sa.column("actor", sa.String()), sa.column("action", sa.String()), sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()), sa.column("at", store.columns.UTCDateTime()),
)


async def test_upgrading_a_database_with_audit_records_chains_them_in_time_order(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0002")
        async with engine.begin() as conn:
            await conn.execute(_AUDIT_0002.insert(), [
                {"team_id": "T1", "incident_id": None, "actor": "U1", "action": "late", "before": {},
                 "after": {"k": [1, "é"]}, "at": NOW + timedelta(minutes=5)},
                {"team_id": "T2", "incident_id": None, "actor": "U2", "action": "other", "before": {"a": 1},
                 "after": {}, "at": NOW},
                {"team_id": "T1", "incident_id": None, "actor": "U1", "action": "early", "before": {},
                 "after": {}, "at": NOW},
            ])
        await upgrade(engine)
        async with uow(engine) as u:
            chain = await u.audit.chain("T1")
        assert [(r.seq, r.action) for r in chain.records] == [(1, "early"), (2, "late")]
        assert await _verify(engine) == []

        [appended] = await _append(engine, _event("T1", 9))
        assert appended.seq == 3 and appended.prev_hash == chain.records[-1].hash
        assert await _verify(engine) == []

        async with engine.begin() as conn:
            await conn.run_sync(_run_alembic, "downgrade", "0002")
        async with engine.begin() as conn:  # the triggers went with the revision
            await conn.execute(sa.text("UPDATE audit_event SET actor = 'U7' WHERE action = 'late'"))
        async with engine.begin() as conn:
            await conn.run_sync(_run_alembic, "upgrade", "head")
        assert await _verify(engine) == []
    finally:
        await engine.dispose()
