"""Build every use case over the hand-written fakes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.app import build_services
from bot.config import load_policy
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.runbook import Runbook
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from bot.services.people import PeopleNames
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.names import FakeNameCache, FakeProfiles
from tests.fakes.runner import FakeStepRunner
from tests.fakes.store import FakeUnitOfWork, MemoryDB


@dataclass
class World:
    """Services plus the fakes behind them."""

    services: Services
    db: MemoryDB
    chat: FakeChat
    clock: FakeClock
    directory: FakeDirectory
    runbook_chat: FakeRunbookChat
    runner: FakeStepRunner
    profiles: FakeProfiles  # who Slack can name (users.info)

    async def declare(self, title: str = "Imports failing", user: str = "U1", **kw: str) -> Incident:
        result = await self.services.incidents.declare(
            DeclareRequest(team_id="T1", user_id=user, severity=kw.pop("severity", "sev1"), title=title, **kw),
            force=True)
        assert result.incident is not None
        return result.incident

    def incident(self, incident_id: int | None) -> Incident:
        return self.db.incidents[incident_id]  # type: ignore[index]


def make_world(policy: Policy | None = None, catalog: dict[str, Runbook] | None = None,
               **policy_changes: object) -> World:
    db, chat, clock, directory = MemoryDB(), FakeChat(), FakeClock(), FakeDirectory()
    policy = replace(policy or load_policy(None), **policy_changes)  # type: ignore[arg-type]
    runbook_chat, runner, profiles = FakeRunbookChat(), FakeStepRunner(), FakeProfiles()
    services = build_services(uow=lambda: FakeUnitOfWork(db), chat=chat, clock=clock, policy=policy,
                              directory=directory, runbook_chat=runbook_chat, runner=runner, catalog=catalog or {},
                              people=PeopleNames(cache=FakeNameCache(), lookup=profiles, clock=clock))
    return World(services, db, chat, clock, directory, runbook_chat, runner, profiles)
