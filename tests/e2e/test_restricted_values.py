"""Restricted values typed into an incident, and printed by a runbook command, reach Slack but never the log.

In an ordinary run this is a working flow; in a planted-secrets run (tests/integration/test_planted_secrets.py)
the values are the planted ones and everything logged is scanned for them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.standin import FakeSlack
from tests.e2e.harness import RESTRICTED, running_bot
from tests.e2e.scenario import People

RUNBOOK = """
id: csv-import-probe
title: CSV import probe
summary: Prints the last imported CSV row, as a careless diagnostic would.
applies_to: {{services: [imports]}}
procedures:
  - id: probe
    title: Probe
    steps:
      - id: print-row
        title: Print the last imported row
        kind: command
        argv: [{python}, -c, "print({row!r}); print({hook!r})"]
        timeout: 30s
"""


def _button(blocks: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return dict(next(b for b in blocks if b["type"] == "section" and title in b["text"]["text"])["accessory"])


async def test_restricted_values_typed_and_printed_are_shown_in_slack_and_redacted_in_command_output(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "probe.yaml").write_text(RUNBOOK.format(python=sys.executable, row=RESTRICTED["csv_row"],
                                                       hook=RESTRICTED["webhook_url"]))
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", tmp_path,
                           env={"WARROOM_RUNBOOKS": str(library)}) as bot:
        fake = fake_slack
        await bot.command(f"declare sev2 Imports failing for {RESTRICTED['bank_account']} --service imports",
                          user_id="U1")
        await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
        await bot.command(f"note payer id {RESTRICTED['payer_id']} sees {RESTRICTED['webhook_url']}",
                          user_id="U1", channel_id=channel)
        await bot.command(f"followup re-import {RESTRICTED['csv_row']}", user_id="U1", channel_id=channel)
        await bot.command("runbook csv-import-probe", user_id="U1", channel_id=channel)
        [posted] = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Runbook:"))
        await bot.settled()
        await People(bot).click("U1", channel, posted.response["ts"],
                                _button(posted.params["blocks"], "Print the last imported row"))
        await bot.settled()
        thread = [c for c in fake.calls_to("chat.postMessage") if c.params.get("thread_ts") == posted.response["ts"]]
        team = fake.state.team_id
        incident = await bot.warroom.incidents.for_channel(team, channel)
        timeline = "\n".join(e.text for e in await bot.warroom.incidents.timeline(team, incident.id))  # type: ignore[arg-type]
    # What people typed stays theirs to see in Slack...
    assert RESTRICTED["bank_account"] in incident.title and RESTRICTED["payer_id"] in timeline
    # ...but what a command printed is redacted before anyone sees it.
    shown = " ".join(str(c.params.get("text")) for c in thread)
    assert "Print the last imported row" in shown and "[redacted]" in shown
    assert RESTRICTED["csv_row"] not in shown and RESTRICTED["webhook_url"] not in shown
