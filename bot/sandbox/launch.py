"""Start the sandbox: the Slack stand-in, the real Warroom on SQLite talking to it, and the page."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import secrets
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from bot.app import create_app
from bot.manifest import build_manifest
from bot.serve import Running, start
from bot.settings import load_settings
from bot.standin import FakeSlack
from bot.standin.live import LiveWorkspace
from bot.web import SLACK_PATH

from .server import create_page_app

log = structlog.get_logger(__name__)

DEFAULT_DIR = Path(".warroom-sandbox")
DEFAULT_PORT = 8800
BOT_TOKEN = "xoxb-sandbox"  # made up: the stand-in is the only Slack this bot ever talks to
CHANNELS = {"general": "CGENERAL", "incidents": "CANNOUNCE"}
DEMO_PEOPLE = (  # name, real name, title
    ("ada", "Ada Lovelace", "Incident commander on call"),
    ("ben", "Ben Okafor", "Backend engineer"),
    ("cleo", "Cleo Martins", "Support lead"),
)
# The user's own policy, runbooks and log level apply; the Slack side and storage are the sandbox's.
PASSED_THROUGH = ("WARROOM_CONFIG", "WARROOM_RUNBOOKS", "LOG_LEVEL", "WARROOM_TIMER_POLL_SECONDS")
CHANNEL_REF = re.compile(r"^#([a-z0-9_-]{1,80})$")


def policy_channels(node: Any) -> set[str]:
    """Every ``#channel`` the policy names (announcements, escalation, on-call...)."""
    if isinstance(node, str):
        match = CHANNEL_REF.match(node)
        return {match.group(1)} if match else set()
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return policy_channels([getattr(node, f.name) for f in dataclasses.fields(node)])
    if isinstance(node, Mapping):
        return policy_channels(list(node.values()))
    if isinstance(node, list | tuple | set | frozenset):
        return set().union(*(policy_channels(item) for item in node)) if node else set()
    return set()


@dataclass
class Sandbox:
    """A running sandbox; ``close()`` stops the page, the bot and the stand-in."""

    fake: FakeSlack
    bot: Running
    live: LiveWorkspace
    page: web.AppRunner
    url: str

    async def close(self) -> None:
        """Stop everything, the page first so no one acts on a stopping bot."""
        await self.page.cleanup()
        await self.live.stop()
        await self.bot.close()
        await self.fake.stop()


async def start_sandbox(data_dir: Path = DEFAULT_DIR, *, port: int = DEFAULT_PORT,
                        environ: Mapping[str, str] | None = None) -> Sandbox:
    """Start the stand-in, the bot (``warroom serve``'s start path, HTTP mode) and the page."""
    environ = os.environ if environ is None else environ
    data_dir.mkdir(parents=True, exist_ok=True)
    fake = await FakeSlack(bot_token=BOT_TOKEN, channels=dict(CHANNELS), require_spec=False).start()
    try:
        secret = secrets.token_hex(16)
        env = {k: environ[k] for k in PASSED_THROUGH if environ.get(k)}
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=secret, SLACK_API_URL=fake.api_url,
                   DATABASE_URL=f"sqlite:///{(data_dir / 'warroom.db').resolve()}",
                   HOST="127.0.0.1", PORT="0", WARROOM_AUTO_MIGRATE="true")
        settings = load_settings(env, env_file=None)
        warroom = create_app(settings, environ=environ)
        for name in sorted(policy_channels(warroom.policy)):
            if fake.channel_by_name(name) is None:
                fake.state.add_channel(name)
        bot = await start(warroom, host="127.0.0.1", port=0)
    except BaseException:
        await fake.stop()
        raise
    manifest = build_manifest(warroom.surface, settings)
    live = LiveWorkspace(
        fake, bot_url=f"http://127.0.0.1:{bot.port}{SLACK_PATH}", signing_secret=secret,
        commands=manifest["features"].get("slash_commands", []),
        shortcuts=manifest["features"].get("shortcuts", []),
        bot_events=set(manifest["settings"].get("event_subscriptions", {}).get("bot_events", [])),
        on_violation=lambda v: log.warning("slack_contract_violation", violation=v))
    for name, real_name, title in DEMO_PEOPLE:
        live.add_person(name, real_name, title)
    live.start()
    page = web.AppRunner(create_page_app(live), access_log=None, handle_signals=False)
    await page.setup()
    site = web.TCPSite(page, "127.0.0.1", port)
    await site.start()
    bound = page.addresses[0][1]
    return Sandbox(fake=fake, bot=bot, live=live, page=page, url=f"http://127.0.0.1:{bound}/")


async def run_sandbox(data_dir: Path = DEFAULT_DIR, *, port: int = DEFAULT_PORT) -> None:
    """Run the sandbox until Ctrl-C (SIGINT) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sandbox = await start_sandbox(data_dir, port=port)
    print(f"Warroom sandbox: open {sandbox.url} (data in {data_dir}/; Ctrl-C stops it)", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.close()
