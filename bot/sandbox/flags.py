"""The sandbox's feature flags: one flags file in its data directory that every flag step sets.

Runbook kill switches run end to end in the sandbox without touching a real flag service: every
provider the user's warroom.yaml names, and the default one, is this file. It is created with the
normal value (the step's ``rollback`` value) of every flag the loaded runbooks flip, and each
change wakes the page so the "Feature flags" panel shows it at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.domain.runbook import FlagStep, FlagValue, Runbook
from runbooks.flags import FileFlagProvider

FLAGS_FILE = "flags.yaml"
PROVIDER = "sandbox"


def normal_values(runbooks: Iterable[Runbook]) -> dict[str, FlagValue]:
    """Each flag the runbooks' flag steps set, at the value their rollback returns it to."""
    values: dict[str, FlagValue] = {}
    for runbook in runbooks:
        for step in runbook.steps():
            if isinstance(step, FlagStep) and step.rollback is not None:
                values.setdefault(step.flag, step.rollback)
    return dict(sorted(values.items()))


class SandboxFlags:
    """A YAML flags file (a ``file`` provider) that calls ``on_change`` after every change it makes."""

    def __init__(self, path: Path, on_change: Callable[[], None] = lambda: None) -> None:
        self.name = PROVIDER
        self.path = path
        self.on_change = on_change
        self._file = FileFlagProvider(PROVIDER, path, "yaml")

    async def get(self, flag: str) -> FlagValue:
        """The flag's value in the file."""
        return await self._file.get(flag)

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """Write the flag into the file, tell the page, return the value it had."""
        before = await self._file.set(flag, value)
        self.on_change()
        return before

    async def seed(self, values: Mapping[str, FlagValue]) -> None:
        """Add the flags the file lacks; values already there (from an earlier run) stay."""
        current = await self.current()
        for flag, value in values.items():
            if flag not in current:
                await self._file.set(flag, value)

    async def current(self) -> dict[str, Any]:
        """What the file holds now, for the page (also after someone edited it by hand)."""
        return await asyncio.to_thread(self.values)

    def values(self) -> dict[str, Any]:
        """What the file holds now, read in the calling thread."""
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, yaml.YAMLError) as exc:
            return {"(unreadable)": f"{self.path}: {exc}"}
        return data if isinstance(data, dict) else {}

    def providers(self, names: Iterable[str]) -> dict[str, SandboxFlags]:
        """This file under its own name and under every provider name the user's warroom.yaml has."""
        return {PROVIDER: self, **{name: self for name in names}}
