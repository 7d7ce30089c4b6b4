"""The `permissions` and `redaction` sections of `warroom.yaml`: who may do what, and what never reaches a log."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.permissions import Capability, Permissions, Rule
from bot.domain.redaction import compile_patterns


class StrictModel(BaseModel):
    """A config section: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _who(entry: str) -> str:
    Rule.parse([entry])  # raises ValueError saying what an entry may be
    return entry


_WHO = Annotated[str, AfterValidator(_who)]


class PermissionsConfig(StrictModel):
    """Who may do what; each capability lists `anyone`, `role:<id>`, user groups (S...) or users (U.../W...)."""

    admins: list[Annotated[str, Field(pattern=r"^[USW][A-Z0-9]+$")]] = []
    declare: list[_WHO] = ["anyone"]
    change_severity: list[_WHO] = ["anyone"]
    resolve: list[_WHO] = ["anyone"]
    reassign_commander: list[_WHO] = ["role:commander"]
    run_guarded_steps: list[_WHO] = ["anyone"]
    approve: list[_WHO] = ["anyone"]
    export: list[_WHO] = ["anyone"]
    publish_status_page: list[_WHO] = ["role:comms", "role:commander"]

    @model_validator(mode="after")
    def _declare_has_no_incident_roles(self) -> PermissionsConfig:
        if any(entry.startswith("role:") for entry in self.declare):
            raise ValueError("permissions.declare cannot name incident roles (there is no incident yet); "
                             "use anyone, user groups (S...) or user ids (U...)")
        return self

    def to_permissions(self, extra_admins: list[str]) -> Permissions:
        """The domain value (the older `role_admins` key adds to the admins)."""
        rules = {cap: Rule.parse(getattr(self, cap.value)) for cap in Capability}
        return Permissions(rules=rules, admins=tuple(dict.fromkeys([*self.admins, *extra_admins])))


class RedactionConfig(StrictModel):
    restricted_patterns: dict[str, str | None] = {}

    @field_validator("restricted_patterns")
    @classmethod
    def _valid_regexes(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        compile_patterns({name: p for name, p in value.items() if p})
        return value

    def active(self) -> dict[str, str]:
        """The patterns in force (an entry set to "" or null turns that default off)."""
        return {name: p for name, p in self.restricted_patterns.items() if p}
