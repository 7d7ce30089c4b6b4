"""`warroom statuspage build [DIR]` and `warroom statuspage component NAME STATUS`: the status page from the
command line (the site is written from the database; no Slack)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.config import Config, load_config
from bot.domain.errors import ConfigError
from bot.domain.status_page import ComponentStatus, Page
from bot.domain.status_policy import components_of
from bot.services.clock import SystemClock
from bot.services.status_site import StatusSite
from bot.storage import start_storage
from store.engine import create_engine, session_factory
from store.status_site.writer import StaticSite
from store.uow import SqlUnitOfWork

AUTO = "auto"


def add_statuspage_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `statuspage build` and `statuspage component` to the `warroom` command's sub-commands."""
    page = subparsers.add_parser("statuspage", help="Build the public status page, or set a component's status.")
    commands = page.add_subparsers(dest="statuspage_command", required=True)
    build = commands.add_parser("build", help=(cmd_build.__doc__ or "").strip())
    build.add_argument("dir", nargs="?", help="where to write the site (default: status_page.dir of warroom.yaml)")
    build.set_defaults(func=cmd_build)
    component = commands.add_parser("component", help=(cmd_component.__doc__ or "").strip())
    component.add_argument("name", help="the component, as the catalog's status_component names it")
    component.add_argument("status", choices=[*(s.value for s in ComponentStatus), AUTO],
                           help=f"its status; `{AUTO}`: follow its incidents again")
    component.add_argument("--dir", help="rewrite the site here (default: status_page.dir)")
    component.set_defaults(func=cmd_component)


def _target(config: Config, given: str | None) -> Path | None:
    chosen = given or config.policy.status_page.dir
    return Path(chosen) if chosen else None


async def _run(config: Config, target: Path | None, component: tuple[str, str] | None = None) -> Page | None:
    engine = create_engine(config.settings.database_url)
    try:
        await start_storage(engine, config.settings)
        sessions = session_factory(engine)
        clock = SystemClock()
        if component is not None:
            name, status = component
            async with SqlUnitOfWork(sessions) as uow:
                await uow.status_page.set_manual(name, None if status == AUTO else ComponentStatus(status),
                                                 "cli", clock.now())
                await uow.commit()
        site = StatusSite(uow=lambda: SqlUnitOfWork(sessions), clock=clock, policy=config.policy,
                          publisher=StaticSite(target) if target is not None else None)
        return await site.rebuild()
    finally:
        await engine.dispose()


def cmd_build(args: argparse.Namespace) -> int:
    """Write the whole status page (HTML, api/v2 JSON, Atom and RSS) to DIR at once, from the database."""
    config = load_config(os.environ)
    target = _target(config, args.dir)
    if target is None:
        raise ConfigError("Name the directory (`warroom statuspage build DIR`) or set status_page.dir in warroom.yaml.")
    page = asyncio.run(_run(config, target))
    assert page is not None
    print(f"status page written to {target}: {page.description}; {len(page.unresolved)} open, "
          f"{len(page.incidents)} in 90 days, {len(page.components)} components")
    return 0


def cmd_component(args: argparse.Namespace) -> int:
    """Set a component's status by hand (`auto`: it follows its incidents again), then rewrite the site."""
    config = load_config(os.environ)
    known = [c.name for c in components_of(config.policy.catalog, config.policy.status_page)]
    if args.name not in known:
        raise ConfigError(f"{args.name!r} is not a component of the status page (the catalog's services name "
                          f"{', '.join(known) or 'none'} as their status_component).")
    target = _target(config, args.dir)
    asyncio.run(_run(config, target, (args.name, args.status)))
    print(f"{args.name}: {args.status}" + (f"; status page written to {target}" if target else ""), file=sys.stdout)
    return 0
