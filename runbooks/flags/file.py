"""Feature flags in a plain YAML or JSON file: a mapping of `FLAG_NAME: value`.

Like a service's `config/feature-flags.yaml`:

    FEATURE_IMPORTS: true
    AGENT_SAFE_MODE: 0
    CHECKOUT_BANNER: "We are investigating slow payments"

`set` rewrites the whole file atomically (see `_files`), keeping the other flags and their order.
YAML comments do not survive a rewrite. A missing file reads as "no flags" and is created by the
first `set`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import IO, Any, Literal

import yaml

from bot.domain.errors import ConfigError, FlagProviderError
from bot.domain.runbook import FlagValue
from runbooks.flags._files import lock_for, read_text, replace_atomically

FileFormat = Literal["yaml", "json"]
_FORMATS: dict[str, FileFormat] = {"yaml": "yaml", "json": "json"}
_SUFFIXES: dict[str, FileFormat] = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def format_of(path: Path, fmt: str | None) -> FileFormat:
    """The file's format: `fmt` when given, else from the extension."""
    if fmt is not None:
        if fmt not in _FORMATS:
            raise ConfigError(f"flag file format {fmt!r} is not supported; use 'yaml' or 'json'")
        return _FORMATS[fmt]
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ConfigError(
            f"cannot tell the format of the flag file {path}: name it .yaml, .yml or .json, or set format"
        ) from None


class FileFlagProvider:
    """Reads and sets flags in one YAML or JSON file of `FLAG: value` pairs."""

    def __init__(self, name: str, path: Path | str, fmt: str | None = None) -> None:
        self.name = name
        self.path = Path(path)
        self.format: FileFormat = format_of(self.path, fmt)

    def __repr__(self) -> str:
        return f"FileFlagProvider(name={self.name!r}, path={str(self.path)!r}, format={self.format!r})"

    async def get(self, flag: str) -> FlagValue:
        """The flag's value in the file (None when the file or the flag does not exist)."""
        flags = await asyncio.to_thread(self._load)
        return self._scalar(flag, flags.get(flag))

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """Write the flag's new value into the file; returns the value it had."""
        async with lock_for(self.path):
            return await asyncio.to_thread(self._set, flag, value)

    def _set(self, flag: str, value: FlagValue) -> FlagValue:
        flags = self._load()
        previous = self._scalar(flag, flags.get(flag))
        flags[flag] = value
        try:
            replace_atomically(self.path, lambda stream: self._dump(flags, stream))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise FlagProviderError(f"{self.name}: could not write {flag} to {self.path}: {exc}") from exc
        return previous

    def _load(self) -> dict[str, Any]:
        try:
            text = read_text(self.path)
        except OSError as exc:
            raise FlagProviderError(f"{self.name}: cannot read the flag file {self.path}: {exc}") from exc
        if text is None or not text.strip():
            return {}
        try:
            data = yaml.safe_load(text) if self.format == "yaml" else json.loads(text)
        except (yaml.YAMLError, ValueError) as exc:
            raise FlagProviderError(
                f"{self.name}: the flag file {self.path} is not valid {self.format.upper()}: {exc}; fix it by hand"
            ) from exc
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise FlagProviderError(
                f"{self.name}: the flag file {self.path} must be a mapping of FLAG: value, "
                f"not a {type(data).__name__}"
            )
        return data

    def _dump(self, flags: dict[str, Any], stream: IO[str]) -> None:
        if self.format == "yaml":
            yaml.safe_dump(flags, stream, sort_keys=False, default_flow_style=False, allow_unicode=True)
        else:
            json.dump(flags, stream, indent=2, ensure_ascii=False, allow_nan=False)
            stream.write("\n")

    def _scalar(self, flag: str, value: Any) -> FlagValue:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        raise FlagProviderError(
            f"{self.name}: {flag} in {self.path} is a {type(value).__name__}; "
            "Warroom reads only true/false, numbers and strings"
        )
