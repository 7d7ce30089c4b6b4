"""The `warroom` command as a new user runs it: serve on SQLite, migrate, doctor, bad config."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.standin import FakeSlack
from store.migrate import head_revision
from tests.databases import fresh_database
from tests.integration.cli_processes import env_for, free_port, healthy

SECRET = "s3cret-signing"


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_serve_starts_on_sqlite_with_only_token_and_secret(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = env_for(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url,
               PORT=str(port))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=tmp_path,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        health = await healthy(port, time.monotonic() + 30)
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
        env = env_for(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=fake_slack.api_url, DATABASE_URL=url, PORT=str(free_port()))
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
    env = env_for(SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url,
               DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    code, out, _ = await _run("doctor", env=env, cwd=tmp_path)
    assert code == 1
    assert "FAIL database: unreachable" in out
    assert "FAIL slack: auth.test failed: invalid_auth" in out
    assert "xoxb-wrong" not in out


async def test_doctor_without_credentials_names_them_and_still_runs_every_check(tmp_path: Path) -> None:
    code, out, _ = await _run("doctor", env=env_for(), cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    assert [line[5:].split(":")[0] for line in lines] == ["settings", "config", "runbooks", "database", "slack"]
    assert lines[0].startswith("FAIL settings: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET must be set")
    assert lines[2].startswith("ok   runbooks: ") and "runbooks loaded" in lines[2]
    assert lines[3] == (f"ok   database: no database yet at {Path('warroom.db')}: the bot creates and migrates it "
                        "when it starts")
    assert lines[4] == "FAIL slack: not checked: SLACK_BOT_TOKEN is not set"
    assert list(tmp_path.iterdir()) == []  # doctor changes nothing: no database file appears


async def test_doctor_reports_a_slack_url_that_is_not_slacks_api_instead_of_crashing(
    fake_slack: FakeSlack, tmp_path: Path,
) -> None:
    not_slack = f"{fake_slack.base_url}/not-the-api/"
    env = env_for(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=not_slack,
                  WARROOM_CONFIG=str(tmp_path / "warroom.yaml"))
    (tmp_path / "warroom.yaml").write_text("announcements_chanel: '#inc'\n")
    code, out, err = await _run("doctor", env=env, cwd=tmp_path)
    assert code == 1 and "Traceback" not in err, err
    assert f"FAIL slack: auth.test at {not_slack} answered HTTP 404 that is not Slack's API: check SLACK_API_URL" in out
    assert "FAIL config: " in out and "announcements_chanel" in out
    assert "runbooks loaded" in out and "(checked against the built-in policy, as the config is invalid)" in out


@pytest.mark.parametrize(("config", "expected"), [
    ("severities:\n  - id: SEV1\n    label: x\n    description: y\n    response_target: 5 parsecs\n    update_cadence: 1m\n",
     "severities.SEV1.response_target: expected a duration"),
    ("announcements_chanel: '#inc'\n", "announcements_chanel: Extra inputs are not permitted"),
])
async def test_serve_with_an_invalid_config_fails_at_start_naming_file_and_key(tmp_path: Path, config: str, expected: str) -> None:
    (tmp_path / "warroom.yaml").write_text(config)
    env = env_for(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SECRET, PORT=str(free_port()))
    code, _, err = await _run("serve", env=env, cwd=tmp_path)
    assert code == 2
    assert "warroom.yaml is invalid" in err and expected in err


async def test_commands_that_run_no_steps_do_not_need_a_flag_providers_secret(tmp_path: Path) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text("flag_providers:\n"
                      "  unleash: {type: unleash, url: https://unleash.example.com, token_env: UNLEASH_ADMIN_TOKEN}\n")
    env = env_for(WARROOM_CONFIG=str(config))  # UNLEASH_ADMIN_TOKEN is not set
    commands = {"manifest": ("manifest",), "audit": ("audit", "verify"), "export": ("export", "INC-1", "--team", "T1")}
    for name in commands:
        (tmp_path / name).mkdir()
    results = await asyncio.gather(*(_run(*args, env=env, cwd=tmp_path / name) for name, args in commands.items()))
    (manifest, manifest_out, manifest_err), (audit, audit_out, audit_err), (export, _, export_err) = results
    assert manifest == 0 and "slash_commands" in manifest_out, manifest_err
    assert audit == 0 and audit_out == "audit chain intact: 0 records in 0 workspaces\n", audit_err
    assert export == 2 and export_err == "warroom: There is no INC-1 in this workspace.\n"  # not a missing token


async def test_export_and_audit_build_storage_only_no_slack_and_no_flag_providers(tmp_path: Path) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text("flag_providers:\n"
                      "  unleash: {type: unleash, url: https://unleash.example.com, token_env: UNLEASH_ADMIN_TOKEN}\n")
    env = env_for(WARROOM_CONFIG=str(config))  # no Slack credentials, UNLEASH_ADMIN_TOKEN is not set
    script = ("import sys\nfrom bot.cli import main\n"
              "codes = [main(['audit', 'verify']), main(['audit', 'export', 'INC-1', '--team', 'T1']),"
              " main(['export', 'INC-1', '--team', 'T1'])]\n"
              "built = sorted({m.split('.')[0] if m.startswith('slack') else m for m in sys.modules"
              " if m.startswith(('slack_bolt', 'slack_sdk', 'handlers', 'runbooks.flags', 'bot.app'))})\n"
              "print(codes, built)\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, env=env, cwd=tmp_path,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "audit chain intact: 0 records in 0 workspaces"
    assert err.decode().splitlines() == ["warroom: There is no INC-1 in this workspace."] * 2  # storage answered
    assert lines[-1] == "[0, 2, 2] []"  # nothing of Slack, the Slack handlers or the flag providers was even loaded
