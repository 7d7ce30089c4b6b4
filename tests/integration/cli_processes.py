"""Running `warroom` as a new user would: a clean environment, a free port, waiting for /health."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import aiohttp


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(**values: str) -> dict[str, str]:
    """Only what a new user sets: no inherited SLACK_* or DATABASE_URL from the developer's shell."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {**keep, **values}


async def healthy(port: int, deadline: float) -> dict[str, object]:
    """Poll /health until it answers 200 or the deadline passes."""
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/health") as resp:
                    if resp.status == 200:
                        return dict(await resp.json())
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("warroom serve did not become healthy")
            await asyncio.sleep(0.1)
