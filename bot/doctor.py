"""`warroom doctor`: check each dependency and say what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import load_policy
from bot.domain.errors import ConfigError
from bot.health import check_database, check_slack
from bot.settings import load_settings


def _line(ok: bool, what: str, detail: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")


async def run_doctor(environ: Mapping[str, str]) -> int:
    """Print one line per check; exit status 1 when any failed."""
    from bot.app import create_web_client
    from store.engine import create_engine

    try:
        settings = load_settings(environ)
        settings.require_slack()
    except ConfigError as exc:
        _line(False, "settings", str(exc))
        return 1
    _line(True, "settings", f"Slack API {settings.slack_api_url}, {'Socket Mode' if settings.socket_mode else 'HTTP'}")
    failed = False
    try:
        policy = load_policy(settings.warroom_config)
        source = settings.warroom_config if settings.warroom_config.exists() else "built-in defaults"
        _line(True, "config", f"{source}: severities {', '.join(policy.severities.ids())}")
    except ConfigError as exc:
        _line(False, "config", str(exc))
        failed = True
    engine = create_engine(settings.database_url)
    try:
        db = await check_database(engine)
        if not db.ok and settings.migrate_on_start and "schema" in db.detail:
            db.detail += " (SQLite: applied automatically when the bot starts)"
        _line(db.ok, "database", db.detail)
        failed |= not db.ok and not (settings.migrate_on_start and "schema" in db.detail)
    finally:
        await engine.dispose()
    client = create_web_client(settings)
    slack = await check_slack(client)
    _line(slack.ok, "slack", slack.detail)
    failed |= not slack.ok
    return 1 if failed else 0
