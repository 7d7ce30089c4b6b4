"""/health tells anyone whether Warroom is well; what its dependencies are only to whom may know."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot

TOKEN = "h3alth-t0ken-for-the-monitor"
OUTSIDE = {"X-Forwarded-For": "203.0.113.7"}  # through a reverse proxy on the same host: not a local caller


async def _health(bot: Bot, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(bot.base_url + "/health", headers=headers) as resp:
        return resp.status, await resp.text()


async def test_health_from_outside_shows_only_the_overall_status_and_each_checks(bot: Bot) -> None:
    status, text = await _health(bot, OUTSIDE)
    assert status == 200
    assert json.loads(text) == {"status": "ok", "checks": {"database": {"status": "ok"}, "slack": {"status": "ok"},
                                                           "scheduler": {"status": "ok"}, "runbooks": {"status": "ok"}}}
    assert bot.fake.state.team_id not in text and "sqlite" not in text


async def test_health_is_degraded_from_outside_without_saying_why(bot: Bot) -> None:
    bot.fake.fail_next("auth.test", status=200, error="invalid_auth", retry_after=None)
    status, text = await _health(bot, OUTSIDE)
    assert status == 503 and json.loads(text)["status"] == "degraded"
    assert json.loads(text)["checks"]["slack"] == {"status": "fail"} and "invalid_auth" not in text


async def test_health_details_need_the_health_token_from_outside(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path,
                           env={"WARROOM_HEALTH_TOKEN": TOKEN}) as bot:
        _, detailed = await _health(bot, {**OUTSIDE, "Authorization": f"Bearer {TOKEN}"})
        _, wrong = await _health(bot, {**OUTSIDE, "Authorization": f"Bearer {TOKEN}x"})
        _, local = await _health(bot, {})
    checks = json.loads(detailed)["checks"]
    assert checks["database"]["detail"].startswith("sqlite") and checks["slack"]["team_id"] == fake_slack.state.team_id
    assert json.loads(wrong)["checks"]["slack"] == {"status": "ok"}
    assert "detail" in json.loads(local)["checks"]["database"]  # loopback, not proxied: `warroom doctor`, a probe
