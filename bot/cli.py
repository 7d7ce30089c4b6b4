"""The `warroom` command: serve, migrate, manifest, doctor, export, sandbox (and runbooks, audit, statuspage, report)."""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from bot.cli_audit import add_audit_commands
from bot.cli_report import add_report_command
from bot.cli_runbooks import add_runbook_commands
from bot.cli_statuspage import add_statuspage_commands
from bot.config import load_config
from bot.domain.errors import ConfigError, StorageUnavailable, UserError
from bot.settings import DEFAULT_PUBLIC_URL, load_settings
from bot.storage import opened_storage


def cmd_serve(_args: argparse.Namespace) -> int:
    """Run the bot."""
    from bot.app import create_app
    from bot.log import configure_logging
    from bot.redactor import build_redactor
    from bot.serve import serve_forever

    config = load_config(os.environ)
    settings = config.settings
    configure_logging(settings.log_level, settings.log_format, redactor=build_redactor(config))
    asyncio.run(serve_forever(create_app(config)))
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Try Warroom in the browser: the real bot on SQLite against a local Slack stand-in."""
    from bot.log import configure_logging
    from bot.sandbox import run_sandbox

    configure_logging(os.environ.get("LOG_LEVEL", "info"), "console")
    for noisy in ("apscheduler", "alembic"):  # a line per timer poll and migration drowns the page's URL
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(run_sandbox(Path(args.dir), port=args.port))
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    """Apply database migrations."""
    from store.engine import create_engine
    from store.migrate import current_revision, upgrade

    settings = load_settings(os.environ)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            before = await current_revision(engine)
            await upgrade(engine)
            after = await current_revision(engine)
            print(f"database migrated: {before or 'empty'} -> {after}")
        finally:
            await engine.dispose()

    asyncio.run(run())
    return 0


def cmd_manifest(_args: argparse.Namespace) -> int:
    """Print the Slack app manifest generated from the registered listeners."""
    from bot.app import create_app
    from bot.manifest import manifest_yaml

    config = load_config(os.environ)
    settings = config.settings
    if not settings.socket_mode and settings.public_url == DEFAULT_PUBLIC_URL:
        print(f"warroom: warning: PUBLIC_URL is not set, so Slack would send requests to {DEFAULT_PUBLIC_URL}"
              f"/slack/events. Set PUBLIC_URL to this bot's public https address (or SLACK_APP_TOKEN for Socket "
              f"Mode) and generate the manifest again.", file=sys.stderr)
    # The manifest lists the listeners; Bolt builds no app without a token, and this one is never sent.
    unsent = {"slack_bot_token": settings.slack_bot_token or SecretStr("xoxb-manifest-only"),
              "slack_signing_secret": settings.slack_signing_secret or SecretStr("manifest-only")}
    warroom = create_app(replace(config, settings=settings.model_copy(update=unsent)), providers={})
    sys.stdout.write(manifest_yaml(warroom.surface, settings))
    asyncio.run(warroom.engines.dispose())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Print an incident's post-incident review as Markdown or JSON."""
    config = load_config(os.environ)

    async def run() -> str:
        async with opened_storage(config) as storage:
            incident = await storage.reviews.find(args.team, args.incident)
            return await storage.reviews.render(incident.team_id, incident.id, args.format)

    output = asyncio.run(run())
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    """Check settings, config, database and Slack auth; say what is wrong."""
    from bot.doctor import run_doctor

    return asyncio.run(run_doctor(os.environ))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per action."""
    parser = argparse.ArgumentParser(prog="warroom", description="Warroom: incident response in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("serve", cmd_serve), ("migrate", cmd_migrate), ("manifest", cmd_manifest),
                       ("doctor", cmd_doctor), ("export", cmd_export), ("sandbox", cmd_sandbox)):
        p = sub.add_parser(name, help=(func.__doc__ or "").strip())
        p.set_defaults(func=func)
        if name == "export":
            p.add_argument("incident", help="the incident, e.g. INC-42")
            p.add_argument("--format", choices=("md", "json"), default="md")
            p.add_argument("--team", help="Slack team id (needed when several workspaces use Warroom)")
            p.add_argument("--output", "-o", help="write to this file instead of standard output")
        if name == "sandbox":
            p.add_argument("--port", type=int, default=8800, help="port of the page (default 8800)")
            p.add_argument("--dir", default=".warroom-sandbox",
                           help="where the sandbox keeps its SQLite database (default .warroom-sandbox)")
    add_runbook_commands(sub)
    add_audit_commands(sub)
    add_statuspage_commands(sub)
    add_report_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `warroom` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, StorageUnavailable, UserError) as exc:
        # Domain errors are written for Slack, which shows &amp; &lt; &gt; as the characters: so does a terminal.
        print(f"warroom: {html.unescape(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
