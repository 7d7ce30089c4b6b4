"""Writing the site atomically: every publish writes a complete new build, then swaps one symlink.

`status_page.dir` is a symbolic link to the current build in `.<name>.builds/` beside it. A build is
written whole in its own directory first; then a new link is made and renamed over the old one
(`rename(2)` is atomic), so a reader (a web server, a sync to an object store) opens files of the old
build or of the new one, never a half-written file or a site missing some. The build before the
current one is kept for readers still in it, and older ones for a minute more; then they are removed. Builds are serialised
across processes by a lock file, and each records when its page was read (`.version`): a build of an
older reading (a replica that read the database before another's publish, and writes after it) is not
swapped in over a newer one.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import structlog

from bot.domain.errors import ConfigError
from bot.domain.status_page import Page
from store.status_site import feeds, html, json_api

log = structlog.get_logger(__name__)

KEEP_BUILDS = 2  # the current build and the one before it, whatever their age
READERS_GRACE = 60.0  # seconds an older build stays for readers that opened it before a swap
VERSION = ".version"  # in each build: when its page was read (ISO 8601 UTC)


def render_site(page: Page) -> dict[str, bytes]:
    """Every file of the site for `page`: path under the site -> content."""
    files = {"index.html": html.render(page), "history.atom": feeds.atom(page), "history.rss": feeds.rss(page)}
    files.update(json_api.render(page))
    return files


def builds_dir(target: Path) -> Path:
    """Where the builds of the site at `target` are kept."""
    return target.parent / f".{target.name}.builds"


@contextmanager
def _locked(builds: Path) -> Iterator[None]:
    with open(builds / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _claim_target(target: Path) -> None:
    """A target that is a real directory is taken over only when empty (its content is not ours to drop)."""
    if target.is_symlink() or not target.exists():
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
        return
    raise ConfigError(f"status_page.dir: {target} exists and is not a site Warroom wrote (Warroom makes it a "
                      "link to its latest build); name a path that does not exist yet, or an empty directory.")


def _current_version(target: Path) -> str:
    try:
        return (target / VERSION).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def write_site(target: Path, files: Mapping[str, bytes], version: str = "") -> Path | None:
    """Write `files` as a new build and make `target` point at it; the build's directory (None: the site
    already shows a newer `version`, and is left as it is)."""
    target = target.absolute()
    builds = builds_dir(target)
    builds.mkdir(parents=True, exist_ok=True)
    with _locked(builds):
        _claim_target(target)
        if version and _current_version(target) > version:
            log.info("status_site_newer_kept", dir=str(target), version=version)
            return None
        files = {**files, VERSION: version.encode()}
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        build = builds / name
        try:
            _write_files(build, files)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)  # never linked: nobody reads it
            raise
        link = target.parent / f".{target.name}.{name}.link"
        os.symlink(os.path.relpath(build, target.parent), link)
        os.replace(link, target)
        _prune(builds, keep=build)
    log.info("status_site_written", dir=str(target), build=name, files=len(files))
    return build


def _write_files(build: Path, files: Mapping[str, bytes]) -> None:
    for path, content in files.items():
        file = build / path
        file.parent.mkdir(parents=True, exist_ok=True)
        with open(file, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())


def _prune(builds: Path, keep: Path) -> None:
    """Remove builds older than the one before `keep` once no reader can still be in them (READERS_GRACE)."""
    done = sorted((b for b in builds.iterdir() if b.is_dir() and b != keep), key=lambda b: b.name)
    cutoff = time.time() - READERS_GRACE
    for old in done[: max(0, len(done) - (KEEP_BUILDS - 1))]:
        if old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


class StaticSite:
    """The SitePublisher port: the site written to a directory."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._lock = asyncio.Lock()

    async def publish(self, page: Page) -> None:
        """Render and write the site off the event loop, one build at a time."""
        async with self._lock:
            files = render_site(page)
            version = page.updated_at.astimezone(UTC).isoformat(timespec="microseconds")
            await asyncio.to_thread(write_site, self.target, files, version)
