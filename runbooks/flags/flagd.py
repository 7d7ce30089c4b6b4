"""Feature flags in a flagd flag-definition file (https://flagd.dev/reference/flag-definitions/).

flagd, and OpenFeature's flagd provider in file mode, watch this file; Warroom changes a flag by
rewriting the file atomically (see `_files`) with the flag's `defaultVariant` pointing at the
wanted value:

    {"$schema": "https://flagd.dev/schema/v0/flags.json",
     "flags": {"FEATURE_IMPORTS": {"state": "ENABLED",
                                   "variants": {"on": true, "off": false},
                                   "defaultVariant": "off"}}}

Booleans use the variants `on`/`off`. Strings and numbers use one variant per value, named after
the value (`"read-only"`, `"0.25"`), so setting a value that was set before reuses its variant.
Other flags, other keys of the file and a flag's metadata are kept. A flag with `targeting` rules
is refused: its default variant is not what every caller gets, so flipping it would not be the
kill switch the runbook means. A `DISABLED` flag reads as absent (None); setting it enables it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import IO, Any

import yaml

from bot.domain.errors import FlagProviderError
from bot.domain.runbook import FlagValue
from runbooks.flags._files import lock_for, read_text, replace_atomically

SCHEMA = "https://flagd.dev/schema/v0/flags.json"
_BOOLEAN_VARIANTS = {"on": True, "off": False}


def variant_name(value: bool | float | str) -> str:
    """The stable variant name of a value: on/off for booleans, the value itself otherwise."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value or "empty"
    return repr(value)


def _same_kind(a: object, b: object) -> bool:
    """flagd wants all variants of a flag to be booleans, or strings, or numbers."""

    def kind(v: object) -> str:
        return "bool" if isinstance(v, bool) else "number" if isinstance(v, int | float) else type(v).__name__

    return kind(a) == kind(b)


class FlagdFileProvider:
    """Reads and sets flags in a flagd flag-definition JSON file."""

    def __init__(self, name: str, path: Path | str) -> None:
        self.name = name
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FlagdFileProvider(name={self.name!r}, path={str(self.path)!r})"

    async def get(self, flag: str) -> FlagValue:
        """The value of the flag's default variant (None when absent or DISABLED)."""
        document = await asyncio.to_thread(self._load)
        return self._value(flag, document["flags"].get(flag))

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """Point the flag's default variant at `value` (adding the variant); returns the old value."""
        if value is None:
            raise FlagProviderError(
                f"{self.name}: flagd flags always have a value; set {flag} to true/false, a number or a string"
            )
        async with lock_for(self.path):
            return await asyncio.to_thread(self._set, flag, value)

    def _set(self, flag: str, value: bool | float | str) -> FlagValue:
        document = self._load()
        definition = document["flags"].get(flag)
        previous = self._value(flag, definition)
        if isinstance(definition, dict) and definition.get("targeting"):
            raise FlagProviderError(
                f"{self.name}: {flag} in {self.path} has targeting rules, so its default variant is not what "
                "every caller gets; remove the targeting or change the flag by hand"
            )
        document["flags"][flag] = self._definition(definition, value)
        try:
            replace_atomically(self.path, lambda stream: self._dump(document, stream))
        except (OSError, ValueError) as exc:
            raise FlagProviderError(f"{self.name}: could not write {flag} to {self.path}: {exc}") from exc
        return previous

    def _definition(self, old: Any, value: bool | float | str) -> dict[str, Any]:
        definition = dict(old) if isinstance(old, dict) else {}
        variants = definition.get("variants")
        if not isinstance(variants, dict) or not all(_same_kind(v, value) for v in variants.values()):
            variants = {}
        chosen = next((name for name, v in variants.items() if v == value), None)
        if chosen is None:
            chosen = variant_name(value)
            # Booleans get both variants, so flipping back needs no new one.
            added = _BOOLEAN_VARIANTS if isinstance(value, bool) else {chosen: value}
            variants = {**variants, **added}
        definition.update(state="ENABLED", variants=variants, defaultVariant=chosen)
        return definition

    def _value(self, flag: str, definition: Any) -> FlagValue:
        if definition is None:
            return None
        if not isinstance(definition, dict) or not isinstance(definition.get("variants"), dict):
            raise FlagProviderError(
                f"{self.name}: {flag} in {self.path} is not a flagd flag definition; fix it by hand"
            )
        if definition.get("state") == "DISABLED":
            return None
        default = definition.get("defaultVariant")
        if default is None:
            return None
        if default not in definition["variants"]:
            raise FlagProviderError(
                f"{self.name}: {flag} in {self.path} names the default variant {default!r}, which it does not define"
            )
        value = definition["variants"][default]
        if value is None or isinstance(value, bool | int | float | str):
            return value
        raise FlagProviderError(f"{self.name}: {flag} in {self.path} is an object flag; Warroom sets only scalars")

    def _load(self) -> dict[str, Any]:
        try:
            text = read_text(self.path)
        except OSError as exc:
            raise FlagProviderError(f"{self.name}: cannot read the flagd file {self.path}: {exc}") from exc
        if text is None or not text.strip():
            return {"$schema": SCHEMA, "flags": {}}
        try:
            # flagd also accepts YAML flag files; JSON is YAML, so one loader reads both.
            data = json.loads(text) if self.path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise FlagProviderError(
                f"{self.name}: the flagd file {self.path} is not valid: {exc}; fix it by hand"
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.setdefault("flags", {}), dict):
            raise FlagProviderError(
                f"{self.name}: the flagd file {self.path} must be an object with a \"flags\" object; fix it by hand"
            )
        return data

    @staticmethod
    def _dump(document: dict[str, Any], stream: IO[str]) -> None:
        json.dump({"$schema": SCHEMA, **document}, stream, indent=2, ensure_ascii=False, allow_nan=False)
        stream.write("\n")

