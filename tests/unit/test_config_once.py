"""`warroom.yaml` is read and validated once, at the entry point, and everything is built from that."""

from __future__ import annotations

import builtins
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.log
import bot.serve
from bot.cli import main

CONFIG = """\
announcements_channel: '#incidents'
flag_providers:
  app-config: {type: file, path: flags.yaml}
redaction:
  restricted_patterns:
    client: 'CLIENT-\\d{4}'
"""


def _count_opens(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """Every open() of `path` from now on, by any route (builtins.open, io.open, Path.open, Path.read_text)."""
    opened: list[str] = []

    def spy(real: Callable[..., Any]) -> Callable[..., Any]:
        def open_spy(file: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(file, str | Path) and Path(file).resolve() == path.resolve():
                opened.append(str(file))
            return real(file, *args, **kwargs)
        return open_spy

    monkeypatch.setattr(builtins, "open", spy(builtins.open))
    monkeypatch.setattr(io, "open", spy(io.open))
    return opened


def test_warroom_serve_reads_warroom_yaml_once_and_builds_everything_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name, value in {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "WARROOM_CONFIG": str(config),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}.items():
        monkeypatch.setenv(name, value)
    served: list[Any] = []
    redactors: list[Any] = []

    async def serve_forever(warroom: Any) -> None:
        served.append(warroom)
        await warroom.stop()

    monkeypatch.setattr(bot.serve, "serve_forever", serve_forever)
    monkeypatch.setattr(bot.log, "configure_logging", lambda *a, redactor: redactors.append(redactor))
    opened = _count_opens(monkeypatch, config)

    assert main(["serve"]) == 0

    assert len(opened) == 1, opened
    [warroom], [redactor] = served, redactors
    assert warroom.policy.announcements_channel == "#incidents"  # the policy, the flags and the patterns
    assert set(warroom.providers) == {"app-config"}  # all come from that one read
    assert redactor.scrub("CLIENT-1234") != "CLIENT-1234"
