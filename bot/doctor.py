"""`warroom doctor`: run every check, say what is wrong and how to fix it, change nothing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.cli_runbooks import load_configured_runbooks
from bot.config import Config, ConfigFile, read_config_file
from bot.domain.errors import ConfigError
from bot.health import Check, check_database, check_runbooks, check_slack
from bot.settings import Settings, load_settings


def _line(name: str, check: Check) -> None:
    mark = "FAIL" if not check.ok else "warn" if check.warning else "ok  "
    print(f"{mark} {name}: {check.detail}")


def _settings_check(environ: Mapping[str, str]) -> tuple[Settings | None, Check]:
    try:
        settings = load_settings(environ)
    except ConfigError as exc:
        return None, Check(False, str(exc))
    try:
        settings.require_slack()
    except ConfigError as exc:
        return settings, Check(False, str(exc))
    return settings, Check(True, f"Slack API {settings.slack_api_url}, {'Socket Mode' if settings.socket_mode else 'HTTP'}")


def _policy_check(settings: Settings) -> tuple[ConfigFile | None, Check]:
    try:
        parsed = read_config_file(settings.warroom_config)
    except ConfigError as exc:
        return None, Check(False, str(exc))
    source = settings.warroom_config if settings.warroom_config.exists() else "built-in defaults"
    return parsed, Check(True, f"{source}: severities {', '.join(parsed.policy.severities.ids())}")


def _sqlite_file(settings: Settings) -> Path | None:
    """The SQLite database file, when the database is one (None for PostgreSQL or in-memory)."""
    database = make_url(settings.database_url).database
    return Path(database) if settings.is_sqlite and database and database != ":memory:" else None


async def _database_check(settings: Settings) -> Check:
    from store.engine import create_engine

    path = _sqlite_file(settings)
    if path is not None and not path.exists():  # connecting would create the file: doctor changes nothing
        if settings.migrate_on_start:
            return Check(True, f"no database yet at {path}: the bot creates and migrates it when it starts")
        return Check(False, f"no database at {path}: run `warroom migrate`")
    engine = create_engine(settings.database_url)
    try:
        check = await check_database(engine)
    finally:
        await engine.dispose()
    if not check.ok and settings.migrate_on_start and "schema" in check.detail:
        return Check(True, check.detail + " (SQLite: applied automatically when the bot starts)", warning=True)
    return check


def _status_page_check(directory: str) -> Check:
    """Whether the status page can be written where `status_page.dir` says (nothing is written here)."""
    target = Path(directory)
    if target.is_symlink():
        return Check(True, f"{target}: a link to the latest build")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        return Check(False, f"{target} exists and is not a site Warroom wrote: name a new path or an empty directory")
    if not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
        return Check(False, f"cannot write in {target.parent}: create it, or let Warroom's user write there")
    return Check(True, f"{target}: written when the bot starts")


async def _slack_check(settings: Settings) -> Check:
    from bot.slack_clients import create_web_client

    if settings.slack_bot_token is None:
        return Check(False, "not checked: SLACK_BOT_TOKEN is not set")
    return await check_slack(create_web_client(settings))


async def run_doctor(environ: Mapping[str, str]) -> int:
    """Print one line per check (every check runs); exit status 1 when any failed."""
    settings, check = _settings_check(environ)
    checks = [("settings", check)]
    _line(*checks[-1])
    if settings is None:
        print("     config, runbooks, database and slack are not checked until the settings are valid")
        return 1
    parsed, check = _policy_check(settings)
    checks.append(("config", check))
    _line(*checks[-1])
    runbooks = check_runbooks(load_configured_runbooks(Config.from_parts(settings, parsed, environ=environ)))
    if parsed is None:
        runbooks.detail += " (checked against the built-in policy, as the config is invalid)"
    checks.append(("runbooks", runbooks))
    _line(*checks[-1])
    if parsed is not None and parsed.policy.status_page.dir:
        checks.append(("status page", _status_page_check(parsed.policy.status_page.dir)))
        _line(*checks[-1])
    checks.append(("database", await _database_check(settings)))
    _line(*checks[-1])
    checks.append(("slack", await _slack_check(settings)))
    _line(*checks[-1])
    return 0 if all(c.ok for _, c in checks) else 1
