"""Alert services over the real store (a replica): the alert use case with fake chats, the shipped runbooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_policy
from bot.domain.alerts import AlertSource
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.services.alerts import AlertService
from bot.services.container import Services
from bot.wiring import AlertPorts, build_services
from handlers import alert_payloads
from runbooks.loader import LIBRARY, load_runbooks
from store.alerts import SqlAlertInbox
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.alerting import body
from tests.fakes.alert_chat import FakeAlertChat
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

POLICY = load_policy(None)
RUNBOOK = "depositmatch-import-pipeline"


@dataclass
class Replica:
    """One Warroom's use cases over a database (several may share one)."""

    services: Services
    chat: FakeChat
    alert_chat: FakeAlertChat
    runbook_chat: FakeRunbookChat
    clock: FakeClock

    @property
    def alerts(self) -> AlertService:
        assert self.services.alerts is not None
        return self.services.alerts

    async def receive(self, payload: dict[str, Any], source: AlertSource = AlertSource.ALERTMANAGER) -> bool:
        return await self.alerts.receive(source, body(payload))

    async def deliver(self, payload: dict[str, Any], source: AlertSource = AlertSource.ALERTMANAGER) -> int:
        """Receive the notification, then handle everything stored; how many were handled."""
        await self.receive(payload, source)
        return await self.alerts.process_pending()

    async def open_incidents(self) -> list[Incident]:
        return await self.services.incidents.list_open("T1")


def replica(engine: AsyncEngine, clock: FakeClock | None = None, policy: Policy = POLICY,
            receiving: AsyncEngine | None = None, chat: FakeChat | None = None) -> Replica:
    """The use cases of one Warroom over `engine`, with the alert receivers on (storing on `receiving`, an
    autocommit engine of their own, as on PostgreSQL, when given)."""
    sessions = session_factory(engine)
    clock = clock or FakeClock()
    chat, alert_chat, runbook_chat = chat or FakeChat(), FakeAlertChat(), FakeRunbookChat()
    catalog = load_runbooks([LIBRARY], roles={r.id for r in policy.roles}).runbooks
    services = build_services(
        uow=lambda: SqlUnitOfWork(sessions), chat=chat, clock=clock, policy=policy, directory=FakeDirectory(),
        runbook_chat=runbook_chat, runner=FakeStepRunner(), catalog=catalog, list_cache=timedelta(0),
        alerts=AlertPorts(inbox=SqlAlertInbox(sessions, receiving), chat=alert_chat, parse=alert_payloads.parse))
    return Replica(services=services, chat=chat, alert_chat=alert_chat, runbook_chat=runbook_chat, clock=clock)
