"""Wire every Slack surface onto a Bolt app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.incidents import IncidentService
from handlers import actions, commands, errors, views
from handlers.slack_chat import SCOPES
from handlers.surface import Surface


def register_all(app: AsyncApp, incidents: IncidentService) -> Surface:
    """Register every listener; returns the Surface the manifest is built from."""
    surface = Surface(app)
    surface.scopes.update(SCOPES)
    commands.register(surface, incidents)
    actions.register(surface, incidents)
    views.register(surface, incidents)
    errors.register(app)
    return surface
