"""Run a command in a session of its own, and end it, and whatever it started, when its time is up.

The command starts a new session (and process group), so killing the group ends it and its
children. A child can leave both (`setsid`, a daemonising `nohup ... &`); killing the group misses
it, and as long as it holds the output pipe, waiting for the end of the output would wait for it.
So when time is up:

1. the process group is killed;
2. on Linux, every process still in the command's session or holding the command's output pipe
   is killed too: both are found in /proc, and both belong to this command (a pipe's inode is
   unique to it), so nothing else is touched. That finds every escaped child that still writes
   to the step; one that closed its output and left the session no longer affects the step;
3. the pipe is given a moment to drain, then closed, so a holder that could not be killed
   (another user's process, a system without /proc) cannot hold the step either.

PR_SET_CHILD_SUBREAPER would make the bot itself the parent of every orphan (and asyncio only reaps
children it started), and a cgroup per step needs privileges a bot rarely has; /proc needs neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# After the kill, how long the output may take to drain, and the command to be reaped.
DRAIN_SECONDS = 0.5
# Processes can fork while being looked for: look again until a pass finds none (at most this often).
KILL_PASSES = 5


@dataclass(frozen=True)
class Ran:
    """What a command did: its output (the first `limit` bytes), how it ended."""

    output: bytes
    truncated: bool  # it wrote more than was kept
    returncode: int | None  # None when the command itself was still running at the timeout
    timed_out: bool


class _Capture(asyncio.SubprocessProtocol):
    """Keeps the first `limit` bytes of output (and reads the rest, so the command never blocks)."""

    def __init__(self, limit: int) -> None:
        loop = asyncio.get_running_loop()
        self.exited: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()  # exited, and the output is closed
        self.chunks: list[bytes] = []
        self.size, self.limit, self.truncated = 0, limit, False

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        room = self.limit - self.size
        if len(data) > room:
            self.truncated, data = True, data[:room]
        if data:
            self.chunks.append(data)
            self.size += len(data)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def run_command(argv: Sequence[str], *, cwd: str | None, env: dict[str, str], timeout: float,
                      limit: int) -> Ran:
    """Run `argv` without a shell for at most `timeout` seconds; OSError when it cannot start."""
    loop = asyncio.get_running_loop()
    transport, capture = await loop.subprocess_exec(
        lambda: _Capture(limit), *argv, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    pipe = _pipe_inode(transport)
    timed_out = False
    try:
        # Done when the command has exited and nothing holds its output any more.
        await asyncio.wait_for(asyncio.shield(capture.closed), timeout)
    except TimeoutError:
        timed_out = True
    finally:  # on a timeout, and when Warroom is stopping mid-step: never leave the command running
        returncode = transport.get_returncode()  # None while the command itself still runs
        if not capture.closed.done():
            await asyncio.shield(_end(transport, capture, pipe))
        transport.close()
    return Ran(output=b"".join(capture.chunks), truncated=capture.truncated, returncode=returncode,
               timed_out=timed_out)


async def _end(transport: asyncio.SubprocessTransport, capture: _Capture, pipe: int | None) -> None:
    session = transport.get_pid()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(session, signal.SIGKILL)
    await asyncio.to_thread(kill_escaped, session, pipe)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(capture.closed), DRAIN_SECONDS)
    transport.close()  # stop reading: whatever still holds the pipe no longer holds the step
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(capture.exited), DRAIN_SECONDS)


def _pipe_inode(transport: asyncio.SubprocessTransport) -> int | None:
    reader = transport.get_pipe_transport(1)
    pipe = reader.get_extra_info("pipe") if reader is not None else None
    try:
        return os.fstat(pipe.fileno()).st_ino if pipe is not None else None
    except (OSError, ValueError):  # already closed: the output ended at once
        return None


def kill_escaped(session: int, pipe: int | None) -> int:
    """Kill every process in `session` or holding the pipe with inode `pipe` (Linux; elsewhere none): how many."""
    killed: set[int] = set()
    for _ in range(KILL_PASSES):
        found = [pid for pid in _escaped(session, pipe) if pid not in killed]
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
    return len(killed)


def _escaped(session: int, pipe: int | None) -> Iterator[int]:
    own, link = os.getpid(), f"pipe:[{pipe}]"
    for entry in _proc_entries():
        pid = int(entry.name)
        if pid == own:
            continue
        try:
            state, _ppid, _group, sid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
            if state in ("Z", "X"):  # dead already, waiting to be reaped
                continue
            if int(sid) == session or (pipe is not None and _holds(entry / "fd", link)):
                yield pid
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue


def _holds(fds: Path, link: str) -> bool:
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd) == link:
                return True
    return False


def _proc_entries() -> list[Path]:
    try:
        return [p for p in Path("/proc").iterdir() if p.name.isdigit()]
    except OSError:  # no /proc (macOS): the group kill and the closed pipe are all there is
        return []
