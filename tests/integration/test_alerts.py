"""Alerts over the real store (SQLite and PostgreSQL): routed by severity, one incident or triage message per
alert group, later notifications on its timeline, the resolve prompt, recurrence."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import parse_config
from bot.domain.alert_ports import GroupState
from bot.domain.alerts import AlertSource
from bot.domain.errors import UserError
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.alerting import alert, alertmanager, grafana
from tests.integration.alert_setup import RUNBOOK, replica


async def test_a_critical_alert_declares_an_incident_with_its_links_runbook_and_a_timeline_entry(
        engine: AsyncEngine) -> None:
    bot = replica(engine)
    handled = await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", runbook=RUNBOOK)]))
    assert handled == 1
    [incident] = await bot.open_incidents()
    assert (incident.severity, incident.declared_by, incident.title) == ("SEV1", "alertmanager", "ImportsFailing on fp1")
    assert incident.links["Alert source"].endswith("fp=fp1")
    assert incident.links["Alertmanager"] == "http://alertmanager.example:9093"
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", incident.id)]
    assert "Alert firing: ImportsFailing · ImportsFailing on fp1 (fp1)" in timeline
    [checklist] = bot.runbook_chat.calls("post_checklist")
    assert checklist[2].runbook_id == RUNBOOK  # type: ignore[index]


async def test_redelivery_and_a_later_notification_of_the_group_never_open_a_second_incident(engine: AsyncEngine) -> None:
    bot = replica(engine)
    first = alertmanager("ImportsFailing", [alert("fp1")])
    await bot.deliver(first)
    assert await bot.receive(first) is False  # Alertmanager's retry of the same notification: stored once
    assert await bot.alerts.process_pending() == 0
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
    [incident] = await bot.open_incidents()
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", incident.id)]
    assert sum(t.startswith("Alert firing: ImportsFailing") for t in timeline) == 2
    assert len(bot.chat.calls("create_channel")) == 1


async def test_when_every_alert_resolves_the_channel_is_asked_to_resolve_and_nothing_resolves_by_itself(
        engine: AsyncEngine) -> None:
    bot = replica(engine)
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", "resolved"), alert("fp2")]))
    assert bot.alert_chat.calls("prompt_resolve") == []
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", "resolved"), alert("fp2", "resolved")]))
    [incident] = await bot.open_incidents()
    assert bot.alert_chat.calls("prompt_resolve") == [(incident.id, "")]
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", incident.id)]
    assert sum(t.startswith("Alert resolved:") for t in timeline) == 2
    assert incident.status == "investigating"


async def test_a_warning_posts_one_triage_message_whose_declare_declares(engine: AsyncEngine) -> None:
    bot = replica(engine)
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning")]))
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning"),
                                                   alert("w2", name="DiskFilling", severity="warning")]))
    [group] = bot.alert_chat.calls("post_triage")
    assert group.severity == "SEV2" and group.channel == "#alerts"  # type: ignore[attr-defined]
    assert await bot.open_incidents() == []
    incident = await bot.alerts.incidents.declare_from_triage("T1", group.id, "U7", ("CALERTS", "1.0"))  # type: ignore[attr-defined]
    assert (incident.declared_by, incident.severity) == ("U7", "SEV2")
    assert bot.alert_chat.calls("update_triage")[-1][1] == "Declared as INC-1 by <@U7>"  # type: ignore[index]
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", incident.id)]
    assert sum(t.startswith("Alert firing: DiskFilling") for t in timeline) == 2


async def test_an_info_alert_is_only_recorded(engine: AsyncEngine) -> None:
    bot = replica(engine)
    await bot.deliver(alertmanager("SlowQueries", [alert("i1", name="SlowQueries", severity="info")]))
    assert await bot.open_incidents() == [] and bot.alert_chat.log == []
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        group = await uow.alerts.get("T1", 1)
    assert group is not None and group.state is GroupState.RECORDED and dict(group.statuses) == {"i1": "firing"}


async def test_a_group_that_fires_again_after_its_incident_was_resolved_opens_a_linked_new_incident(
        engine: AsyncEngine) -> None:
    bot = replica(engine)
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    [first] = await bot.open_incidents()
    await bot.services.incidents.change_status("T1", first.id, "U1", "resolved")
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", "resolved")]))
    again = alertmanager("ImportsFailing", [alert("fp1")])
    again["alerts"][0]["startsAt"] = "2026-12-04T11:00:00Z"  # a new firing of the same alert
    await bot.deliver(again)
    [second] = await bot.open_incidents()
    assert second.id != first.id
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", second.id)]
    assert "Recurred: these alerts opened INC-1 before" in timeline
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        assert await uow.alerts.incidents_of("T1", 1) == [(first.id, None), (second.id, first.id)]


async def test_grafana_groups_by_fingerprints_when_its_group_key_says_nothing(engine: AsyncEngine) -> None:
    bot = replica(engine)
    payload = grafana([alert("g1", name="High memory usage")])
    await bot.deliver(payload, AlertSource.GRAFANA)
    await bot.deliver(grafana([alert("g1", name="High memory usage")], group_key="{}:{}"), AlertSource.GRAFANA)
    [incident] = await bot.open_incidents()
    assert incident.links["Dashboard"] == "https://grafana.example/d/abc"
    assert incident.links["Panel"] == "https://grafana.example/d/abc?viewPanel=2"


async def test_a_route_that_says_so_resolves_the_incident_when_every_alert_has_resolved(engine: AsyncEngine) -> None:
    policy = parse_config(yaml.safe_dump({"alerts": {"routes": [
        {"match": {"alertname": "ImportsFailing"}, "auto_resolve": True}]}})).policy
    bot = replica(engine, policy=policy)
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1")]))
    [incident] = await bot.open_incidents()
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", "resolved")]))
    assert await bot.open_incidents() == [] and bot.alert_chat.calls("prompt_resolve") == []
    timeline = [e.text for e in await bot.services.incidents.timeline("T1", incident.id)]
    assert timeline[-1] == "Status investigating → resolved"
    [audit] = [a for a in await bot.services.incidents.audit("T1", incident.id) if a.action == "incident.status_changed"]
    assert audit.actor == "alertmanager"


async def test_the_catalog_routes_the_service_suggests_and_attaches_its_runbook_and_invites_its_on_call(
        engine: AsyncEngine) -> None:
    policy = parse_config(yaml.safe_dump({
        "oncall": [{"id": "app", "name": "App", "members": ["U5", "U6"], "length_days": 7, "start": "2026-01-05",
                    "handoff": {"day": "monday", "time": "09:00"}}],
        "services": [{"id": "imports", "name": "Import <pipeline>", "oncall": "app", "channel": "#imports",
                      "usergroup": "S0DATA", "runbooks": [RUNBOOK], "aliases": ["import-worker"]}]})).policy
    bot = replica(engine, policy=policy)
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", job="import-worker")]))
    [incident] = await bot.open_incidents()
    assert incident.service == "imports"
    [checklist] = bot.runbook_chat.calls("post_checklist")
    assert checklist[2].runbook_id == RUNBOOK  # type: ignore[index]
    [suggested] = bot.runbook_chat.calls("suggest_runbooks")
    assert suggested[0].id == RUNBOOK  # type: ignore[index]  # the catalog's runbooks first
    [(_, invited)] = bot.chat.calls("invite")  # type: ignore[misc]
    assert list(invited) in (["U5"], ["U6"])
    [(_, lines, lead)] = bot.alert_chat.calls("post_alerts")  # type: ignore[misc]
    assert lead == f":rotating_light: <@{invited[0]}> <!subteam^S0DATA>: Import &lt;pipeline&gt; is alerting"
    assert lines == ["Alert firing: ImportsFailing · ImportsFailing on fp1 (fp1)"]
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning",
                                                         service="imports")]))
    [triage] = bot.alert_chat.calls("post_triage")
    assert triage.channel == "#imports"  # type: ignore[attr-defined]


async def test_a_triage_message_whose_alerts_all_resolve_is_settled_and_a_later_firing_gets_a_new_one(
        engine: AsyncEngine) -> None:
    bot = replica(engine)
    warning = {"name": "DiskFilling", "severity": "warning"}
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", **warning)]))
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", "resolved", **warning)]))
    [(group, outcome)] = bot.alert_chat.calls("update_triage")  # type: ignore[misc]
    assert outcome == "Every alert resolved; nothing was declared." and group.state is GroupState.QUIET
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        stored = await uow.alerts.get("T1", group.id)  # type: ignore[attr-defined]
    assert stored is not None and dict(stored.statuses) == {} and dict(stored.lines) == {}  # settled: forgotten
    again = alertmanager("DiskFilling", [alert("w1", **warning)])
    again["alerts"][0]["startsAt"] = "2026-12-04T12:00:00Z"
    await bot.deliver(again)
    assert len(bot.alert_chat.calls("post_triage")) == 2 and await bot.open_incidents() == []


async def test_dismiss_settles_the_triage_message_and_it_can_no_longer_be_declared(engine: AsyncEngine) -> None:
    bot = replica(engine)
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning")]))
    [group] = bot.alert_chat.calls("post_triage")
    await bot.alerts.incidents.dismiss("T1", group.id, "U7", ("CALERTS", "1.0"))  # type: ignore[attr-defined]
    assert bot.alert_chat.calls("update_triage")[-1][1] == "Dismissed by <@U7>"  # type: ignore[index]
    with pytest.raises(UserError, match="no longer"):
        await bot.alerts.incidents.declare_from_triage("T1", group.id, "U8", None)  # type: ignore[attr-defined]
    await bot.deliver(alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning"),
                                                   alert("w2", name="DiskFilling", severity="warning")]))
    assert len(bot.alert_chat.calls("post_triage")) == 1 and await bot.open_incidents() == []


async def test_an_escalation_of_a_catalog_service_also_names_its_on_call_and_user_group(engine: AsyncEngine) -> None:
    policy = parse_config(yaml.safe_dump({
        "oncall": [{"id": "app", "name": "App", "members": ["U5"], "length_days": 7, "start": "2026-01-05",
                    "handoff": {"day": "monday", "time": "09:00"}}],
        "services": [{"id": "imports", "oncall": "app", "usergroup": "S0DATA"}]})).policy
    bot = replica(engine, policy=policy)
    await bot.deliver(alertmanager("ImportsFailing", [alert("fp1", service="imports")]))
    bot.clock.advance(minutes=31)
    await bot.services.timers.dispatch_due()
    [(_, targets)] = [call for call in bot.chat.calls("post_timer") if "Escalation" in call[0]]  # type: ignore[index]
    assert targets == ("#oncall-sre", "U5", "S0DATA")
