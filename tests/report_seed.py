"""A February of incidents, written through the real services into a real database: what the `warroom report`
tests read back (the CLI test checks the JSON numbers, the browser test opens the HTML).

Times (UTC; the declarer is acknowledged when a commander is assigned; `ack`/`fix` are minutes after declaring):
  T1 INC-1  Jan 20  audit-failure  banking  SEV2  ack 30, never resolved       (before the period)
  T1 INC-2  Feb 2   queue-failure  imports  SEV1  ack 5,  fix 60, runbook step run, follow-up open, root cause
  T1 INC-3  Feb 9   queue-failure  imports  SEV2  ack 15, fix 120, follow-up done  (recurs: 7 days after INC-2)
  T1 INC-4  Feb 16  audit-failure  banking  SEV2  ack 10, never resolved       (recurs: 27 days after INC-1)
  T2 INC-1  Feb 3   workflow-500   webapp   SEV3  ack 1,  fix 30               (another workspace)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import build_services
from bot.config import load_policy
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from runbooks.loader import LIBRARY, load_runbooks
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

PERIOD = "2026-02-01..2026-02-28"
RUNBOOK = "depositmatch-import-pipeline"
INCIDENTS = [  # team, declared, class, service, severity, ack, fix, runbook step, follow-up ("open"/"done"/None)
    ("T1", datetime(2026, 1, 20, 9, 0, tzinfo=UTC), "audit-failure", "banking", "SEV2", 30, None, False, None),
    ("T1", datetime(2026, 2, 2, 10, 0, tzinfo=UTC), "queue-failure", "imports", "SEV1", 5, 60, True, "open"),
    ("T1", datetime(2026, 2, 9, 10, 0, tzinfo=UTC), "queue-failure", "imports", "SEV2", 15, 120, False, "done"),
    ("T1", datetime(2026, 2, 16, 10, 0, tzinfo=UTC), "audit-failure", "banking", "SEV2", 10, None, False, None),
    ("T2", datetime(2026, 2, 3, 10, 0, tzinfo=UTC), "workflow-500", "webapp", "SEV3", 1, 30, False, None),
]


def _set(clock: FakeClock, when: datetime) -> None:
    clock.advance(seconds=(when - clock.now()).total_seconds())  # back in time too: incidents go by team


async def _one(services: Services, clock: FakeClock, row: tuple[object, ...]) -> None:
    team, declared, cls, service, severity, ack, fix, step, followup = row
    assert isinstance(declared, datetime) and isinstance(ack, int)
    _set(clock, declared)
    result = await services.incidents.declare(DeclareRequest(team_id=str(team), user_id="U9", severity=str(severity),
                                                             title=f"{cls} on {service}", service=str(service)))
    incident = result.incident
    assert incident is not None and incident.id is not None and incident.channel_id
    await services.incidents.change_class(str(team), incident.id, "U9", str(cls))
    _set(clock, declared + timedelta(minutes=ack))
    await services.roles.assign(str(team), incident.id, "U9", "commander", "U1")
    if step:
        await services.runbooks.attach(str(team), incident.channel_id, "U1", RUNBOOK)
        await services.runbooks.request(str(team), incident.channel_id, "U1", RUNBOOK, "diagnostics")
    if followup:
        added = await services.reviews.add_followup(str(team), incident.channel_id, "U1", "Alert on queue depth", "U1")
        if followup == "done":
            assert added.id is not None
            await services.reviews.close_followup(str(team), added.id, "U1")
    if isinstance(fix, int):
        _set(clock, declared + timedelta(minutes=fix))
        # The review of INC-2 names its root cause; the others leave it out.
        cause = {"root_cause": "A poison message blocked the queue."} if declared.day == 2 else {}
        await services.reviews.resolve(str(team), incident.id, "U1", {"resolution": "Restarted the workers.", **cause})


async def seed_report_database(url: str) -> None:
    """Migrate the database at `url` and write the incidents above through the services."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        policy = load_policy(None)
        catalog = load_runbooks([LIBRARY], roles={r.id for r in policy.roles}).runbooks
        sessions = session_factory(engine)
        clock = FakeClock()
        services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=clock, policy=policy,
                                  directory=FakeDirectory(), runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(),
                                  catalog=catalog)
        for row in INCIDENTS:
            await _one(services, clock, row)
    finally:
        await engine.dispose()
