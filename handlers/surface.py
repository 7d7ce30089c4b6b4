"""Registers listeners on the Bolt app and remembers what was registered, for the manifest."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.errors import InFlight, Listener, guard


@dataclass(frozen=True)
class SlashCommand:
    """A slash command as the manifest describes it."""

    command: str
    description: str
    usage_hint: str


@dataclass(frozen=True)
class Shortcut:
    """A global or message shortcut."""

    callback_id: str
    name: str
    description: str
    type: str = "message"


@dataclass
class Surface:
    """The single place listeners are registered; the manifest is generated from it."""

    app: AsyncApp
    commands: list[SlashCommand] = field(default_factory=list)
    shortcuts: list[Shortcut] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    actions: list[str | re.Pattern[str]] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    scopes: set[str] = field(default_factory=set)
    in_flight: InFlight = field(default_factory=InFlight)

    def _register(self, bolt_decorator: Callable[..., Any]) -> Callable[[Listener], Listener]:
        """Register the guarded listener with Bolt; hand back the original for direct use."""

        def decorate(listener: Listener) -> Listener:
            bolt_decorator(guard(listener, self.in_flight))
            return listener

        return decorate

    def command(self, command: str, description: str, usage_hint: str) -> Callable[..., Any]:
        """Register a slash command listener."""
        self.commands.append(SlashCommand(command, description, usage_hint))
        self.scopes.add("commands")
        return self._register(self.app.command(command))

    def shortcut(self, callback_id: str, name: str, description: str, type: str = "message") -> Callable[..., Any]:
        """Register a shortcut listener."""
        self.shortcuts.append(Shortcut(callback_id, name, description, type))
        self.scopes.add("commands")
        return self._register(self.app.shortcut(callback_id))

    def event(self, event_type: str, *scopes: str, subscriptions: tuple[str, ...] = ()) -> Callable[..., Any]:
        """Register an Events API listener, the manifest subscriptions it needs and their scopes."""
        self.events.extend(subscriptions or (event_type,))
        self.scopes.update(scopes)
        return self._register(self.app.event(event_type))

    def action(self, action_id: str | re.Pattern[str]) -> Callable[..., Any]:
        """Register a block action listener."""
        self.actions.append(action_id)
        return self._register(self.app.action(action_id))

    def view(self, callback_id: str) -> Callable[..., Any]:
        """Register a view submission listener."""
        self.views.append(callback_id)
        return self._register(self.app.view(callback_id))

    @property
    def interactive(self) -> bool:
        """Whether the app needs interactivity enabled."""
        return bool(self.actions or self.views or self.shortcuts)
