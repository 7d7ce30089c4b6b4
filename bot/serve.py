"""Run Warroom: HTTP server (always, for /health and /metrics) and Socket Mode when configured."""

from __future__ import annotations

import asyncio
import gc
import signal
from dataclasses import dataclass

import structlog
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Warroom
from bot.web import create_web_app

log = structlog.get_logger(__name__)

# Acknowledged requests whose work is still running get this long to finish at shutdown.
DRAIN_SECONDS = 20.0


@dataclass
class Running:
    """A started Warroom; `close()` stops everything it started."""

    warroom: Warroom
    runner: web.AppRunner
    port: int
    socket: AsyncSocketModeHandler | None

    async def close(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Stop taking requests, let acknowledged work finish, then stop the app."""
        if self.socket is not None:
            await self.socket.close_async()
        await self.runner.cleanup()
        in_flight = self.warroom.surface.in_flight
        if not await in_flight.wait_idle(drain_seconds):
            log.warning("shutdown_with_work_in_flight", listeners=in_flight.running)
        await self.warroom.stop()


async def start(warroom: Warroom, *, host: str | None = None, port: int | None = None) -> Running:
    """Start the app, the HTTP server and (with an app token) Socket Mode; returns when ready."""
    settings = warroom.settings
    await warroom.start()
    runner = web.AppRunner(create_web_app(warroom), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.host, settings.port if port is None else port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else settings.port
    socket = None
    if settings.slack_app_token is not None:
        socket = AsyncSocketModeHandler(warroom.bolt, settings.slack_app_token.get_secret_value())
        await socket.connect_async()
    log.info("listening", host=host or settings.host, port=bound, socket_mode=socket is not None)
    return Running(warroom=warroom, runner=runner, port=bound, socket=socket)


def freeze_startup_objects() -> None:
    """Keep what start-up loaded (it lives as long as the process) out of the collector's scans.

    Full collections otherwise pause every request for ~100 ms at a time (bench/run.py).
    """
    gc.collect()
    gc.freeze()


async def serve_forever(warroom: Warroom) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start(warroom)
    freeze_startup_objects()
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await running.close()
