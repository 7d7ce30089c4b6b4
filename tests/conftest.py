"""Shared fixtures: fresh databases on both backends, and the fake Slack."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from store.migrate import upgrade
from tests.databases import BACKENDS, fresh_database
from tests.e2e.harness import PLANTED_ENV
from tests.standin_fixtures import fake_slack  # noqa: F401  (fixture)
from tests.unleash.harness import UnleashServer, running_unleash

PLANTED_RUN = "tests/integration/test_planted_secrets.py::"


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect: the planted run must itself still be selected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The end-to-end suite runs once a session. When the planted-secrets test is selected too, it is that run:
    it runs every e2e module, with planted secrets and warnings as errors, and fails naming each e2e test that
    failed. Selected without it (`pytest tests/e2e`), the e2e tests run here as usual."""
    if os.environ.get(PLANTED_ENV) or not any(item.nodeid.startswith(PLANTED_RUN) for item in items):
        return
    e2e = [item for item in items if item.nodeid.startswith("tests/e2e/")]
    if e2e:
        config.hook.pytest_deselected(items=e2e)
    # The longest test first: a worker starts it at once while the other works through the rest.
    items[:] = sorted((item for item in items if not item.nodeid.startswith("tests/e2e/")),
                      key=lambda item: not item.nodeid.startswith(PLANTED_RUN))


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
