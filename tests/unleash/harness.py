"""A real Unleash server on loopback for the tests: `node tests/unleash/server.js` on a fresh database.

The npm project beside this file pins unleash-server; `bash .ci/run` installs it (`npm ci`).
The server gets a new PostgreSQL database (dropped afterwards), a free port on 127.0.0.1, and an
admin and a backend API token made up for the run. The tests never skip it: when Node or the
npm packages are missing, they fail and say how to install them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from tests.databases import ADMIN_URL

HERE = Path(__file__).resolve().parent
START_DEADLINE_SECONDS = 90.0


@dataclass(frozen=True)
class UnleashServer:
    """How to talk to the running server."""

    url: str
    admin_token: str
    backend_token: str
    log: Path

    def client_features(self) -> dict[str, Any]:
        """What an Unleash SDK sees for the backend token's environment: toggle name -> feature."""
        request = urllib.request.Request(
            f"{self.url}/api/client/features", headers={"Authorization": self.backend_token}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
        return {feature["name"]: feature for feature in body["features"]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _admin_execute(sql: str) -> None:
    url = make_url(ADMIN_URL)
    try:
        connection = await asyncpg.connect(
            user=url.username, password=url.password, host=url.host, port=url.port or 5432, database=url.database
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"Unleash needs PostgreSQL, which is not reachable at {url.host}:{url.port} ({exc!r}). "
            "Start it (`bash .ci/run` does) or set WARROOM_TEST_POSTGRES_URL."
        ) from exc
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _check_installed() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed to run the Unleash test server: run `bash .ci/run`, which installs it.")
    if not (HERE / "node_modules" / "unleash-server" / "package.json").is_file():
        raise RuntimeError(
            f"unleash-server is not installed in {HERE / 'node_modules'}: run `bash .ci/run` "
            "(or `npm ci --prefix tests/unleash`)."
        )
    return node


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while not _healthy(url):
        try:
            code = process.wait(timeout=0.25)  # doubles as the pause between polls
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            raise RuntimeError(f"Unleash exited with {code} before it was healthy:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"Unleash was not healthy within {START_DEADLINE_SECONDS:.0f}s:\n{log.read_text()[-4000:]}"
            )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def running_unleash(workdir: Path) -> Iterator[UnleashServer]:
    """Start Unleash on a fresh database, yield it once healthy, then stop it and drop the database."""
    node = _check_installed()
    database = f"unleash_test_{secrets.token_hex(6)}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{database}"'))
    try:
        port = _free_port()
        server = UnleashServer(
            url=f"http://127.0.0.1:{port}",
            admin_token=f"*:*.{secrets.token_hex(16)}",
            backend_token=f"default:development.{secrets.token_hex(16)}",
            log=workdir / "unleash.log",
        )
        database_url = make_url(ADMIN_URL).set(drivername="postgres", database=database)
        env = {
            **os.environ,
            "UNLEASH_PORT": str(port),
            "UNLEASH_DATABASE_URL": database_url.render_as_string(hide_password=False),
            "UNLEASH_ADMIN_TOKEN": server.admin_token,
            "UNLEASH_BACKEND_TOKEN": server.backend_token,
        }
        with server.log.open("wb") as log:
            process = subprocess.Popen(
                [node, str(HERE / "server.js")], cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_healthy(process, server.url, server.log)
            yield server
        finally:
            _stop(process)
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
