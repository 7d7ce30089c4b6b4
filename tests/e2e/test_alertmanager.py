"""End to end with Debian's Prometheus and Alertmanager: a rule over a metric this test serves fires, and
Alertmanager posts to Warroom's receiver with a bearer token. A critical alert declares (card linking the
alert, runbook attached); a second alert of the group adds to the timeline; resolution brings the resolve
prompt; a warning posts a triage message whose Declare declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.standin import FakeSlack
from handlers.ids import Action
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.e2e.harness import running_bot
from tests.e2e.monitoring import running_monitoring
from tests.e2e.scenario import People

TOKEN = "e2e-alerts-token-5b1f"
WAIT = 20.0  # Prometheus scrapes and evaluates each second, Alertmanager waits a second: a few seconds a step
FAILING, DISK = "warroom_e2e_imports_failing", "warroom_e2e_disk_filling"


def _text(call: Any) -> str:
    return f"{call.params.get('text', '')} {json.dumps(call.params.get('blocks', ''))}"


def _button(call: Any, action_id: str) -> dict[str, Any]:
    blocks = call.params["blocks"]
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


async def test_alertmanager_declares_updates_prompts_and_triages(fake_slack: FakeSlack, tmp_path: Path) -> None:
    fake = fake_slack
    fake.state.add_channel("alerts", "CALERTS")
    async with running_bot(fake, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot, \
            running_monitoring(tmp_path, f"{bot.base_url}/alerts/alertmanager", TOKEN) as monitoring:
        people, metrics = People(bot), monitoring.metrics

        # A critical alert fires: an incident is declared, its card links the alert and its runbook.
        metrics.set(FAILING, 1, bank="bank-a")
        [create] = await fake.wait_for("conversations.create", timeout=WAIT)
        channel = create.response["channel"]["id"]
        [card] = await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                                     and "header" in json.dumps(c.params.get("blocks", "")), timeout=WAIT)
        links = next(b for b in card.params["blocks"] if b["type"] == "context" and "Alert source" in json.dumps(b))
        assert f"<{monitoring.prometheus_url}/graph?" in links["elements"][0]["text"]
        assert "<https://runbooks.example/imports|Runbook>" in links["elements"][0]["text"]
        assert card.params["blocks"][0]["text"]["text"] == "INC-1: Imports failing for bank-a"
        await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                            and "DepositMatch import pipeline" in _text(c), timeout=WAIT)  # the checklist
        incident = await bot.warroom.incidents.for_channel(fake.state.team_id, channel)
        assert (incident.severity, incident.declared_by, incident.service) == ("SEV1", "alertmanager", "imports")
        async with SqlUnitOfWork(session_factory(bot.warroom.engine)) as uow:
            [attached] = await uow.runbooks.attachments(fake.state.team_id, incident.id)
        assert attached.runbook_id == "depositmatch-import-pipeline"

        # A second alert of the group: a timeline entry, no second incident.
        metrics.set(FAILING, 1, bank="bank-b")
        await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                            and "Alert firing" in _text(c) and "bank-b" in _text(c), timeout=WAIT)
        timeline = [e.text for e in await bot.warroom.incidents.timeline(fake.state.team_id, incident.id)]
        assert sum(t.startswith("Alert firing: ImportsFailing") for t in timeline) == 2

        # Every alert resolves: the channel is asked to resolve; the button opens the resolution form.
        metrics.set(FAILING, None, bank="bank-a")
        metrics.set(FAILING, None, bank="bank-b")
        [prompt] = await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                                       and "All alerts resolved" in _text(c), timeout=WAIT)
        await people.click("U1", channel, prompt.response["ts"], _button(prompt, Action.ALERT_RESOLVE))
        [opened] = await fake.wait_for("views.open")
        assert opened.params["view"]["callback_id"] == "resolve_modal"
        assert (await bot.warroom.incidents.for_channel(fake.state.team_id, channel)).status == "investigating"

        # A warning: a triage message in #alerts; its Declare declares, by whoever clicked.
        metrics.set(DISK, 1, host="ledger-1")
        [triage] = await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == "CALERTS", timeout=WAIT)
        assert "Disk filling on the ledger host" in _text(triage)
        await people.click("U7", "CALERTS", triage.response["ts"], _button(triage, Action.ALERT_DECLARE))
        await fake.wait_for("chat.update", lambda c: c.params.get("channel") == "CALERTS"
                            and "Declared as INC-2 by" in _text(c), timeout=WAIT)  # queued with the incident
        creates = fake.calls_to("conversations.create")
        second = await bot.warroom.incidents.for_channel(fake.state.team_id, creates[1].response["channel"]["id"])
        assert (second.ref, second.severity, second.declared_by) == ("INC-2", "SEV2", "U7")
        await bot.settled()
        assert len(fake.calls_to("conversations.create")) == 2  # one incident per alert group
