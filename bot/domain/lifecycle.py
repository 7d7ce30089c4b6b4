"""The status lifecycle as a transition table."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import InvalidTransition


@dataclass(frozen=True)
class Status:
    """One status of the lifecycle."""

    id: str
    label: str
    description: str
    transitions: tuple[str, ...]
    closed: bool = False
    emoji: str = ""


@dataclass(frozen=True)
class Lifecycle:
    """Statuses, where an incident starts, and which changes are allowed."""

    statuses: tuple[Status, ...]
    initial: str

    def __post_init__(self) -> None:
        ids = {s.id for s in self.statuses}
        if self.initial not in ids:
            raise ValueError(f"initial status {self.initial!r} is not one of {sorted(ids)}")
        for status in self.statuses:
            unknown = set(status.transitions) - ids
            if unknown:
                raise ValueError(f"status {status.id!r} allows unknown statuses {sorted(unknown)}")

    def get(self, status_id: str) -> Status:
        """Return the status with this id (case-insensitive)."""
        wanted = (status_id or "").strip().lower()
        for status in self.statuses:
            if status.id == wanted:
                return status
        raise InvalidTransition(
            f"`{status_id}` is not a status. Use one of: {', '.join(s.id for s in self.statuses)}."
        )

    def allowed_from(self, current: str) -> tuple[str, ...]:
        """The statuses an incident in `current` may move to."""
        return self.get(current).transitions

    def check(self, current: str, new: str) -> Status:
        """Return the new status if `current -> new` is allowed, else raise InvalidTransition."""
        target = self.get(new)
        if target.id == current:
            raise InvalidTransition(f"The incident is already `{current}`.")
        allowed = self.allowed_from(current)
        if target.id not in allowed:
            options = ", ".join(f"`{a}`" for a in allowed) or "nothing"
            raise InvalidTransition(
                f"An incident that is `{current}` cannot become `{target.id}`. From `{current}` it can move to {options}."
            )
        return target

    def is_open(self, status_id: str) -> bool:
        """True while the incident is not in a closed status."""
        return not self.get(status_id).closed
