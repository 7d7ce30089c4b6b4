"""The ports (Protocols) to the rest of the world the use cases depend on: the clock, the step runner and the
flag providers; adapters implement them, tests fake them. The chat ports are in `chat.py`, the storage ports
(repositories, unit of work) in `repositories.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.runbook import FlagValue, Step, StepOutcome


class Clock(Protocol):
    """Tells the time; injected so tests control it."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class StepRunner(Protocol):
    """Runs command, HTTP-check and flag steps (checks and notifications need no runner)."""

    async def run(self, step: Step, *, rollback: bool = False) -> StepOutcome:
        """Run the step (or undo a flag step); the step's own failure is an outcome, not an exception."""
        ...


class FlagProvider(Protocol):
    """Reads and sets feature flags (the kill switches runbook steps flip).

    `set` returns the value before the change so the step can record it and offer a rollback.
    Errors are FlagProviderError with a message a responder can act on.
    """

    name: str

    async def get(self, flag: str) -> FlagValue:
        """The flag's current value (None when the flag does not exist)."""
        ...

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """Set the flag; returns its previous value."""
        ...
