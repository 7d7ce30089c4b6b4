"""pytest fixtures for the fake Slack; import them into a test module or conftest:

    from tests.standin_fixtures import fake_slack  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.standin import FakeSlack


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A started FakeSlack, stopped after the test (close Socket Mode apps before that)."""
    async with FakeSlack() as fake:
        yield fake
