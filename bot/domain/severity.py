"""Severities as policy data, and resolving what a responder typed to one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.errors import UnknownSeverity


def _normalise(text: str) -> str:
    """Fold case and drop separators so `SEV-1`, `sev 1` and `Sev1` compare equal."""
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


@dataclass(frozen=True)
class EscalationLevel:
    """A level of the escalation matrix: who is told when the incident is unresolved this long."""

    after: timedelta
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Severity:
    """One severity level of the incident policy."""

    id: str
    label: str
    description: str
    response_target: timedelta
    update_cadence: timedelta
    rank: int
    aliases: tuple[str, ...] = ()
    escalation_contacts: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    escalation_levels: tuple[EscalationLevel, ...] = ()  # level 2, 3, ... in order
    review_due: timedelta | None = None  # the post-incident review is due this long after resolution...
    review_business_days: int | None = None  # ...or this many business days after it

    def names(self) -> tuple[str, ...]:
        """Every spelling that resolves to this severity."""
        return (self.id, *self.aliases)


@dataclass(frozen=True)
class SeverityScale:
    """The ordered set of severities (rank 0 is the most severe)."""

    levels: tuple[Severity, ...]
    _index: dict[str, Severity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Severity] = {}
        for level in self.levels:
            for name in level.names():
                key = _normalise(name)
                if key in index and index[key] is not level:
                    raise ValueError(f"severity name {name!r} is used by {index[key].id} and {level.id}")
                index[key] = level
        object.__setattr__(self, "_index", index)

    def resolve(self, text: str) -> Severity:
        """Return the severity `text` names, or raise UnknownSeverity listing the valid ones."""
        found = self._index.get(_normalise(text or ""))
        if found is None:
            raise UnknownSeverity(
                f"`{text}` is not a severity. Use one of: {', '.join(self.ids())} "
                f"(for example `/incident declare {self.levels[min(1, len(self.levels) - 1)].id.lower()} Imports failing`)."
            )
        return found

    def get(self, severity_id: str) -> Severity:
        """Return the severity with exactly this id."""
        for level in self.levels:
            if level.id == severity_id:
                return level
        raise UnknownSeverity(f"`{severity_id}` is not a severity. Use one of: {', '.join(self.ids())}.")

    def is_severity(self, text: str) -> bool:
        """True when `text` names a severity."""
        return _normalise(text or "") in self._index

    def ids(self) -> list[str]:
        """The severity ids, most severe first."""
        return [level.id for level in sorted(self.levels, key=lambda s: s.rank)]
