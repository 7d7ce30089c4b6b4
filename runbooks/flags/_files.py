"""What the file-backed flag providers share: one lock per file and an atomic rewrite.

The rewrite writes a temporary file in the same directory, fsyncs it and `os.replace`s it over the
target, so a reader (flagd's file watcher, the service reading its flags) sees the old file or the
new one, never a half-written one; a failed write leaves the old file as it was. The new file's
mtime is always later than the old one's, so watchers that poll the mtime notice every change. The lock
serializes read-modify-write cycles within one process; other processes writing the same file are
not coordinated.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO

# asyncio locks belong to one event loop, so keep one set of locks per loop.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Path, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def lock_for(path: Path) -> asyncio.Lock:
    """The lock every provider of this process takes before rewriting `path`."""
    locks = _LOCKS.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(path.resolve(), asyncio.Lock())


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def replace_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Rewrite `path` with what `write` puts into the stream, all or nothing."""
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"the directory {directory} does not exist; create it first")
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, old.st_mode & 0o777 if old else 0o644)
        if old is not None:
            _move_mtime_past(tmp, old.st_mtime_ns)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _move_mtime_past(tmp: Path, previous_ns: int) -> None:
    """File times are coarse (a clock tick): make sure watchers that poll the mtime see a change."""
    stat = tmp.stat()
    if stat.st_mtime_ns <= previous_ns:
        os.utime(tmp, ns=(stat.st_atime_ns, previous_ns + 1_000_000))


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
