"""One change, one transaction: declare, handover and resolve each commit everything they cause at once.

Commits are counted on the real engine (SQLite and PostgreSQL) with the statements each committed
transaction ran: the incident, its timeline entry, audit record, timers and queued Slack calls
(the card, the runbook suggestion, the handover summary, the review) land in one, or in none.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Warroom, create_app
from bot.config import load_config
from bot.domain.incident import Incident
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from store.engine import session_factory
from store.outbox import OutboxRow
from tests.e2e.harness import bot_environ

WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)', re.IGNORECASE)
NAME_CACHE = "person_name"  # the review's display names are cached on their own: not part of the change
THE_CHANGE = {"incident", "timeline_entry", "audit_event", "timer", "outbox"}


@dataclass
class Transaction:
    """The writes of one committed transaction: (table, parameters) in order."""

    writes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def tables(self) -> set[str]:
        return {table for table, _ in self.writes}

    def wrote(self, table: str, text: str) -> bool:
        """Whether a write to `table` carried `text` in its parameters."""
        return any(t == table and text in params for t, params in self.writes)


class Commits:
    """Every write transaction committed on the engine, with what it wrote (read-only ones are not counted)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.committed: list[Transaction] = []
        self._open: dict[int, Transaction] = {}

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _statement(conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            found = WRITE.match(statement)
            if found:
                self._open.setdefault(id(conn), Transaction()).writes.append((found.group(1).lower(), str(parameters)))

        @event.listens_for(engine.sync_engine, "commit")
        def _commit(conn: Any) -> None:
            done = self._open.pop(id(conn), None)
            if done is not None:
                self.committed.append(done)

        @event.listens_for(engine.sync_engine, "rollback")
        def _rollback(conn: Any) -> None:
            self._open.pop(id(conn), None)

    def take(self) -> list[Transaction]:
        """The write transactions committed since the last take, the name cache's own left out."""
        taken, self.committed = self.committed, []
        return [t for t in taken if t.tables != {NAME_CACHE}]


@pytest.fixture
async def warroom(fake_slack: FakeSlack, engine: AsyncEngine, database_url: str,
                  tmp_path: Path) -> AsyncIterator[Warroom]:
    """Warroom's real wiring on a migrated database; the outbox sender is not started, so calls stay queued."""
    env = bot_environ(fake_slack, database_url, WARROOM_CONFIG=str(tmp_path / "warroom.yaml"))
    app = create_app(load_config(env, env_file=None), engine=engine)
    try:
        yield app
    finally:
        if app.client.session is not None:
            await app.client.session.close()


async def _outbox_texts(engine: AsyncEngine, team_id: str) -> list[str]:
    async with session_factory(engine)() as s:
        rows = (await s.exec(select(OutboxRow).where(OutboxRow.team_id == team_id))).all()  # type: ignore[call-overload]
    return [str(r[0].params) for r in rows]


async def _declare(warroom: Warroom, team_id: str) -> Incident:
    result = await warroom.services.declare(DeclareRequest(
        team_id=team_id, user_id="U1", severity="sev1", title="Imports failing", service="imports"), force=True)
    assert result.incident is not None
    return result.incident


async def test_declare_commits_the_incident_and_all_it_causes_in_one_transaction_after_the_channel(
        warroom: Warroom, engine: AsyncEngine, fake_slack: FakeSlack) -> None:
    commits, team = Commits(engine), fake_slack.state.team_id

    incident = await _declare(warroom, team)

    number, change = commits.take()  # the number is taken before the channel is created; then one change
    assert "incident" not in number.tables and "workspace" in number.tables
    assert THE_CHANGE <= change.tables, change.tables
    assert change.wrote("outbox", "Runbooks that may help"), "the runbook suggestion is queued with the incident"
    assert change.wrote("outbox", "conversations.setTopic") and change.wrote("outbox", incident.ref)
    texts = await _outbox_texts(engine, team)
    assert any("Runbooks that may help" in t for t in texts) and any(incident.ref in t for t in texts)
    assert await warroom.services.timers.pending() > 0
    assert [e.action for e in await warroom.services.incidents.audit(team, incident.id)] == ["incident.declared"]  # type: ignore[arg-type]


async def test_handover_commits_the_role_its_records_and_the_summary_in_one_transaction(
        warroom: Warroom, engine: AsyncEngine, fake_slack: FakeSlack) -> None:
    team = fake_slack.state.team_id
    incident = await _declare(warroom, team)
    commits = Commits(engine)

    await warroom.services.roles.handover(team, incident.id, "U1", "U2", ["Imports drill: look (pending)"])  # type: ignore[arg-type]

    [change] = commits.take()
    assert {"incident", "role_assignment", "timeline_entry", "audit_event", "outbox"} <= change.tables, change.tables
    assert change.wrote("outbox", "Handover: <@U2> is now incident commander")
    assert change.wrote("audit_event", "role.handed_over") and change.wrote("timeline_entry", "took over as")
    assert any("Handover" in t for t in await _outbox_texts(engine, team))


async def test_resolve_commits_the_status_its_timers_and_the_review_in_one_transaction(
        warroom: Warroom, engine: AsyncEngine, fake_slack: FakeSlack) -> None:
    team = fake_slack.state.team_id
    incident = await _declare(warroom, team)
    commits = Commits(engine)

    await warroom.services.reviews.resolve(team, incident.id, "U1", {"resolution": "Rolled back the importer"})  # type: ignore[arg-type]

    [change] = commits.take()
    assert THE_CHANGE <= change.tables, change.tables
    assert change.wrote("outbox", "post-incident review") and change.wrote("outbox", "files.uploadExternal")
    assert change.wrote("audit_event", "incident.status_changed")
    resolved = await warroom.services.incidents.for_channel(team, incident.channel_id)  # type: ignore[arg-type]
    assert resolved.status == "resolved"
    assert sum("post-incident review" in t for t in await _outbox_texts(engine, team)) >= 2  # the messages and the file
