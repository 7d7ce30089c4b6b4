"""A real browser (Debian's Chromium, driven by Playwright) on the sandbox, started in-process."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright

from bot.sandbox import Sandbox, start_sandbox

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own download is not used
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# Reminder timers off: they would post on their own while a test looks (e2e tests do the same).
QUIET = {"WARROOM_TIMER_POLL_SECONDS": "0"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The sandbox on free ports with its data in tmp_path."""
    running = await start_sandbox(tmp_path / "sandbox", port=0, environ=QUIET)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium profile."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (.ci/run does it)")
    async with async_playwright() as pw:
        context: BrowserContext = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots are kept after the run (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
