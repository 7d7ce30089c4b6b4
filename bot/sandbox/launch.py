"""Start the sandbox: the Slack stand-in, the real Warroom on SQLite talking to it, and the page."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import re
import secrets
import signal
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from bot.app import create_app
from bot.config import load_config
from bot.domain.errors import ConfigError
from bot.manifest import build_manifest
from bot.serve import Running, start
from bot.standin import FakeSlack
from bot.standin.live import LiveWorkspace
from bot.web import SLACK_PATH

from .flags import FLAGS_FILE, PROVIDER, SandboxFlags, normal_values
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
    flags: SandboxFlags

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
    listener = page_socket(port)  # first: a busy port stops the sandbox before anything starts
    try:
        return await _start(data_dir, listener, environ)
    except BaseException:
        listener.close()
        raise


def page_socket(port: int) -> socket.socket:
    """The page's listening socket on 127.0.0.1; a ConfigError in one line when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does: TIME_WAIT is not "in use"
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise ConfigError(f"cannot open the sandbox on port {port}: "
                              f"{'it is in use' if exc.errno == errno.EADDRINUSE else 'permission denied'}"
                              "; stop what uses it or choose another with --port") from None
        raise
    return sock


async def _start(data_dir: Path, listener: socket.socket, environ: Mapping[str, str]) -> Sandbox:
    data_dir.mkdir(parents=True, exist_ok=True)
    flags = SandboxFlags((data_dir / FLAGS_FILE).resolve())
    fake = await FakeSlack(bot_token=BOT_TOKEN, channels=dict(CHANNELS), require_spec=False).start()
    try:
        secret = secrets.token_hex(16)
        env = {k: environ[k] for k in PASSED_THROUGH if environ.get(k)}
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=secret, SLACK_API_URL=fake.api_url,
                   DATABASE_URL=f"sqlite:///{(data_dir / 'warroom.db').resolve()}",
                   HOST="127.0.0.1", PORT="0", WARROOM_AUTO_MIGRATE="true")
        # Runbook commands see the user's environment; the Slack side and storage are the sandbox's.
        config = dataclasses.replace(load_config(env, env_file=None), environ=environ)
        if not config.policy.status_page.dir:  # the status page is written beside the sandbox's database
            site = (data_dir / "status").absolute()  # not resolve(): after a first run it is a link to a build
            page_policy = dataclasses.replace(config.policy.status_page, dir=str(site))
            config = dataclasses.replace(config, policy=dataclasses.replace(config.policy, status_page=page_policy))
        settings = config.settings
        # Every provider the user's warroom.yaml names is the sandbox's flags file: nothing real is flipped.
        named = config.flags.providers
        warroom = create_app(config, providers=flags.providers(named), default_provider=PROVIDER)
        await flags.seed(normal_values(warroom.runbook_report.runbooks.values()))
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
    flags.on_change = live.bump
    page = web.AppRunner(create_page_app(live, flags), access_log=None, handle_signals=False)
    await page.setup()
    await web.SockSite(page, listener).start()
    bound = listener.getsockname()[1]
    return Sandbox(fake=fake, bot=bot, live=live, page=page, url=f"http://127.0.0.1:{bound}/", flags=flags)


async def run_sandbox(data_dir: Path = DEFAULT_DIR, *, port: int = DEFAULT_PORT) -> None:
    """Run the sandbox until Ctrl-C (SIGINT) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sandbox = await start_sandbox(data_dir, port=port)
    print(f"Warroom sandbox: open {sandbox.url} (data in {data_dir}/; Ctrl-C stops it); the status page is at "
          f"http://127.0.0.1:{sandbox.bot.port}/status/", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.close()
