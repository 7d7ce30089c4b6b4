"""An incident over the real store with the shipped import-pipeline runbook attached, its commander and
comms lead assigned: the `setup` fixture of the runbook and update-draft tests (registered in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_services
from bot.config import load_policy
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from runbooks.loader import LIBRARY, load_runbooks
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

RUNBOOK = "depositmatch-import-pipeline"


@dataclass
class Setup:
    services: Services
    runner: FakeStepRunner
    clock: FakeClock
    chat: FakeRunbookChat
    channel: str
    incident_id: int


@pytest.fixture
async def setup(engine: AsyncEngine) -> Setup:
    policy = load_policy(None)
    catalog = load_runbooks([LIBRARY], roles={r.id for r in policy.roles}).runbooks
    sessions = session_factory(engine)
    runner, clock, chat = FakeStepRunner(), FakeClock(), FakeRunbookChat()
    services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=clock, policy=policy,
                              directory=FakeDirectory(), runbook_chat=chat, runner=runner, catalog=catalog)
    result = await services.incidents.declare(DeclareRequest(team_id="T1", user_id="U1", severity="sev1",
                                                             title="Imports failing", service="imports"))
    incident = result.incident
    assert incident is not None and incident.channel_id and incident.id
    await services.roles.assign("T1", incident.id, "U1", "commander", "U1")
    await services.roles.assign("T1", incident.id, "U1", "comms", "U2")
    await services.runbooks.attach("T1", incident.channel_id, "U1", RUNBOOK)
    return Setup(services, runner, clock, chat, incident.channel_id, incident.id)
