"""Alembic environment: runs on the connection Warroom hands it (see store/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.alerts
import store.models
import store.names
import store.outbox
import store.runs
import store.status_page
import store.timers  # noqa: F401

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `warroom migrate` (store.migrate), which supplies the connection")
_run(connection)
