"""Shared fixtures: fresh databases on both backends, and the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from store.migrate import upgrade
from tests.databases import BACKENDS, fresh_database
from tests.standin_fixtures import fake_slack  # noqa: F401  (fixture)
from tests.unleash.harness import UnleashServer, running_unleash


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each backend in turn."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def unleash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UnleashServer]:
    """Unleash 7 on loopback for the whole session (see tests/unleash/harness.py)."""
    with running_unleash(tmp_path_factory.mktemp("unleash")) as server:
        yield server
