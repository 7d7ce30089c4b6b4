"""Issue 4 end to end: a kill switch from a runbook, refused, confirmed, approved, run, rolled back.

The flag lands in a real Unleash server on loopback, or in a flags file, as Warroom's
flag_providers say.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.standin import FakeSlack
from handlers.ids import Action
from runbooks.flags import UnleashProvider
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People
from tests.unleash.harness import UnleashServer

RUNBOOK = "depositmatch-import-pipeline"
KILL_TITLE = "Disable imports (FEATURE_IMPORTS=false)"


async def _unleash_enabled(server: UnleashServer) -> bool | None:
    feature = await asyncio.to_thread(lambda: server.client_features().get("FEATURE_IMPORTS"))
    return None if feature is None else bool(feature["enabled"])


@pytest.fixture(params=["unleash", "file"])
async def flagged(request: pytest.FixtureRequest, fake_slack: FakeSlack, tmp_path: Path,
                  unleash: UnleashServer) -> AsyncIterator[tuple[Bot, Any]]:
    """A bot whose default flag provider is Unleash or a flags file, with FEATURE_IMPORTS on."""
    flags_file = tmp_path / "feature-flags.yaml"
    if request.param == "unleash":
        provider = {"type": "unleash", "url": unleash.url, "token_env": "UNLEASH_TOKEN", "environment": "development"}
        setup = UnleashProvider("setup", unleash.url, unleash.admin_token)
        await setup.set("FEATURE_IMPORTS", True)
        await setup.close()

        async def read() -> Any:
            return await _unleash_enabled(unleash)
    else:
        provider = {"type": "file", "path": flags_file.name}
        flags_file.write_text("FEATURE_IMPORTS: true\nFEATURE_REVIEW_DECISIONS: true\n")

        async def read() -> Any:
            return yaml.safe_load(flags_file.read_text())["FEATURE_IMPORTS"]
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump({"flag_providers": {"flags": provider},
                                                           "default_flag_provider": "flags"}))
    environ = {"UNLEASH_TOKEN": unleash.admin_token, "PATH": "/usr/bin:/bin"}
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", tmp_path, environ=environ) as bot:
        yield bot, read


async def _becomes(read: Any, expected: object, timeout: float = 10.0) -> None:
    """Poll the flag with a deadline (Unleash's client API can take a moment to catch up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"flag stayed {value!r}, expected {expected!r}"
        await asyncio.sleep(0.1)


def _step_button(checklist: dict[str, Any], title: str) -> dict[str, Any]:
    section = next(b for b in checklist["blocks"] if b["type"] == "section" and title in b["text"]["text"])
    return dict(section["accessory"])


async def test_kill_switch_refused_confirmed_approved_run_and_rolled_back(flagged: tuple[Bot, Any]) -> None:
    bot, read_flag = flagged
    fake, people = bot.fake, People(bot)
    assert await read_flag() is True
    await bot.command("declare sev1 Imports failing --service imports", user_id="U1")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
    [suggested] = await fake.wait_for("chat.postMessage", lambda c: c.params.get("text") == "Runbooks that may help")
    attach_values = [b["accessory"]["value"] for b in suggested.params["blocks"] if "accessory" in b]
    assert RUNBOOK in attach_values and suggested.params["channel"] == channel
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
    await bot.command("role comms <@U2|bo>", user_id="U1", channel_id=channel)
    await bot.settled()

    await bot.command(f"runbook {RUNBOOK}", user_id="U1", channel_id=channel)
    [posted] = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Runbook:"))
    await bot.settled()
    checklist_ts = posted.response["ts"]
    button = _step_button(posted.params, KILL_TITLE)
    assert button["action_id"] == Action.STEP_RUN and button["confirm"]["confirm"]["text"] == "Yes, run"
    assert "Disable CSV imports for every firm?" in button["confirm"]["text"]["text"]

    # Someone without the role: refused, told who may, audited.
    await people.click("U7", channel, checklist_ts, button)
    refusal = await fake.wait_for_response(lambda r: "may run" in r["body"].get("text", ""))
    assert refusal["body"]["text"] == f"Only the incident commander (<@U1>) may run “{KILL_TITLE}”."
    await bot.settled()
    assert await read_flag() is True

    # The commander (having confirmed the dialog) asks; the comms lead approves.
    await people.click("U1", channel, checklist_ts, button)
    [ask] = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Approval needed"))
    await bot.settled()
    approve = ask.params["blocks"][1]["elements"][0]
    assert approve["action_id"] == Action.STEP_APPROVE
    await people.click("U2", channel, ask.response["ts"], approve)
    await fake.wait_for_response(lambda r: "Approved by <@U2>" in r["body"].get("text", ""))
    await bot.settled()
    await _becomes(read_flag, False)

    team = fake.state.team_id
    incident = await bot.warroom.incidents.for_channel(team, channel)
    timeline = [e.text for e in await bot.warroom.incidents.timeline(team, incident.id)]  # type: ignore[arg-type]
    assert f"Ran “{KILL_TITLE}”: FEATURE_IMPORTS true → false (approved by <@U2>) — done" in timeline
    audit = await bot.warroom.incidents.audit(team, incident.id)  # type: ignore[arg-type]
    refused = [e for e in audit if e.action == "runbook.step_refused"]
    assert [e.actor for e in refused] == ["U7"]
    [ran] = [e for e in audit if e.action == "runbook.step_run"]
    assert ran.actor == "U1" and ran.before == {"value": True}
    assert ran.after["approver"] == "U2" and ran.after["value"] is False and ran.after["ok"] is True

    # The checklist now offers "Roll back", guarded the same way but asking its own question.
    updated = [c for c in fake.calls_to("chat.update") if c.params["ts"] == checklist_ts][-1]
    rollback = _step_button(updated.params, KILL_TITLE)
    assert rollback["action_id"] == Action.STEP_ROLLBACK
    undo_question = rollback["confirm"]["text"]["text"]
    assert undo_question != button["confirm"]["text"]["text"] and "FEATURE_IMPORTS back to true" in undo_question
    assert undo_question.startswith("Re-enable CSV imports for every firm")
    await people.click("U1", channel, checklist_ts, rollback)
    asks = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Approval needed"), count=2)
    await bot.settled()
    request, undo_approve = asks[-1].params["blocks"][0]["text"]["text"], asks[-1].params["blocks"][1]["elements"][0]
    assert "asks to roll back" in request and undo_question in request and "Disable CSV imports" not in request
    assert asks[-1].params["text"] == f"Approval needed to roll back: {KILL_TITLE}"
    assert undo_approve["confirm"]["text"]["text"] == undo_question != approve["confirm"]["text"]["text"]
    await people.click("U2", channel, asks[-1].response["ts"], undo_approve)
    await fake.wait_for_response(lambda r: "rolled back" in r["body"].get("text", ""))
    await bot.settled()
    await _becomes(read_flag, True)
    audit = await bot.warroom.incidents.audit(team, incident.id)  # type: ignore[arg-type]
    assert audit[-1].action == "runbook.step_rolled_back" and audit[-1].after["value"] is True
    assert json.dumps(fake.calls_to("chat.update")[-1].params["blocks"]).count("rolled back") >= 1


async def test_a_redelivered_click_and_a_double_click_run_a_step_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "count.yaml").write_text(yaml.safe_dump({
        "id": "count", "title": "Counter", "summary": "Counts its runs.",
        "procedures": [{"id": "p", "title": "P", "steps": [
            {"id": "tick", "title": "Append a line", "kind": "command",
             "argv": ["sh", "-c", f"echo ran >> {counter}"]}]}]}))
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", tmp_path,
                           env={"WARROOM_RUNBOOKS": str(library)}) as bot:
        await bot.command("declare sev2 Counter test", user_id="U1")
        await fake_slack.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        channel = str(fake_slack.calls_to("conversations.create")[0].response["channel"]["id"])
        await bot.command("runbook count", user_id="U1", channel_id=channel)
        [posted] = await fake_slack.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Runbook:"))
        await bot.settled()
        button = _step_button(posted.params, "Append a line")
        payload = fake_slack.block_action_payload("U1", channel, posted.response["ts"], button)
        results = await asyncio.gather(bot.interaction(payload), bot.interaction(payload),
                                       bot.interaction(fake_slack.block_action_payload("U2", channel, posted.response["ts"], button)))
        assert [status for status, _, _ in results] == [200, 200, 200]
        await bot.settled()
        status, _, _ = await bot.interaction(payload)  # Slack delivering the same action again later
        assert status == 200
        await bot.settled()
    assert counter.read_text() == "ran\n"
