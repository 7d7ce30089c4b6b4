"""`warroom audit verify` and `warroom audit export`: the audit log's hash chain from the command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from bot.config import load_config
from bot.domain.audit_chain import ChainReport
from bot.services.audit import EXPORT_FORMATS
from bot.storage import Storage, opened_storage

T = TypeVar("T")


def add_audit_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit verify` and `audit export` to the `warroom` command's sub-commands."""
    audit = subparsers.add_parser("audit", help="Verify the audit log's hash chain or export an incident's audit.")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser("verify", help=(cmd_audit_verify.__doc__ or "").strip())
    verify.add_argument("--team", help="check only this Slack team id (default: every workspace)")
    verify.set_defaults(func=cmd_audit_verify)
    export = commands.add_parser("export", help=(cmd_audit_export.__doc__ or "").strip())
    export.add_argument("incident", help="the incident, e.g. INC-42")
    export.add_argument("--team", help="Slack team id (needed when several workspaces use Warroom)")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="json")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.set_defaults(func=cmd_audit_export)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Check the audit hash chain of every workspace; exit 1 listing what was changed, removed or inserted."""
    report = asyncio.run(_with_storage(lambda storage: storage.audit.verify(args.team)))
    sys.stdout.write(describe(report))
    return 0 if report.intact else 1


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Print an incident's audit events (seq, time, actor, action, before, after, hash) as JSON or CSV."""

    async def export(storage: Storage) -> str:
        incident = await storage.reviews.find(args.team, args.incident)
        return await storage.audit.export(incident, args.format)

    output = asyncio.run(_with_storage(export))
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8", newline="")
    else:
        sys.stdout.write(output)
    return 0


def describe(report: ChainReport) -> str:
    """The verification report as `warroom audit verify` prints it."""
    scope = f"{_count(report.records, 'record')} in {_count(report.workspaces, 'workspace')}"
    if report.intact:
        return f"audit chain intact: {scope}\n"
    lines = [f"audit chain BROKEN: {_count(len(report.problems), 'problem')} ({scope})"]
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


async def _with_storage(use: Callable[[Storage], Awaitable[T]]) -> T:
    # Storage alone: the schema checked (or migrated, on SQLite) first, the engine disposed at the end.
    async with opened_storage(load_config(os.environ)) as storage:
        return await use(storage)
