"""`warroom report`: the operations review of a period as HTML, Markdown or JSON, from the database (no Slack)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import cast

from bot.cli_runbooks import load_configured_runbooks
from bot.config import Config, load_config
from bot.domain.errors import ConfigError
from bot.domain.report import Report
from bot.reporting import FORMATS, ReportFormat, render
from bot.services.clock import SystemClock
from bot.services.report import ReportService
from bot.storage import start_storage
from store.engine import create_engine, session_factory
from store.uow import SqlUnitOfWork


def add_report_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` to the `warroom` command's sub-commands."""
    report = subparsers.add_parser("report", help=(cmd_report.__doc__ or "").strip())
    report.add_argument("--since", default="30d",
                        help="the period: 30d, 90d, 2w, 24h or 2026-01-01..2026-03-31 (UTC, both days included); "
                             "default 30d")
    # Checked by cmd_report, not argparse `choices`, so that a wrong one is one line naming the right ones.
    report.add_argument("--format", default="html", help=f"{', '.join(FORMATS)} (default html)")
    report.add_argument("--out", "-o", help="write to this file instead of standard output")
    report.add_argument("--team", nargs="+", action="extend", default=[], metavar="T",
                        help="only these Slack team ids (default: every workspace)")
    report.add_argument("--class", dest="incident_class", metavar="CLASS",
                        help="only incidents of this class (its id or label)")
    report.set_defaults(func=cmd_report)


async def _report(config: Config, args: argparse.Namespace) -> Report:
    engine = create_engine(config.settings.database_url)
    try:
        await start_storage(engine, config.settings)
        sessions = session_factory(engine)
        runbooks = load_configured_runbooks(config).runbooks  # what the bot loads: its covered classes count
        service = ReportService(uow=lambda: SqlUnitOfWork(sessions), clock=SystemClock(), policy=config.policy,
                                classes_with_runbook={c for r in runbooks.values() for c in r.classes},
                                runbook_ids=frozenset(runbooks))
        return await service.report(args.since, teams=args.team, incident_class=args.incident_class)
    finally:
        await engine.dispose()


def cmd_report(args: argparse.Namespace) -> int:
    """The operations review of a period: MTTA/MTTR, recurrence, runbook coverage, follow-ups, weekly trends."""
    if args.format not in FORMATS:
        raise ConfigError(f"Unknown report format {args.format!r}: use --format {', '.join(FORMATS)}.")
    config = load_config(os.environ)
    report = asyncio.run(_report(config, args))
    output = render(report, cast(ReportFormat, args.format))
    if args.out:
        try:
            Path(args.out).write_text(output, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot write {args.out}: {exc.strerror or exc}; give --out a writable path.") from exc
        print(f"report written to {args.out}: {report.total.count} incidents, {report.label}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0
