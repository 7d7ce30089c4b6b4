"""Wire every Slack surface onto a Bolt app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from handlers import (
    actions,
    alert_actions,
    commands,
    errors,
    events,
    home,
    people_actions,
    runbook_handlers,
    status_page_handlers,
    update_handlers,
    views,
)
from handlers.slack_chat import SCOPES
from handlers.surface import Surface


def register_all(app: AsyncApp, services: Services) -> Surface:
    """Register every listener; returns the Surface the manifest is built from."""
    surface = Surface(app)
    surface.scopes.update(SCOPES)
    commands.register(surface, services)
    actions.register(surface, services)
    views.register(surface, services)
    people_actions.register(surface, services)
    events.register(surface, services)
    home.register(surface, services)
    runbook_handlers.register(surface, services)
    update_handlers.register(surface, services)
    status_page_handlers.register(surface, services)
    alert_actions.register(surface, services)
    errors.register(app)
    return surface
