"""Incident classes (types): what kind of failure an incident is, chosen from the policy's list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.errors import InvalidCommand, InvalidInput
from bot.domain.text import control_character_error, escape

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
FIELD_VALUE_MAX = 500


class FieldKind(StrEnum):
    """What a custom field holds (the value is checked by kind when it is set)."""

    TEXT = "text"
    SELECT = "select"
    USER = "user"
    NUMBER = "number"


@dataclass(frozen=True)
class ClassField:
    """A custom field that incidents of one class carry, e.g. the affected tenant of a cross-tenant incident."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    options: tuple[str, ...] = ()  # the choices of a select
    required: bool = False  # must be set before the incident is resolved

    def check(self, typed: str) -> str:
        """The value to store for `typed`, or InvalidCommand saying what this field accepts."""
        value = " ".join(typed.split())
        if not value:
            raise InvalidCommand(f"Give a value for {self.label}: {self.expects()}.")
        if error := control_character_error(value, self.label):
            raise InvalidCommand(error)
        if len(value) > FIELD_VALUE_MAX:
            raise InvalidCommand(f"Keep {self.label} under {FIELD_VALUE_MAX} characters (it has {len(value)}).")
        shown = escape(value[:40])  # what was typed is data: quoted back escaped
        if self.kind is FieldKind.NUMBER and not _NUMBER.match(value):
            raise InvalidCommand(f"{self.label} takes {self.expects()}; `{shown}` is not one.")
        if self.kind is FieldKind.USER:
            user = _USER.match(value)
            if user is None:
                raise InvalidCommand(f"{self.label} takes {self.expects()}; `{shown}` is not one.")
            return f"<@{user.group(1)}>"
        if self.kind is FieldKind.SELECT:
            chosen = next((o for o in self.options if o.lower() == value.lower()), None)
            if chosen is None:
                raise InvalidCommand(f"`{shown}` is not an option of {self.label}; {self.expects()}.")
            return chosen
        return value

    def shown(self, value: str) -> str:
        """The value as mrkdwn: a person as the mention Warroom wrote, anything typed escaped."""
        return value if self.kind is FieldKind.USER and _USER.match(value) else escape(value)

    def placeholder(self) -> str:
        """How the value is written in a usage line: `<text>`, `<eu|us>`, `<@person>`, `<number>`."""
        words = {FieldKind.TEXT: "text", FieldKind.USER: "@person", FieldKind.NUMBER: "number"}
        return f"<{'|'.join(self.options) if self.kind is FieldKind.SELECT else words[self.kind]}>"

    def expects(self) -> str:
        """What the field accepts, in words."""
        if self.kind is FieldKind.SELECT:
            return "one of " + ", ".join(f"`{o}`" for o in self.options)
        return {FieldKind.TEXT: "text", FieldKind.USER: "a person, as a mention like @ana",
                FieldKind.NUMBER: "a number such as 42 or 3.5"}[self.kind]


@dataclass(frozen=True)
class IncidentClass:
    """One kind of incident the team counts separately (MTTR and recurrence are measured per class)."""

    id: str
    label: str
    description: str = ""
    fields: tuple[ClassField, ...] = ()  # custom fields its incidents carry

    def field(self, typed: str) -> ClassField:
        """The field with this name or label (case-insensitive), or InvalidCommand naming the class's fields."""
        wanted = typed.strip().lower()
        for found in self.fields:
            if wanted in (found.name, found.label.lower()):
                return found
        valid = ", ".join(f"`{f.name}`" for f in self.fields) or "none"
        raise InvalidCommand(f"`{escape(typed.strip()[:40])}` is not a field of {self.label}. Its fields: {valid}.")


# The kinds of failure the teams we were written for name most often; a policy may replace them.
DEFAULT_CLASSES = (
    IncidentClass("import-pipeline", "Import pipeline", "Ingestion or import jobs failing or stalled."),
    IncidentClass("audit-failure", "Audit failure", "Audit records missing, late or failing to verify."),
    IncidentClass("restricted-telemetry", "Restricted telemetry", "Restricted data reached logs, traces or metrics."),
    IncidentClass("cross-tenant-authorization", "Cross-tenant authorization",
                  "One tenant could see or change another tenant's data."),
    IncidentClass("queue-failure", "Queue failure", "A queue backed up, dropped or redelivered messages."),
    IncidentClass("storage-permissions", "Storage permissions", "Buckets, volumes or databases with wrong access."),
    IncidentClass("workflow-500", "Workflow 500", "A user workflow answering with server errors."),
)


def find_class(classes: tuple[IncidentClass, ...], typed: str) -> IncidentClass:
    """The class with this id or label (case-insensitive), or InvalidCommand naming the valid ids."""
    wanted = typed.strip().lower()
    for incident_class in classes:
        if wanted in (incident_class.id, incident_class.label.lower()):
            return incident_class
    valid = ", ".join(f"`{c.id}`" for c in classes) or "none (add `classes:` to warroom.yaml)"
    raise InvalidCommand(f"`{escape(typed.strip()[:40])}` is not an incident class. Valid classes: {valid}.")


def class_label(classes: tuple[IncidentClass, ...], class_id: str) -> str:
    """How a class is shown: its label, or its id once the policy no longer has it (old incidents keep theirs)."""
    return next((c.label for c in classes if c.id == class_id), class_id)


def class_by_id(classes: tuple[IncidentClass, ...], class_id: str | None) -> IncidentClass | None:
    """The class with exactly this id, None for none or one the policy no longer has."""
    return next((c for c in classes if c.id == class_id), None) if class_id else None


def field_values(classes: tuple[IncidentClass, ...], class_id: str | None,
                 values: dict[str, str]) -> list[tuple[ClassField, str]]:
    """The fields of the incident's class in the policy's order, each with its value ('' while unset)."""
    chosen = class_by_id(classes, class_id)
    return [(f, values.get(f.name, "")) for f in (chosen.fields if chosen else ())]


def missing_at_resolve(classes: tuple[IncidentClass, ...], class_id: str | None, values: dict[str, str], *,
                       require_class: bool) -> dict[str, str]:
    """What must be set before resolving (by form field: `incident_class`, `fields`), {} when nothing is missing."""
    if class_id is None:
        if not require_class:
            return {}
        valid = ", ".join(f"`{c.id}`" for c in classes)
        return {"incident_class": f"Choose the incident's class before resolving: `/incident class <class>` "
                                  f"(one of {valid}), then resolve again."}
    chosen = class_by_id(classes, class_id)
    unset = [f for f in (chosen.fields if chosen else ()) if f.required and not values.get(f.name)]
    if not unset:
        return {}
    how = "; ".join(f"`/incident field {f.name} {f.placeholder()}`" for f in unset)
    return {"fields": f"Set the required fields of {chosen.label if chosen else class_id} before resolving: "
                      f"{how}, then resolve again."}


def check_resolvable(classes: tuple[IncidentClass, ...], class_id: str | None, values: dict[str, str], *,
                     require_class: bool) -> None:
    """InvalidInput naming what to set when the incident may not be resolved yet (nothing is changed)."""
    missing = missing_at_resolve(classes, class_id, values, require_class=require_class)
    if missing:
        raise InvalidInput(missing)
