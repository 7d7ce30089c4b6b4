"""The running fake Slack of the stand-in's own tests."""

from __future__ import annotations

import pytest

from bot.standin import FakeSlack


@pytest.fixture
async def fake():
    async with FakeSlack() as running:
        yield running
