"""The Slack app manifest, generated from what the code registers (so it cannot drift)."""

from __future__ import annotations

from typing import Any

import yaml

from bot.settings import Settings
from bot.web import SLACK_PATH
from handlers.surface import Surface


def build_manifest(surface: Surface, settings: Settings) -> dict[str, Any]:
    """A manifest dict for https://api.slack.com/apps 'Create from manifest'."""
    request_url = settings.public_url.rstrip("/") + SLACK_PATH
    socket_mode = settings.socket_mode

    def with_url(entry: dict[str, Any]) -> dict[str, Any]:
        return entry if socket_mode else {**entry, "url": request_url}

    features: dict[str, Any] = {
        "bot_user": {"display_name": "Warroom", "always_online": True},
        "slash_commands": [
            # should_escape: Slack sends mentions as <@U123|name>, so `/incident role commander @ana` has an id.
            with_url({"command": c.command, "description": c.description, "usage_hint": c.usage_hint,
                      "should_escape": True})
            for c in surface.commands
        ],
    }
    if "app_home_opened" in surface.events:  # Slack shows the Home tab only when the manifest turns it on
        features["app_home"] = {"home_tab_enabled": True, "messages_tab_enabled": True}
    if surface.shortcuts:
        features["shortcuts"] = [
            {"name": s.name, "type": s.type, "callback_id": str(s.callback_id), "description": s.description}
            for s in surface.shortcuts
        ]
    settings_block: dict[str, Any] = {
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
        "interactivity": with_url({"is_enabled": surface.interactive}),
    }
    if surface.events:
        settings_block["event_subscriptions"] = with_url({"bot_events": sorted(set(surface.events))})
    return {
        "display_information": {
            "name": "Warroom",
            "description": "Incident response in Slack: declare, coordinate, run runbooks, review.",
            "background_color": "#8b1a1a",
        },
        "features": features,
        "oauth_config": {"scopes": {"bot": sorted(surface.scopes)}},
        "settings": settings_block,
    }


def manifest_yaml(surface: Surface, settings: Settings) -> str:
    """The manifest as YAML."""
    return yaml.safe_dump(build_manifest(surface, settings), sort_keys=False)
