"""End-to-end fixtures: the real app on a real port, the fake Slack, a SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot


@pytest.fixture
async def bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", tmp_path) as running:
        yield running


@pytest.fixture(autouse=True)
async def _every_call_honours_slacks_contract(fake_slack: FakeSlack) -> AsyncIterator[None]:
    """Whatever a test asserts, every Web API call and block it caused must be valid."""
    yield
    assert fake_slack.violations == [], "\n".join(fake_slack.violations)
