"""`/incident stats` over `30d`, `90d`, a date range and `--class`, with clear answers for what it cannot read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


async def _declare(bot: Bot, text: str, number: int) -> None:
    await bot.command(text, user_id="U1")
    await bot.fake.wait_for_response(lambda r: f"INC-{number} declared" in r["body"].get("text", ""))
    await bot.settled()


def _sections(body: dict[str, object]) -> dict[str, str]:
    blocks = body["blocks"]
    assert isinstance(blocks, list)
    return {b["text"]["text"].split("\n", 1)[0]: b["text"]["text"] for b in blocks if b["type"] == "section"}


async def test_stats_take_a_range_and_a_class_and_explain_what_they_cannot_read(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 's.db'}", tmp_path, clock=clock) as bot:
        await _declare(bot, "declare sev2 --class queue-failure Import queue stuck", 1)
        clock.advance(minutes=5)
        await _declare(bot, "declare sev3 --class audit-failure Audit rows late", 2)
        clock.advance(minutes=5)

        _, body, _ = await bot.command("stats 90d --class queue-failure", user_id="U1")
        assert body["text"] == "Incident stats, last 90 days, Queue failure"
        sections = _sections(body)
        assert sections["*Overall*"] == "*Overall*\n*all*: 1 · MTTA median —, p90 — · MTTR median —, p90 —"
        assert "*Queue failure*: 1 ·" in sections["*By class*"] and "Audit failure" not in sections["*By class*"]
        # The one queue-failure incident: its class is the top class, and the shipped library covers it.
        assert "1 of the top 1 classes (100%) have a runbook for them: Queue failure." in sections["*Runbook coverage*"]

        _, body, _ = await bot.command("stats 2026-11-01..2026-11-30", user_id="U1")
        assert body["text"] == "Incident stats, 2026-11-01 to 2026-11-30"
        assert _sections(body)["*Overall*"].startswith("*Overall*\n*all*: 2 ·")
        _, body, _ = await bot.command("stats 30d", user_id="U1")
        assert body["text"] == "Incident stats, last 30 days"

        for typed, answer in (
                ("stats 30d --class printer-fire", "`printer-fire` is not an incident class. Valid classes: "),
                ("stats 30d --class", "`--class` needs a class."),
                ("stats 30d --klass queue-failure", "`--klass` is not a flag of /incident stats"),
                ("stats 2026-03-31..2026-01-01", "ends before it starts"),
                ("stats lots", "Give a period like `24h`, `7d`, `2w`, `90d` or `2026-11-01..2026-11-30`")):
            status, body, _ = await bot.command(typed, user_id="U1")
            if "text" not in body or answer not in body["text"]:  # answered after the ack, through response_url
                await bot.fake.wait_for_response(lambda r, a=answer: a in r["body"].get("text", ""))
    assert bot.fake.violations == []
