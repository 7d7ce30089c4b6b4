"""Run the real Warroom over real sockets against the fake Slack."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.app import Warroom, create_app
from bot.config import Config, load_config
from bot.log import configure_logging
from bot.redactor import build_redactor
from bot.serve import Running, start
from bot.standin import FakeSlack

# A planted run (tests/integration/test_planted_secrets.py) names a JSON file of secret and restricted values
# to use instead of these, and scans everything the suite prints for them.
PLANTED_ENV = "WARROOM_TEST_PLANTED_SECRETS"
PLANTED: dict[str, str] = json.loads(Path(os.environ[PLANTED_ENV]).read_text()) if os.environ.get(PLANTED_ENV) else {}
SIGNING_SECRET = PLANTED.get("signing_secret", "8f742231b10e8888abcd99yyyzzz85a5")
# Restricted values flows type into titles, notes and summaries and have runbook commands print.
RESTRICTED = {"bank_account": "GB29NWBK60161331926819", "payer_id": "PYR-4417-0093",
              "csv_row": "2026-01-27,ACME Ltd,GB29NWBK60161331926819,1250.00,INV-1042",
              "webhook_url": "https://hooks.slack.com/services/T0001/B0002/XyZ123abc456"} | {
    k: v for k, v in PLANTED.items() if k in ("bank_account", "payer_id", "csv_row", "webhook_url")}
WRITE_METHODS = {"conversations.create", "conversations.invite", "conversations.setTopic", "chat.postMessage",
                 "chat.update", "chat.postEphemeral", "views.open", "views.update", "pins.add", "reactions.add"}


@dataclass
class Bot:
    """A running Warroom and the fake Slack it talks to."""

    warroom: Warroom
    running: Running
    fake: FakeSlack

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.running.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    async def command(self, text: str, **kw: Any) -> tuple[int, Any, float]:
        """Send a signed /incident command over HTTP."""
        return await self.fake.send_command(self.events_url, SIGNING_SECRET, text=text, **kw)

    async def interaction(self, payload: dict[str, Any], **kw: Any) -> tuple[int, Any, float]:
        """Send a signed interactivity payload over HTTP."""
        return await self.fake.send_interaction(self.events_url, SIGNING_SECRET, payload, **kw)

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base_url + path) as resp:
            return resp.status, await resp.text()

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every acknowledged request has finished its work."""
        assert await self.warroom.surface.in_flight.wait_idle(timeout), "listeners still running"
        assert await self.warroom.sender.wait_idle(timeout), "Slack calls still queued in the outbox"

    def writes(self) -> list[str]:
        """Web API methods called that change something in Slack."""
        return [c.method for c in self.fake.calls if c.method in WRITE_METHODS]


def bot_environ(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """Settings for a bot pointed at the fake."""
    return {
        "SLACK_BOT_TOKEN": fake.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": "0",
        "WARROOM_AUTO_MIGRATE": "true",
        # Tests send due timers themselves (dispatch_due), at the moments they choose.
        "WARROOM_TIMER_POLL_SECONDS": "0", **extra,
    }


def bot_config(env: dict[str, str], environ: Mapping[str, str] = os.environ) -> Config:
    """The Config `env` makes (no .env file); runbook commands and flag providers see `environ`."""
    return replace(load_config(env, env_file=None), environ=environ)


def log_as_served(fake: FakeSlack, tmp_path: Path) -> None:
    """Configure logging as `warroom serve` does for a bot on `fake`: everything, through its redactor, to stderr."""
    env = bot_environ(fake, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", SLACK_APP_TOKEN=fake.app_token,
                      WARROOM_CONFIG=str(tmp_path / "warroom.yaml"))
    configure_logging("debug", "json", redactor=build_redactor(bot_config(env)))


@asynccontextmanager
async def running_bot(fake: FakeSlack, database_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Bot]:
    """Start Warroom (HTTP, or Socket Mode with SLACK_APP_TOKEN in `env`) and stop it afterwards."""
    env = bot_environ(fake, database_url, WARROOM_CONFIG=str(tmp_path / "warroom.yaml"), **overrides.pop("env", {}))
    warroom = create_app(bot_config(env, overrides.pop("environ", os.environ)), **overrides)
    running = await start(warroom, host="127.0.0.1", port=0)
    try:
        yield Bot(warroom=warroom, running=running, fake=fake)
    finally:
        await running.close()


@asynccontextmanager
async def declared_incident(fake: FakeSlack, tmp_path: Path, clock: Any, declare: str) -> AsyncIterator[tuple[Bot, str]]:
    """A bot on `clock` with INC-1 declared by U1 (`declare` is the command text); yields it and the channel."""
    async with running_bot(fake, f"sqlite+aiosqlite:///{tmp_path / 'inc.db'}", tmp_path, clock=clock) as bot:
        await bot.command(declare, user_id="U1")
        await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        await bot.settled()  # the card goes out from the outbox
        yield bot, str(fake.calls_to("conversations.create")[0].response["channel"]["id"])


def drill_library(tmp_path: Path, runbook_id: str) -> Path:
    """A runbook folder with one drill runbook: `look` (a plain check) and `restart` (guarded: commander,
    approval by a second person)."""
    library = tmp_path / "runbooks"
    library.mkdir()
    (library / f"{runbook_id}.yaml").write_text(yaml.safe_dump({
        "id": runbook_id, "title": f"{runbook_id.title()} drill", "summary": "Guarded and not.",
        "procedures": [{"id": "p", "title": "P", "steps": [
            {"id": "look", "title": "Look around", "kind": "check"},
            {"id": "restart", "title": "Restart the ledger", "kind": "check",
             "guard": {"roles": ["commander"], "approval": True}}]}]}))
    return library
