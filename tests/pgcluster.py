"""A throwaway PostgreSQL server that tests may stop and start (the shared one on 5432 stays up).

It runs from the server binaries under /usr/lib/postgresql/<version>/bin (`bash .ci/run` installs
them), in a temporary directory, on a free loopback port, with trust authentication. PostgreSQL
refuses to run as root, so under root every server command runs as the `postgres` user.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

RUN_AS = "postgres"


def server_bin() -> Path:
    """The newest installed server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed under "
                           "/usr/lib/postgresql/*/bin: `bash .ci/run` installs them (apt-get install postgresql).")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *args] if os.geteuid() == 0 else args


@dataclass
class PgCluster:
    """A PostgreSQL cluster in `root` on `port`; `stop()` and `start()` it at will."""

    bin: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _pg_ctl(self, *args: str) -> list[str]:
        return _as_server_user([str(self.bin / "pg_ctl"), "-D", str(self.data), *args])

    def _start_args(self) -> list[str]:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off")
        return self._pg_ctl("-l", str(self.root / "server.log"), "-w", "-t", "30", "-o", options, "start")

    def init(self) -> None:
        """initdb and the first start."""
        subprocess.run(_as_server_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                                        "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        subprocess.run(self._start_args(), check=True, capture_output=True)

    async def stop(self) -> None:
        """Stop the server now (fast shutdown: open sessions are cut off)."""
        await _run(self._pg_ctl("-m", "fast", "-w", "stop"))

    async def start(self) -> None:
        """Start the server and return once it accepts connections."""
        await _run(self._start_args())

    def running(self) -> bool:
        """Whether the server is up."""
        return subprocess.run(self._pg_ctl("status"), check=False, capture_output=True).returncode == 0

    def kill(self) -> None:
        """Stop the server without a clean shutdown, whatever state it is in (cleanup)."""
        subprocess.run(self._pg_ctl("-m", "immediate", "-w", "stop"), check=False, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        """Async SQLAlchemy URL of `database` on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"warroom_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(user="postgres", host="127.0.0.1", port=self.port, database="postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.url(name)


async def _run(args: list[str]) -> None:
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {out.decode(errors='replace')}")


@contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A running cluster for the duration of the block; stopped and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))  # under /tmp: the server user must reach it
    if os.geteuid() == 0:
        shutil.chown(root, RUN_AS, RUN_AS)
    cluster = PgCluster(bin=server_bin(), root=root, port=_free_port())
    try:
        cluster.init()
        yield cluster
    finally:
        if cluster.data.exists():
            cluster.kill()
        shutil.rmtree(root, ignore_errors=True)
