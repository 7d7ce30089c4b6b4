"""Replayed and tampered requests: refused, explained, audited, and nothing else changes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.standin import FakeSlack
from handlers.ids import Action
from handlers.runbook_blocks import step_value
from tests.e2e.harness import SIGNING_SECRET, Bot, drill_library, running_bot

RUNBOOK = "tamper"
STALE = int(time.time()) - 5 * 60 - 30  # just past Slack's five minutes


@dataclass
class Two:
    """A bot with INC-1 (commander U1) and INC-2; the runbook is attached to INC-1 only."""

    bot: Bot
    team: str
    first: str  # INC-1's channel
    second: str  # INC-2's channel
    checklist_ts: str


@pytest.fixture
async def two(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Two]:
    library = drill_library(tmp_path, RUNBOOK)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 't.db'}", tmp_path,
                           env={"WARROOM_RUNBOOKS": str(library)}) as bot:
        await bot.command("declare sev1 Ledger drift --service ledger", user_id="U1")
        await fake_slack.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        await bot.command("declare sev3 Slow avatars --service avatars", user_id="U2")
        await fake_slack.wait_for_response(lambda r: "INC-2 declared" in r["body"].get("text", ""))
        first, second = (str(c.response["channel"]["id"]) for c in fake_slack.calls_to("conversations.create"))
        await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=first)
        await bot.command(f"runbook {RUNBOOK}", user_id="U1", channel_id=first)
        [checklist] = await fake_slack.wait_for("chat.postMessage",
                                                lambda c: str(c.params.get("text")).startswith("Runbook:"))
        await bot.settled()
        yield Two(bot, fake_slack.state.team_id, first, second, checklist.response["ts"])


async def _click(two: Two, user: str, channel: str, action_id: str, value: str) -> str:
    """Click as `user`; the text of what they were told."""
    fake = two.bot.fake
    before = len(fake.responses)
    payload = fake.block_action_payload(user, channel, two.checklist_ts, {"action_id": action_id, "value": value})
    status, _, _ = await two.bot.interaction(payload)
    assert status == 200
    await two.bot.settled()
    return "\n".join(str(r["body"].get("text", "")) for r in fake.responses[before:])


async def _audit(two: Two, channel: str) -> list[Any]:
    incident = await two.bot.warroom.incidents.for_channel(two.team, channel)
    return await two.bot.warroom.incidents.audit(two.team, incident.id)  # type: ignore[arg-type]


async def _steps(two: Two) -> list[str]:
    incident = await two.bot.warroom.incidents.for_channel(two.team, two.first)
    async with two.bot.warroom.services.incidents._uow() as uow:
        return [r.state.value for r in await uow.runbooks.steps(two.team, incident.id, RUNBOOK)]  # type: ignore[arg-type]


async def test_a_signed_click_older_than_five_minutes_is_refused_with_401(two: Two) -> None:
    fake, before = two.bot.fake, len(two.bot.fake.calls)
    action = {"action_id": Action.STEP_RUN, "value": step_value(RUNBOOK, "look", 0)}
    status, _, _ = await two.bot.interaction(fake.block_action_payload("U1", two.first, two.checklist_ts, action),
                                             timestamp=STALE)
    assert status == 401
    await two.bot.settled()
    assert await _steps(two) == ["pending", "pending"]
    assert [c.method for c in fake.calls[before:]] == []


async def test_a_signed_event_older_than_five_minutes_is_refused_with_401(two: Two) -> None:
    message = two.bot.fake.state.post_as_user(two.first, "U2", "Replayed later")
    event = {"type": "reaction_added", "user": "U2", "reaction": "pushpin",
             "item": {"type": "message", "channel": two.first, "ts": message["ts"]}}
    status, _, _ = await two.bot.fake.send_event(two.bot.events_url, SIGNING_SECRET, event, timestamp=STALE)
    assert status == 401
    await two.bot.settled()
    incident = await two.bot.warroom.incidents.for_channel(two.team, two.first)
    timeline = await two.bot.warroom.incidents.timeline(two.team, incident.id)  # type: ignore[arg-type]
    assert "Replayed later" not in json.dumps([e.text for e in timeline])


async def test_a_step_of_another_incident_is_refused_and_audited(two: Two) -> None:
    text = await _click(two, "U2", two.second, Action.STEP_RUN, step_value(RUNBOOK, "look", 0))
    assert "That runbook is not attached to an incident in this channel." in text
    [refused] = [e for e in await _audit(two, two.second) if e.action == "request.refused"]
    assert refused.actor == "U2" and refused.after["runbook"] == RUNBOOK and refused.after["step"] == "look"
    assert await _steps(two) == ["pending", "pending"]


async def test_a_step_button_outside_any_incident_is_refused_and_audited_for_the_workspace(two: Two) -> None:
    text = await _click(two, "U2", "CGENERAL", Action.STEP_RUN, step_value(RUNBOOK, "look", 0))
    assert "not attached to an incident in this channel" in text
    async with two.bot.warroom.services.incidents._uow() as uow:
        chain = await uow.audit.chain(two.team)
    [refused] = [r for r in chain.records if r.action == "request.refused"]
    assert refused.incident_id is None and refused.actor == "U2" and refused.after["channel"] == "CGENERAL"


async def test_an_unknown_step_id_is_refused_and_audited(two: Two) -> None:
    text = await _click(two, "U1", two.first, Action.STEP_RUN, step_value(RUNBOOK, "drop-tables", 0))
    assert "That step is not in the runbook any more" in text
    assert [e.after["step"] for e in await _audit(two, two.first) if e.action == "request.refused"] == ["drop-tables"]


async def test_a_run_button_changed_to_name_a_guarded_step_is_refused_to_someone_without_the_role(two: Two) -> None:
    text = await _click(two, "U7", two.first, Action.STEP_RUN, step_value(RUNBOOK, "restart", 0))
    assert "Only the incident commander (<@U1>) may run “Restart the ledger”." in text
    assert [e.actor for e in await _audit(two, two.first) if e.action == "runbook.step_refused"] == ["U7"]
    assert await _steps(two) == ["pending", "pending"]


async def test_a_rollback_flag_added_to_a_check_step_is_refused(two: Two) -> None:
    text = await _click(two, "U1", two.first, Action.STEP_ROLLBACK, step_value(RUNBOOK, "look", 0))
    assert "Only flag steps can be rolled back." in text
    assert await _steps(two) == ["pending", "pending"]


async def test_an_approval_with_a_changed_attempt_or_step_is_refused_and_audited(two: Two) -> None:
    asked = await _click(two, "U1", two.first, Action.STEP_RUN, step_value(RUNBOOK, "restart", 0))
    assert asked == ""
    assert await _steps(two) == ["pending", "awaiting_approval"]
    changed_attempt = await _click(two, "U2", two.first, Action.STEP_APPROVE, step_value(RUNBOOK, "restart", 7))
    assert "That approval request for “Restart the ledger” is no longer open" in changed_attempt
    changed_step = await _click(two, "U2", two.first, Action.STEP_APPROVE, step_value(RUNBOOK, "look", 1))
    assert "is no longer open" in changed_step
    refused = [e.after for e in await _audit(two, two.first) if e.action == "request.refused"]
    assert [(r["step"], r["attempt"]) for r in refused] == [("restart", 7), ("look", 1)]
    assert await _steps(two) == ["pending", "awaiting_approval"]


async def test_an_unknown_follow_up_id_is_refused(two: Two) -> None:
    text = await _click(two, "U1", two.first, Action.FOLLOWUP_DONE, "999999")
    assert "That follow-up does not exist in this workspace." in text
