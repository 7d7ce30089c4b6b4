"""Re-running a use case whose transaction lost a race with another (deadlock, serialization, busy SQLite).

The losing transaction was rolled back whole (its timeline entries, audit records and outbox
messages with it), so running the use case again from the start, reading the state afresh, does
the change once. It is run again only while nothing of it was committed: a use case that saved
something and then lost a race in a later transaction is not repeated.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import structlog

from bot.domain.commits import CommitCount
from bot.domain.errors import TransactionConflict

log = structlog.get_logger(__name__)

ATTEMPTS = 5
BACKOFF_SECONDS = 0.02  # doubled each time, with jitter, so the same two do not collide again in step

P = ParamSpec("P")
R = TypeVar("R")


def retried(use_case: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run `use_case` again (up to ATTEMPTS in all) when it loses a race before committing anything."""

    @functools.wraps(use_case)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            with CommitCount() as count:
                try:
                    return await use_case(*args, **kwargs)
                except TransactionConflict as exc:
                    if count.saved or attempt == ATTEMPTS:
                        log.warning("transaction_conflict_gave_up", use_case=use_case.__qualname__, attempt=attempt,
                                    saved=count.saved, cause=repr(exc.__cause__))
                        raise
                    log.info("transaction_conflict_retried", use_case=use_case.__qualname__, attempt=attempt,
                             cause=type(exc.__cause__).__name__)
            await asyncio.sleep(random.uniform(0.5, 1.5) * BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    return run
