"""Fresh databases for tests: a SQLite file, or a new database on the PostgreSQL server.

PostgreSQL comes from WARROOM_TEST_POSTGRES_URL (default: the local server, user postgres,
database test). The tests never skip it: if the server is down, they fail and say how to start it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("WARROOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


async def _admin() -> asyncpg.Connection:
    url = make_url(ADMIN_URL)
    try:
        return await asyncpg.connect(
            user=url.username, password=url.password, host=url.host, port=url.port or 5432, database=url.database
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is needed for these tests and is not reachable at {url.host}:{url.port} ({exc!r}). "
            "Start it (`bash .ci/run` does) or set WARROOM_TEST_POSTGRES_URL."
        ) from exc


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield the async SQLAlchemy URL of a new, empty database; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}"
        return
    name = f"warroom_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        admin = await _admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
