"""Build the use cases over their ports (the composition root's part that needs no Slack app or server)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.alert_ports import AlertChat, AlertInbox
from bot.domain.chat import Directory, IncidentChat, OnCallChat, RunbookChat, TimerChat, UpdateChat
from bot.domain.incident import Incident
from bot.domain.insight_ports import InsightsReader
from bot.domain.policy import Policy
from bot.domain.ports import Clock, StepRunner
from bot.domain.repositories import UnitOfWork, UnitOfWorkFactory
from bot.domain.runbook import Runbook
from bot.domain.status_page import SitePublisher
from bot.domain.status_publishing import StatusPageChat
from bot.services.alert_incidents import AlertIncidents
from bot.services.alerts import AlertService, Parse
from bot.services.classes import ClassService
from bot.services.container import Services
from bot.services.incidents import IncidentService
from bot.services.insights import InsightsService
from bot.services.oncall import OnCallService
from bot.services.people import PeopleNames
from bot.services.permissions import PermissionCheck
from bot.services.postmortem import ReviewService
from bot.services.roles import RoleService
from bot.services.runbooks import RunbookService
from bot.services.status_page import StatusPageService
from bot.services.status_site import StatusSite
from bot.services.timeline import TimelineService
from bot.services.timers import TimerService
from bot.services.updates import UpdateService


@dataclass(frozen=True)
class AlertPorts:
    """What the alert use case needs besides the incident ports: its inbox, its chat and the payload parser."""

    inbox: AlertInbox
    chat: AlertChat
    parse: Parse
    groups_at_once: int = 8  # alert groups handled at once (1 on SQLite: one writer connection)


class IncidentChats(IncidentChat, UpdateChat, TimerChat, OnCallChat, StatusPageChat, Protocol):
    """The chat ports of the incident use cases, which one adapter provides (SlackIncidentChat; FakeChat in tests)."""


def build_services(*, uow: UnitOfWorkFactory, chat: IncidentChats, clock: Clock, policy: Policy,
                   directory: Directory, runbook_chat: RunbookChat, runner: StepRunner,
                   catalog: Mapping[str, Runbook], list_cache: timedelta = timedelta(seconds=2),
                   people: PeopleNames | None = None, reads: UnitOfWorkFactory | None = None,
                   alerts: AlertPorts | None = None, site: SitePublisher | None = None,
                   insights: InsightsReader | None = None) -> Services:
    """Every use case over the same ports (`reads`: read-only units of work, `uow` when not given; `alerts`:
    the alert receivers' ports, when they are on; `site`: where the status page is written, when it is;
    `insights`: the KPIs' and App Home's reads)."""
    timers = TimerService(uow=uow, chat=chat, clock=clock, policy=policy)
    incidents = IncidentService(uow=uow, chat=chat, clock=clock, policy=policy, list_cache=list_cache,
                                on_change=timers.replan, reads=reads,
                                permissions=PermissionCheck(uow=uow, clock=clock, policy=policy, directory=directory))
    runbooks = RunbookService(uow=uow, chat=runbook_chat, clock=clock, incidents=incidents, directory=directory,
                              runner=runner, catalog=catalog)
    alert_service = None
    if alerts is not None:
        responder = AlertIncidents(uow=uow, chat=alerts.chat, clock=clock, policy=policy,
                                   declare=incidents.declare, attach=runbooks.attach, resolve=incidents.change_status)
        alert_service = AlertService(uow=uow, inbox=alerts.inbox, chat=alerts.chat, clock=clock, incidents=responder,
                                     parse=alerts.parse, groups_at_once=alerts.groups_at_once,
                                     runbook_ids=frozenset(catalog))
    updates = UpdateService(uow=uow, chat=chat, clock=clock, incidents=incidents)
    status_page = StatusPageService(uow=uow, chat=chat, updates_chat=chat, clock=clock, incidents=incidents,
                                    updates=updates,
                                    site=StatusSite(uow=uow, clock=clock, policy=policy, publisher=site))

    async def on_change(uow: UnitOfWork, incident: Incident) -> None:
        await timers.replan(uow, incident)
        await status_page.on_change(uow, incident)  # a resolve offers the page its resolved notice

    incidents.on_change = on_change
    oncall = OnCallService(uow=uow, chat=chat, clock=clock, policy=policy)
    covered = {c for r in catalog.values() for c in r.classes}  # the classes some runbook says it covers
    return Services(
        timers=timers, alerts=alert_service, oncall=oncall,
        insights=(None if insights is None else
                  InsightsService(reader=insights, clock=clock, policy=policy, oncall=oncall.now_and_next,
                                  classes_with_runbook=covered)),
        updates=updates, status_page=status_page,
        runbooks=runbooks,
        incidents=incidents, classes=ClassService(uow=uow, chat=chat, clock=clock, incidents=incidents),
        roles=RoleService(uow=uow, chat=chat, clock=clock, policy=policy, directory=directory, incidents=incidents),
        timeline=TimelineService(uow=uow, chat=chat, clock=clock, incidents=incidents),
        reviews=ReviewService(uow=uow, chat=chat, clock=clock, incidents=incidents,
                              review_template=policy.review_template, people=people,
                              classes_with_runbook=covered, runbook_ids=frozenset(catalog)),
    )
