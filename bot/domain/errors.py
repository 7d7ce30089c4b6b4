"""One error tree for Warroom; every error a responder sees carries a message they can act on.

    WarroomError
    ├── UserError                      shown to the person who asked, as an ephemeral reply
    │   ├── InvalidCommand             malformed command text (says what to type instead)
    │   ├── UnknownSeverity            severity not in the policy (lists the valid ones)
    │   ├── InvalidTransition          status change not allowed from the current status
    │   ├── NotInIncidentChannel       incident command used outside an incident channel
    │   ├── IncidentNotFound           reference to an incident that does not exist here
    │   ├── PermissionDenied           not allowed (says who is)
    │   └── InvalidInput               a form field failed validation (carries field -> message)
    ├── ConfigError                    bad settings or warroom.yaml (names file, key, expectation)
    └── InfrastructureError            something outside Warroom failed
        ├── StorageUnavailable         the database cannot be reached or is behind on migrations
        ├── TransactionConflict        a transaction lost a deadlock or serialization race (re-run it)
        ├── ChatUnavailable            Slack refused or failed a Web API call
        └── FlagProviderError          a feature-flag provider refused or failed
"""

from __future__ import annotations


class WarroomError(Exception):
    """Root of every error Warroom raises on purpose."""


class UserError(WarroomError):
    """An error caused by what the user asked; its message is shown to them."""


class InvalidCommand(UserError):
    """The command text could not be understood."""


class UnknownSeverity(UserError):
    """The severity given is not one the policy defines."""


class InvalidTransition(UserError):
    """The requested status change is not allowed from the current status."""


class NotInIncidentChannel(UserError):
    """A command that needs an incident channel was used somewhere else."""


class IncidentNotFound(UserError):
    """The incident referred to does not exist in this workspace."""


class PermissionDenied(UserError):
    """The user may not do this; the message says who may."""


class InvalidInput(UserError):
    """One or more form fields are invalid; ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ConfigError(WarroomError):
    """Settings or the Warroom config file are invalid."""


class InfrastructureError(WarroomError):
    """A dependency of Warroom failed."""


class StorageUnavailable(InfrastructureError):
    """The database is unreachable or its schema is not current."""


class TransactionConflict(InfrastructureError):
    """A transaction lost a race with another one (deadlock, serialization failure, SQLite busy): it was
    rolled back whole, so the use case can run again from the start."""


class ChatUnavailable(InfrastructureError):
    """Slack's Web API failed or refused a call."""


class FlagProviderError(InfrastructureError):
    """A feature-flag provider could not read or set a flag; the message says which and why."""
