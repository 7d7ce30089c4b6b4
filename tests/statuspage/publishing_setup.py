"""A Warroom over the real store with a service catalog, a status page directory and two incidents' worth of
people: the `page_setup` fixture of the publishing tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import parse_policy
from bot.domain.incident import Incident
from bot.domain.repositories import UnitOfWorkFactory
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from bot.wiring import build_services
from store.engine import session_factory
from store.status_site.writer import StaticSite
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

POLICY = """
services:
  - {id: imports, name: Import pipeline, status_component: Imports}
  - {id: banksync, name: Bank sync worker, status_component: Bank sync}
  - {id: ledger-internal, name: Ledger internals}
status_page:
  name: DepositMatch
  url: https://status.example.com
  groups: {Banking: [Imports, Bank sync]}
"""
COMMANDER, COMMS, BYSTANDER = "U0CMD", "U0COMMS", "U0BYSTAND"


@dataclass
class PageSetup:
    services: Services
    chat: FakeChat
    clock: FakeClock
    site: Path
    uow: UnitOfWorkFactory

    def read(self, path: str) -> Any:
        """A JSON file of the site as a reader sees it now."""
        return json.loads((self.site / path).read_text(encoding="utf-8"))

    def files(self) -> dict[str, str]:
        """Every file of the current build."""
        build = self.site.resolve()
        return {str(p.relative_to(build)): p.read_text(encoding="utf-8") for p in build.rglob("*") if p.is_file()}

    async def declare(self, title: str, severity: str = "sev1", service: str = "imports") -> Incident:
        result = await self.services.incidents.declare(DeclareRequest(
            team_id="T1", user_id=COMMANDER, severity=severity, title=title, service=service))
        incident = result.incident
        assert incident is not None and incident.channel_id
        await self.services.roles.assign("T1", incident.id, COMMANDER, "commander", COMMANDER)
        await self.services.roles.assign("T1", incident.id, COMMANDER, "comms", COMMS)
        return incident

    async def timers_due(self, incident: Incident, kind: str) -> list[object]:
        """When the incident's pending timers of `kind` fall due."""
        async with self.uow() as uow:
            timers = await uow.timers.for_incident("T1", incident.id)
        return [t.due_at for t in timers if t.kind.value == kind and t.state == "pending"]


@pytest.fixture
async def page_setup(engine: AsyncEngine, tmp_path: Path) -> PageSetup:
    policy = parse_policy(POLICY)
    sessions = session_factory(engine)
    chat, clock = FakeChat(), FakeClock()
    site = tmp_path / "status"
    services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=chat, clock=clock, policy=policy,
                              directory=FakeDirectory(), runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(),
                              catalog={}, site=StaticSite(site))
    await services.status_page.site.rebuild()  # as `warroom serve` does when it starts
    return PageSetup(services, chat, clock, site, lambda: SqlUnitOfWork(sessions))
