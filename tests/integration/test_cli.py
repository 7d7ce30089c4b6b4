"""The `warroom` command as a new user runs it: serve on SQLite, migrate, doctor, bad config."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.standin import FakeSlack
from store.migrate import head_revision
from tests.databases import fresh_database

SECRET = "s3cret-signing"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**values: str) -> dict[str, str]:
    # Only what a new user sets: no inherited SLACK_* or DATABASE_URL from the developer's shell.
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {**keep, **values}


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def _health(port: int, deadline: float) -> dict[str, object]:
    """Poll /health until it answers 200 or the deadline passes."""
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/health") as resp:
                    if resp.status == 200:
                        return dict(await resp.json())
            except aiohttp.ClientConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("warroom serve did not become healthy")
            await asyncio.sleep(0.1)


async def test_serve_starts_on_sqlite_with_only_token_and_secret(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = _free_port()
    env = _env(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url,
               PORT=str(port))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=tmp_path,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        health = await _health(port, time.monotonic() + 30)
        assert health["status"] == "ok"
        assert (tmp_path / "warroom.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()
    events = [json.loads(line)["event"] for line in err.decode().splitlines() if line.startswith("{")]
    assert "warroom_started" in events and "stopping" in events
    assert fake_slack.bot_token not in err.decode() + out.decode() and SECRET not in err.decode()


async def test_serve_on_postgres_refuses_a_schema_behind_and_says_to_migrate(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        env = _env(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=fake_slack.api_url, DATABASE_URL=url, PORT=str(_free_port()))
        code, _, err = await _run("serve", env=env, cwd=tmp_path)
        assert code == 2
        assert "Run `warroom migrate`" in err

        code, out, err = await _run("migrate", env=env, cwd=tmp_path)
        assert code == 0, err
        assert f"database migrated: empty -> {head_revision()}" in out

        code, out, _ = await _run("doctor", env=env, cwd=tmp_path)
        assert code == 0, out
        assert f"ok   database: postgresql, schema {head_revision()}" in out
        assert "ok   slack: authenticated" in out


async def test_doctor_says_what_is_wrong(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = _env(SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url,
               DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    code, out, _ = await _run("doctor", env=env, cwd=tmp_path)
    assert code == 1
    assert "FAIL database: unreachable" in out
    assert "FAIL slack: auth.test failed: invalid_auth" in out
    assert "xoxb-wrong" not in out


async def test_doctor_without_credentials_names_them(tmp_path: Path) -> None:
    code, out, _ = await _run("doctor", env=_env(), cwd=tmp_path)
    assert code == 1 and "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET must be set" in out


@pytest.mark.parametrize(("config", "expected"), [
    ("severities:\n  - id: SEV1\n    label: x\n    description: y\n    response_target: 5 parsecs\n    update_cadence: 1m\n",
     "severities.0.response_target: Value error, expected a duration"),
    ("announcements_chanel: '#inc'\n", "announcements_chanel: Extra inputs are not permitted"),
])
async def test_serve_with_an_invalid_config_fails_at_start_naming_file_and_key(tmp_path: Path, config: str, expected: str) -> None:
    (tmp_path / "warroom.yaml").write_text(config)
    env = _env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SECRET, PORT=str(_free_port()))
    code, _, err = await _run("serve", env=env, cwd=tmp_path)
    assert code == 2
    assert "warroom.yaml is invalid" in err and expected in err
