"""The schema of `status_page` in warroom.yaml, and the domain's StatusPagePolicy built from it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.status_page import PageSettings, PublishRule
from bot.domain.status_policy import StatusPagePolicy


class StatusPageConfig(BaseModel):
    """`status_page:` where the site is written, its name and address, groups, and each severity's rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: str = ""
    name: str = Field(default="Status", min_length=1, max_length=100)
    url: str = Field(default="", max_length=300, pattern=r"^(https?://\S+)?$")
    time_zone: str = ""  # empty: the policy's timezone
    groups: dict[str, list[str]] = {}  # group name -> its components
    severities: dict[str, Literal["required", "optional", "skip"]] = {}

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"expected an IANA time zone such as UTC or Europe/Berlin, got {value!r}") from None
        return value

    def to_policy(self, severity_ids: list[str], timezone: str, base: Path | None = None) -> StatusPagePolicy:
        """The domain's policy. Rules for severities the policy does not have are dropped: the shipped defaults
        name SEV0 to SEV3, and a warroom.yaml may remove some of them."""
        directory = Path(self.dir) if self.dir else None
        if directory is not None and not directory.is_absolute() and base is not None:
            directory = base / directory  # relative to warroom.yaml, as `catalog:` is
        return StatusPagePolicy(
            dir=str(directory or ""), page=PageSettings(name=self.name, url=self.url, time_zone=self.time_zone or timezone),
            groups={component: group for group, members in self.groups.items() for component in members},
            rules={severity: PublishRule(rule) for severity, rule in self.severities.items()
                   if severity in severity_ids})
