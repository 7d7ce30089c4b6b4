"""The manifest is generated from the app's own registrations and cannot drift from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from slack_bolt.async_app import AsyncApp

from bot.app import create_app
from bot.config import Config
from bot.manifest import build_manifest
from bot.settings import load_settings

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PUBLIC_URL": "https://wr.example.org"}


def _registered_bolt_listeners(app: AsyncApp) -> int:
    return len(app._async_listeners)


def test_the_manifest_lists_exactly_what_the_app_registers(tmp_path: Path) -> None:
    settings = load_settings({**ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}, env_file=None)
    warroom = create_app(Config.from_parts(settings))
    surface = warroom.surface
    manifest = build_manifest(surface, settings)

    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [c.command for c in surface.commands] == ["/incident"]
    assert [s["callback_id"] for s in manifest["features"].get("shortcuts", [])] == [s.callback_id for s in surface.shortcuts]
    events = manifest["settings"].get("event_subscriptions", {}).get("bot_events", [])
    assert events == sorted(surface.events)
    # Every listener Bolt holds was registered through the surface (nothing bypasses the manifest).
    registered = len(surface.commands) + len(surface.shortcuts) + len(surface.events) + len(surface.actions) + len(surface.views)
    assert _registered_bolt_listeners(warroom.bolt) == registered
    assert manifest["features"]["slash_commands"][0]["url"] == "https://wr.example.org/slack/events"
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "url": "https://wr.example.org/slack/events"}
    assert {"commands", "chat:write", "channels:manage"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_home_tab_is_turned_on_for_app_home_opened(tmp_path: Path) -> None:
    settings = load_settings({**ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}, env_file=None)
    manifest = build_manifest(create_app(Config.from_parts(settings)).surface, settings)
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_socket_mode_manifests_have_no_request_urls(tmp_path: Path) -> None:
    settings = load_settings({**ENV, "SLACK_APP_TOKEN": "xapp-1", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"},
                             env_file=None)
    manifest = build_manifest(create_app(Config.from_parts(settings)).surface, settings)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "url" not in manifest["settings"]["interactivity"]


def test_warroom_manifest_prints_yaml_without_credentials(tmp_path: Path) -> None:
    env = {"PATH": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "bot", "manifest"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True)
    manifest = yaml.safe_load(out.stdout)
    assert manifest["features"]["slash_commands"][0]["command"] == "/incident"
