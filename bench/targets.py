"""The two apps under test, each on an ephemeral loopback port: a bare Bolt app and Warroom.

Both are served the same way (aiohttp, POST /slack/events, to_bolt_request -> async_dispatch ->
to_aiohttp_response, as bot/web.py does) and talk to the same fake Slack.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Warroom, create_app
from bot.config import load_config
from bot.serve import freeze_startup_objects, start
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from tests.databases import fresh_database
from tests.e2e.harness import SIGNING_SECRET, bot_environ

SLACK_PATH = "/slack/events"


@asynccontextmanager
async def bare_bolt(fake: FakeSlack) -> AsyncIterator[str]:
    """A Bolt app whose /incident handler only acks; yields its /slack/events URL."""
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    app = AsyncApp(client=client, signing_secret=SIGNING_SECRET)

    @app.command("/incident")
    async def _incident(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(".*"))  # card clicks in bench.mixed: ack only, like the command
    async def _action(ack: AsyncAck) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post(SLACK_PATH, slack_events)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}{SLACK_PATH}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A new, empty database (SQLite file in `tmp`, or a fresh PostgreSQL database, dropped after)."""
    async with fresh_database(kind, tmp) as url:
        yield url


@asynccontextmanager
async def warroom(fake: FakeSlack, database_url: str, tmp: Path,
                  list_cache_seconds: float = 2.0, **extra_env: str) -> AsyncIterator[tuple[Warroom, str]]:
    """The real Warroom (create_app + start, settings as the e2e tests build them, plus `extra_env`)."""
    env = bot_environ(fake, database_url, WARROOM_CONFIG=str(tmp / "warroom.yaml"),
                      WARROOM_LIST_CACHE_SECONDS=str(list_cache_seconds), **extra_env)
    app = create_app(load_config(env, env_file=None))
    running = await start(app, host="127.0.0.1", port=0)
    freeze_startup_objects()  # as `warroom serve` does after start-up
    try:
        yield app, f"http://127.0.0.1:{running.port}{SLACK_PATH}"
    finally:
        await running.close()


async def seed_open_incidents(app: Warroom, fake: FakeSlack, count: int) -> None:
    """Declare `count` incidents through the service, so /incident list has rows to show."""
    for i in range(count):
        await app.incidents.declare(DeclareRequest(
            team_id=fake.state.team_id, user_id="U1", severity="sev2",
            title=f"Seed {uuid.uuid4().hex}", service=f"seed-{i}", source_channel_id="CGENERAL",
        ), force=True)
