"""End-to-end fixtures: the real app on a real port, the fake Slack, a SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from tests.e2e.harness import PLANTED, Bot, log_as_served, running_bot


@pytest.fixture
async def bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}", tmp_path) as running:
        yield running


if PLANTED:
    @pytest.fixture
    async def fake_slack() -> AsyncIterator[FakeSlack]:
        """The fake Slack with the planted tokens (a planted-secrets run)."""
        async with FakeSlack(bot_token=PLANTED["bot_token"], app_token=PLANTED["app_token"]) as fake:
            yield fake

    @pytest.fixture(autouse=True)
    def _log_as_served(fake_slack: FakeSlack, tmp_path: Path) -> None:
        """Each test starts with logging as `warroom serve` configures it (a test may reconfigure its own)."""
        log_as_served(fake_slack, tmp_path)


@pytest.fixture(autouse=True)
async def _every_call_honours_slacks_contract(fake_slack: FakeSlack) -> AsyncIterator[None]:
    """Whatever a test asserts, every Web API call and block it caused must be valid."""
    yield
    assert fake_slack.violations == [], "\n".join(fake_slack.violations)
