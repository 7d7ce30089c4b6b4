"""Changes of every kind to one workspace at once: each lands exactly once, none is dropped, the chain holds.

Two incidents of one workspace get, in each round and all at the same moment, a status change, a
severity change, a role assignment, a note, a pin, an unpin or a deletion of an earlier pinned
message (`timeline.withdrawn`), a follow-up and a runbook attachment. On PostgreSQL these took
their row locks in different orders and deadlocked; the loser was dropped.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.domain.chat import ChatMessage
from bot.domain.incident import Incident
from bot.services.audit import AuditService
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from store.engine import session_factory
from store.outbox import SqlOutboxStore
from store.uow import SqlUnitOfWork
from tests.databases import fresh_database
from tests.e2e.harness import running_bot

ROUNDS = 6
STATUSES = ("identified", "investigating")
SEVERITIES = ("SEV2", "SEV1")


def _ts(incident: Incident, r: int) -> str:
    return f"17000{incident.number}{r:04d}.000100"


def _changes(services: Services, incident: Incident, r: int, runbook: str) -> list[Awaitable[object]]:
    """Everything that happens to `incident` in round `r`, to be run at once."""
    team, channel, n = incident.team_id, str(incident.channel_id), incident.id
    assert n is not None
    changes: list[Awaitable[object]] = [
        services.incidents.change_status(team, n, "U1", STATUSES[r % 2]),
        services.incidents.change_severity(team, n, "U1", SEVERITIES[r % 2]),
        services.roles.assign(team, n, "U1", "comms", f"U{100 + r}"),
        services.timeline.note(team, channel, "U3", f"note {r}"),
        services.timeline.capture(team, ChatMessage(channel, _ts(incident, r), "U4", f"pinned {r}"),
                                  actor="U4", via="pin"),
        services.reviews.add_followup(team, channel, "U1", f"follow-up {r}", None),
        services.runbooks.attach(team, channel, "U1", runbook),
    ]
    if r > 0:  # the message pinned in the round before is unpinned, or deleted
        previous = _ts(incident, r - 1)
        changes.append(services.timeline.release(team, channel, previous, via="pin", actor="U4") if r % 2
                       else services.timeline.deleted(team, channel, previous, actor="U4"))
    return changes


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_concurrent_changes_of_every_kind_each_land_exactly_once(backend: str, fake_slack: FakeSlack,
                                                                      tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url, running_bot(fake_slack, url, tmp_path) as bot:
        services, team = bot.warroom.services, fake_slack.state.team_id
        incidents = []
        for title in ("Imports failing", "Logins slow"):
            result = await services.incidents.declare(DeclareRequest(team_id=team, user_id="U1", severity="sev1",
                                                                     title=title), force=True)
            assert result.incident is not None
            incidents.append(result.incident)
        runbooks = sorted(services.runbooks.catalog)
        assert len(runbooks) >= ROUNDS

        with capture_logs() as logs:
            for r in range(ROUNDS):
                changes = [c for i in incidents for c in _changes(services, i, r, runbooks[r])]
                outcomes = await asyncio.gather(*changes, return_exceptions=True)
                failed = [o for o in outcomes if isinstance(o, BaseException)]
                assert not failed, f"round {r}: {failed!r}"
        assert not [e for e in logs if e["log_level"] in ("error", "critical")]
        # Every write takes its workspace's lock first: the changes queue, none has to be re-run.
        assert not [e for e in logs if e["event"].startswith("transaction_conflict")]

        sessions = session_factory(bot.warroom.engine)
        calls = await SqlOutboxStore(sessions).calls(team)
        for incident in incidents:
            assert incident.id is not None
            async with SqlUnitOfWork(sessions) as uow:
                current = await uow.incidents.get(team, incident.id)
                entries = await uow.timeline.list_for(team, incident.id)
                audit = await uow.audit.list_for(team, incident.id)
            assert current is not None
            assert (current.status, current.severity) == (STATUSES[(ROUNDS - 1) % 2], SEVERITIES[(ROUNDS - 1) % 2])
            assert current.roles["comms"] == f"U{100 + ROUNDS - 1}"

            texts = Counter(e.text for e in entries)
            assert sum(n for t, n in texts.items() if t.startswith("Status ")) == ROUNDS
            assert sum(n for t, n in texts.items() if t.startswith("Severity ")) == ROUNDS
            assert all(texts[f"note {r}"] == 1 and texts[f"pinned {r}"] == 1 and texts[f"Follow-up: follow-up {r}"] == 1
                       for r in range(ROUNDS))
            assert sum(n for t, n in texts.items() if t.startswith("Runbook attached: ")) == ROUNDS
            assert all(sum(n for t, n in texts.items() if t.startswith(f"<@U{100 + r}> is now ")) == 1
                       for r in range(ROUNDS))
            withdrawn = sorted(e.text for e in entries if e.withdrawn_at is not None)
            assert withdrawn == sorted(f"pinned {r}" for r in range(ROUNDS - 1))  # every unpin and deletion landed

            assert Counter(e.action for e in audit) == Counter({
                "incident.declared": 1, "incident.status_changed": ROUNDS, "incident.severity_changed": ROUNDS,
                "role.assigned": ROUNDS, "timeline.captured": ROUNDS, "timeline.withdrawn": ROUNDS - 1,
                "followup.added": ROUNDS, "runbook.attached": ROUNDS})

            posted = Counter(str(c.params.get("text", "")) for c, _ in calls
                             if c.method == "chat.postMessage" and c.params.get("channel") == incident.channel_id)
            assert sum(n for t, n in posted.items() if "changed the status to" in t) == ROUNDS
            assert sum(n for t, n in posted.items() if "changed the severity to" in t) == ROUNDS
            assert all(sum(n for t, n in posted.items() if t.startswith(f"<@U{100 + r}> is now ")) == 1
                       for r in range(ROUNDS))

        report = await AuditService(uow=lambda: SqlUnitOfWork(sessions)).verify(team)
        assert report.intact, report.problems
        assert report.records == len(incidents) * (1 + 6 * ROUNDS + ROUNDS - 1)  # nothing doubled, nothing lost
