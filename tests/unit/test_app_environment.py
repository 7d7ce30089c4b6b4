"""The app factory reads the environment it is given, even an empty one, never the process's instead."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import create_app
from bot.config import load_config
from bot.domain.errors import ConfigError


def test_an_empty_environment_given_to_the_app_is_the_one_it_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text("flag_providers:\n"
                      "  unleash: {type: unleash, url: https://unleash.example.com, token_env: UNLEASH_ADMIN_TOKEN}\n")
    loaded = load_config({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "WARROOM_CONFIG": str(config),
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}, env_file=None)
    monkeypatch.setenv("UNLEASH_ADMIN_TOKEN", "only-in-the-process-environment")
    with pytest.raises(ConfigError, match="the environment variable UNLEASH_ADMIN_TOKEN is not set"):
        create_app(replace(loaded, environ={}))
