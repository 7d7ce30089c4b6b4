"""The service catalog: who owns a service, who is on call for it, where it talks, what helps when it breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """One service of the catalog (warroom.yaml `services`, a `catalog/` directory, Backstage files)."""

    id: str
    name: str = ""
    owner: str = ""  # the owning team
    oncall: str = ""  # an on-call rotation id (warroom.yaml `oncall`)
    channel: str = ""  # the team's Slack channel: its triage messages go there
    usergroup: str = ""  # the team's Slack user group (S...), told of its incidents
    runbooks: tuple[str, ...] = ()  # runbook ids offered for its incidents
    status_component: str = ""  # its component on the status page
    tier: int | None = None
    aliases: tuple[str, ...] = ()  # other names alerts use for it (a Prometheus `job`, a Backstage name)

    @property
    def label(self) -> str:
        """How people name it."""
        return self.name or self.id


@dataclass(frozen=True)
class Catalog:
    """Every service, found by id or alias (ignoring case)."""

    services: tuple[Service, ...] = ()

    def find(self, name: str) -> Service | None:
        """The service called `name` (its id, or one of its aliases), if any."""
        wanted = name.strip().lower()
        if not wanted:
            return None
        for service in self.services:
            if wanted == service.id.lower() or wanted in (a.lower() for a in service.aliases):
                return service
        return None

    def first(self, names: Sequence[str]) -> Service | None:
        """The first of `names` the catalog knows."""
        for name in names:
            found = self.find(name)
            if found is not None:
                return found
        return None

    def ids(self) -> list[str]:
        """Service ids in catalog order (the declare form's service select)."""
        return [s.id for s in self.services]
