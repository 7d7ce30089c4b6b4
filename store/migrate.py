"""Apply and check Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.errors import StorageUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """Alembic config pointing at store/migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest migration the code ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


def _autogenerate(connection: Connection, message: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.revision(cfg, message=message, autogenerate=True)


async def make_revision(engine: AsyncEngine, message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers only)."""
    async with engine.begin() as conn:
        await conn.run_sync(_autogenerate, message)


async def ensure_current(engine: AsyncEngine) -> None:
    """Raise StorageUnavailable saying which command fixes it when the schema is behind."""
    try:
        current = await current_revision(engine)
    except (OSError, ConnectionError) as exc:
        raise StorageUnavailable(f"Cannot reach the database ({type(exc).__name__}): check DATABASE_URL and "
                                 "that the database server is running.") from exc
    head = head_revision()
    if current != head:
        raise StorageUnavailable(
            f"The database schema is at revision {current or 'empty'} but this Warroom needs {head}. "
            "Run `warroom migrate` (the Procfile's release step does this), then start again."
        )
