"""The runbook file format: strict pydantic models (also published as JSON Schema, runbooks/schema.json)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bot.domain import runbook as domain

ID = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60,
                          description="lower-case letters, digits, - and _")]
FlagScalar = bool | int | float | str | None
_DURATION = re.compile(r"^(\d+)\s*(s|m|h)$")


def _seconds(value: object) -> object:
    """`30s`, `5m`, `1h` or a number of seconds."""
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if not match:
            raise ValueError("expected a duration such as 30s, 5m or 1h")
        n, unit = int(match.group(1)), match.group(2)
        return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[unit]: n}).total_seconds()
    return value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=3600)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApproversModel(_Strict):
    """Who may approve a guarded step (never the person who asked)."""

    roles: list[ID] = []
    groups: list[Annotated[str, Field(pattern=r"^[SUW][A-Z0-9]+$")]] = []


class GuardModel(_Strict):
    """Who may run the step, what they confirm, whether a second person approves."""

    roles: list[ID] = Field(default=[], description="incident roles allowed to run it, e.g. commander")
    groups: list[Annotated[str, Field(pattern=r"^[SUW][A-Z0-9]+$")]] = Field(
        default=[], description="Slack user group ids (S...) or user ids (U...) allowed to run it")
    confirm: str = Field(default="", max_length=300, description="confirmation dialog text")
    rollback_confirm: str = Field(
        default="", max_length=300,
        description="the Roll back dialog's own text (flag steps); default: 'Set FLAG back to VALUE?'")
    approval: bool = Field(default=False, description="a different person must approve first")
    approvers: ApproversModel | None = Field(
        default=None, description="who may approve; default: anyone holding a role in the incident")

    def to_guard(self) -> domain.Guard:
        """The domain guard."""
        approvers = self.approvers
        return domain.Guard(roles=tuple(self.roles), groups=tuple(self.groups), confirm=self.confirm,
                            approval=self.approval, rollback_confirm=self.rollback_confirm,
                            approver_roles=tuple(approvers.roles) if approvers else (),
                            approver_groups=tuple(approvers.groups) if approvers else ())


class _StepBase(_Strict):
    step_type: ClassVar[type[domain.Step]]  # the domain type this kind of file step loads as

    id: ID
    title: str = Field(min_length=1, max_length=150)
    description: str = Field(default="", max_length=2000)
    guard: GuardModel | None = None
    depends_on: list[ID] = Field(default=[], description="ids of earlier steps that must be done first")

    @model_validator(mode="after")
    def _only_flag_steps_roll_back(self) -> _StepBase:
        if self.guard is not None and self.guard.rollback_confirm and not self.step_type.reversible:
            raise ValueError("guard.rollback_confirm: only flag steps can be rolled back")
        return self

    def _common(self) -> dict[str, Any]:
        """The fields every kind of step has, as the domain holds them."""
        return {"id": self.id, "title": self.title, "description": self.description, "depends_on": tuple(self.depends_on),
                "guard": self.guard.to_guard() if self.guard is not None else None}


class CheckStep(_StepBase):
    """A manual item a responder ticks."""

    kind: Literal["check"]
    step_type: ClassVar[type[domain.Step]] = domain.CheckStep

    def to_step(self) -> domain.CheckStep:
        """The domain step."""
        return domain.CheckStep(**self._common())


class CommandStep(_StepBase):
    """A diagnostic command defined here (never taken from chat), run as an argv."""

    kind: Literal["command"]
    argv: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    timeout: Seconds = 30.0
    workdir: str | None = None
    step_type: ClassVar[type[domain.Step]] = domain.CommandStep

    def to_step(self) -> domain.CommandStep:
        """The domain step."""
        return domain.CommandStep(**self._common(), argv=tuple(self.argv), timeout_seconds=self.timeout,
                                  workdir=self.workdir)


class HttpCheckStep(_StepBase):
    """Probe a URL and expect a status and/or a substring of the body."""

    kind: Literal["http_check"]
    url: Annotated[str, Field(pattern=r"^(https?://|\$\{[A-Z_][A-Z0-9_]*\})", description="absolute URL; may start with ${ENV_VAR}")]
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: int | None = Field(default=200, ge=100, le=599)
    expect_body: str = ""
    timeout: Seconds = 10.0
    step_type: ClassVar[type[domain.Step]] = domain.HttpCheckStep

    def to_step(self) -> domain.HttpCheckStep:
        """The domain step."""
        return domain.HttpCheckStep(**self._common(), url=self.url, method=self.method, expect_status=self.expect_status,
                                    expect_body=self.expect_body, timeout_seconds=self.timeout)


class FlagStep(_StepBase):
    """Set a feature flag through a provider (the kill switch), with the value that undoes it."""

    kind: Literal["flag"]
    flag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=100)]
    value: FlagScalar
    rollback: FlagScalar
    provider: str | None = Field(default=None, description="a provider from warroom.yaml; default: the default one")
    step_type: ClassVar[type[domain.Step]] = domain.FlagStep

    def to_step(self) -> domain.FlagStep:
        """The domain step."""
        return domain.FlagStep(**self._common(), flag=self.flag, value=self.value, rollback=self.rollback,
                               provider=self.provider)


class NotifyStep(_StepBase):
    """Ping roles, user groups, users or channels."""

    kind: Literal["notify"]
    targets: list[Annotated[str, Field(pattern=r"^(role:[a-z0-9_-]+|[SUW][A-Z0-9]+|#[a-z0-9_-]+|C[A-Z0-9]+)$")]] = Field(
        min_length=1, description="role:commander, S… user group, U… user, #channel or C… channel id")
    message: str = Field(min_length=1, max_length=2000)
    step_type: ClassVar[type[domain.Step]] = domain.NotifyStep

    def to_step(self) -> domain.NotifyStep:
        """The domain step."""
        return domain.NotifyStep(**self._common(), targets=tuple(self.targets), message=self.message)


# The file format of every kind: a new kind is one model in this union (tests/unit/test_step_kinds.py).
StepFile = CheckStep | CommandStep | HttpCheckStep | FlagStep | NotifyStep
StepModel = Annotated[StepFile, Field(discriminator="kind")]
STEP_MODELS: dict[domain.StepKind, type[StepFile]] = {m.step_type.kind: m for m in get_args(StepFile)}


class ProcedureModel(_Strict):
    """Ordered steps for one situation."""

    id: ID
    title: str = Field(min_length=1, max_length=150)
    when: str = Field(default="", max_length=500)
    steps: list[StepModel] = Field(min_length=1)


class TriageRowModel(_Strict):
    """One row of the triage table."""

    symptom: str = Field(min_length=1)
    likely_causes: str = ""
    checks: str = ""
    escalate_when: str = ""


class AppliesTo(_Strict):
    """When the runbook is suggested."""

    services: list[str] = []
    alerts: list[str] = []
    severities: list[str] = []
    classes: list[ID] = Field(default=[], description="incident classes it covers (ids of warroom.yaml `classes`)")


class RunbookModel(_Strict):
    """One runbook file."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Warroom runbook")

    id: ID
    title: str = Field(min_length=1, max_length=150)
    summary: str = Field(min_length=1, max_length=3000)
    applies_to: AppliesTo = AppliesTo()
    triage: list[TriageRowModel] = []
    procedures: list[ProcedureModel] = Field(min_length=1)
