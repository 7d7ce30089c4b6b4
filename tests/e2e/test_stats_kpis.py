"""`/incident stats <range>` shows the KPIs by class: MTTA/MTTR median and p90, recurrence and runbook coverage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, drill_library, running_bot
from tests.e2e.scenario import People
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def _button(blocks: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return dict(next(b for b in blocks if b["type"] == "section" and title in b["text"]["text"])["accessory"])


async def _declare(bot: Bot, text: str, number: int) -> str:
    await bot.command(text, user_id="U1")
    await bot.fake.wait_for_response(lambda r: f"INC-{number} declared" in r["body"].get("text", ""))
    await bot.settled()
    return str(bot.fake.calls_to("conversations.create")[number - 1].response["channel"]["id"])


async def test_stats_over_a_range_show_the_class_breakdown_recurrence_and_runbook_coverage(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", tmp_path, clock=clock,
                           env={"WARROOM_RUNBOOKS": str(drill_library(tmp_path, "ledger"))}) as bot:
        first = await _declare(bot, "declare sev2 Import queue stuck", 1)
        await bot.command("class queue-failure", user_id="U1", channel_id=first)
        await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=first)  # acknowledged at T0
        await bot.command("runbook ledger", user_id="U1", channel_id=first)
        [posted] = await bot.fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Runbook:"))
        await bot.settled()
        await People(bot).click("U1", first, posted.response["ts"], _button(posted.params["blocks"], "Look around"))
        await bot.settled()

        clock.advance(minutes=60)
        second = await _declare(bot, "declare sev3 Ledger exports slow", 2)  # an hour later: a recurrence
        await bot.command("class Queue failure", user_id="U1", channel_id=second)
        clock.advance(minutes=10)
        await bot.command("role commander <@U2|bo>", user_id="U1", channel_id=second)  # acknowledged after 10 min
        await bot.settled()

        status, body, _ = await bot.command("stats 30d", user_id="U1")
    assert status == 200 and body["text"] == "Incident stats, last 30 days"
    sections = {b["text"]["text"].split("\n", 1)[0]: b["text"]["text"] for b in body["blocks"] if b["type"] == "section"}
    # acknowledgements 0 and 10 min: median 5 min, p90 rank ceil(1.8) = 2 -> 10 min; neither is resolved
    assert "*Queue failure*: 2 · MTTA median 5 min, p90 10 min · MTTR median —, p90 —" in sections["*By class*"]
    # The same median and p90 overall, and by severity in the policy's order: SEV2 (INC-1, acked at once), SEV3 (10 min)
    assert sections["*Overall*"] == "*Overall*\n*all*: 2 · MTTA median 5 min, p90 10 min · MTTR median —, p90 —"
    assert sections["*By severity*"].split("\n")[1:] == [
        "*SEV2*: 1 · MTTA median 0 s, p90 0 s · MTTR median —, p90 —",
        "*SEV3*: 1 · MTTA median 10 min, p90 10 min · MTTR median —, p90 —"]
    recurrence = sections["*Recurrence (an earlier incident of the class within 30 days)*"]
    assert "*Queue failure*: 1 of 2 (50%)" in recurrence  # INC-2 follows INC-1 by an hour
    # INC-1 had the runbook attached and its check ticked; INC-2 had none
    assert "1 of 2 incidents (50%) had a runbook attached and a step run; 1 had a runbook attached." in (
        sections["*Runbook coverage*"])
    assert bot.fake.violations == []
