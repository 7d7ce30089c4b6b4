"""Operating Warroom: /health, /metrics, list and help, and the error ref that matches the log."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import structlog

from bot.log import configure_logging
from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot


async def test_health_reports_each_dependency(bot: Bot) -> None:
    status, text = await bot.get("/health")
    body = json.loads(text)
    assert status == 200 and body["status"] == "ok"
    assert {k: v["status"] for k, v in body["checks"].items()} == {"database": "ok", "slack": "ok", "scheduler": "ok",
                                                                      "runbooks": "ok"}


async def test_health_is_degraded_when_slack_auth_fails(bot: Bot) -> None:
    bot.fake.fail_next("auth.test", status=200, error="invalid_auth", retry_after=None)
    status, text = await bot.get("/health")
    body = json.loads(text)
    assert status == 503 and body["status"] == "degraded"
    assert body["checks"]["slack"] == {"status": "fail", "detail": "auth.test failed: invalid_auth"}


async def test_metrics_count_requests_ack_latency_and_incidents_by_state(bot: Bot) -> None:
    await bot.command("declare sev1 Imports failing")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    await bot.command("list")
    status, text = await bot.get("/metrics")
    assert status == 200
    assert 'warroom_requests_total{kind="command",status="200"} 2.0' in text
    assert re.search(r'warroom_ack_seconds_count\{kind="command"\} 2\.0', text)
    assert 'warroom_incidents{status="investigating"} 1.0' in text


async def test_list_shows_open_incidents_and_help_lists_commands(bot: Bot) -> None:
    await bot.command("declare sev1 Imports failing")
    await bot.fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    _, listing, _ = await bot.command("list")
    assert listing["response_type"] == "ephemeral" and listing["text"] == "1 open incidents"
    assert "*INC-1* Imports failing" in listing["blocks"][1]["text"]["text"]
    _, helped, _ = await bot.command("help")
    assert "/incident declare <severity> <title>" in helped["blocks"][0]["text"]["text"]
    assert bot.fake.violations == []


class BrokenClock:
    """A clock that fails once armed, to provoke an unexpected error inside a use case."""

    armed = False

    def now(self) -> datetime:
        if self.armed:
            raise RuntimeError("clock exploded")
        return datetime.now(UTC)


async def test_an_unexpected_error_shows_a_ref_that_is_in_the_log(fake_slack: FakeSlack, tmp_path: Path) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("info", "json", secrets=["8f742231b10e8888abcd99yyyzzz85a5"], stream=stream)
    try:
        clock = BrokenClock()
        async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path,
                               clock=clock) as bot:
            clock.armed = True
            status, _, _ = await bot.command("declare sev1 Imports failing")
            assert status == 200
            reply = await fake_slack.wait_for_response(lambda r: "ref" in r["body"].get("text", ""))
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        structlog.reset_defaults()
    text = reply["body"]["text"]
    ref = re.search(r"Something went wrong \(ref ([0-9a-f]{8})\)", text)
    assert ref, text
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    [error] = [e for e in logged if e.get("event") == "unhandled_error"]
    assert error["ref"] == ref.group(1) and "clock exploded" in error["exception"]
    assert "8f742231b10e8888abcd99yyyzzz85a5" not in stream.getvalue()
    assert bot.writes() == []


async def test_broken_runbooks_are_reported_in_health_without_failing_it(fake_slack: FakeSlack, tmp_path: Path) -> None:
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / "broken.yaml").write_text("id: broken\ntitle: Broken\n")
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path,
                           env={"WARROOM_RUNBOOKS": str(library)}) as bot:
        status, text = await bot.get("/health")
    body = json.loads(text)
    assert status == 200 and body["status"] == "ok"
    assert body["checks"]["runbooks"]["status"] == "warn"
    assert body["checks"]["runbooks"]["broken"] == [str(library / "broken.yaml")]
