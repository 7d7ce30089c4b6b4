"""`status_page` of the incident policy: where the site is written, its components and each severity's rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.catalog import Catalog
from bot.domain.status_page import ComponentSpec, PageSettings, PublishRule


@dataclass(frozen=True)
class StatusPagePolicy:
    """`status_page` in warroom.yaml: where the site is written, what it is called, and what each severity asks."""

    dir: str = ""  # empty: no site is written (drafts still go to Slack)
    page: PageSettings = field(default_factory=PageSettings)
    groups: Mapping[str, str] = field(default_factory=dict)  # component -> its group on the page
    rules: Mapping[str, PublishRule] = field(default_factory=dict)  # severity id -> rule (OPTIONAL when absent)

    def rule(self, severity: str) -> PublishRule:
        """What the policy asks of this severity's status page updates."""
        return self.rules.get(severity, PublishRule.OPTIONAL)


def components_of(catalog: Catalog, policy: StatusPagePolicy) -> list[ComponentSpec]:
    """The page's components: each catalog service marked public (it names a `status_component`), once."""
    seen: dict[str, ComponentSpec] = {}
    for service in catalog.services:
        name = service.status_component.strip()
        if name and name not in seen:
            seen[name] = ComponentSpec(name=name, group=policy.groups.get(name, ""))
    return list(seen.values())


