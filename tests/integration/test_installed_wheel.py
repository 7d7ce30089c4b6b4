"""What a user installs: the wheel, in a fresh virtualenv outside the checkout, carries everything.

An editable install reads data files from the checkout and hides any that the wheel leaves out
(the runbook library once was), so these tests build the wheel from the package sources, install
it with its dependencies from the index into a new virtualenv, and run `warroom` from there.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.standin import FakeSlack
from store.migrate import head_revision
from tests.integration.cli_processes import env_for, free_port, healthy
from tests.standin_fixtures import fake_slack  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "store", "runbooks")
SECRET = "wheel-signing-secret"
IDLE_SECONDS = 30


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding only the wheel and its dependencies."""

    bin: Path
    site_packages: Path

    def run(self, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run the installed `warroom` command."""
        return subprocess.run([str(self.bin / "warroom"), *args], check=False, env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from what an sdist holds, then install it into a new virtualenv."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", str(source), "--no-deps", "--wheel-dir", str(work / "dist")], check=True,
                   cwd=work, timeout=300)
    [wheel] = (work / "dist").glob("warroom-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "--quiet", "install",
                    str(wheel)], check=True, cwd=work, timeout=600)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True, cwd=work).stdout.strip()
    yield Installed(venv / "bin", Path(purelib))


def _library_size() -> int:
    return len(list((ROOT / "runbooks" / "library").glob("*.yaml")))


def test_the_wheel_carries_every_data_file_of_the_packages(installed: Installed) -> None:
    data_files = sorted(
        str(path.relative_to(ROOT)) for package in PACKAGES for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )
    assert any(f.startswith("runbooks/library/") for f in data_files)  # the list itself is not empty of what matters
    missing = [f for f in data_files if not (installed.site_packages / f).is_file()]
    assert missing == []
    assert not (installed.site_packages / "tests").exists()


def test_runbooks_check_from_the_wheel_loads_the_whole_shipped_library(installed: Installed, tmp_path: Path) -> None:
    out = installed.run("runbooks", "check", env=env_for(), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == f"{_library_size()} runbook(s) OK"


def test_manifest_from_the_wheel_names_the_public_url(installed: Installed, tmp_path: Path) -> None:
    out = installed.run("manifest", env=env_for(PUBLIC_URL="https://warroom.acme.test"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    manifest = yaml.safe_load(out.stdout)
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident"
    assert command["url"] == "https://warroom.acme.test/slack/events"
    assert out.stderr == ""


def test_manifest_warns_when_public_url_is_unset(installed: Installed, tmp_path: Path) -> None:
    out = installed.run("manifest", env=env_for(), cwd=tmp_path)
    assert out.returncode == 0
    assert yaml.safe_load(out.stdout)["features"]["slash_commands"][0]["url"] == "https://warroom.example.com/slack/events"
    assert out.stderr.startswith("warroom: warning: PUBLIC_URL is not set")


def test_migrate_from_the_wheel_brings_an_empty_database_to_the_head(installed: Installed, tmp_path: Path) -> None:
    env = env_for(DATABASE_URL=f"sqlite:///{tmp_path / 'warroom.db'}")
    out = installed.run("migrate", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"database migrated: empty -> {head_revision()}"


def test_report_from_the_wheel_renders_every_format_from_the_shipped_templates(installed: Installed,
                                                                             tmp_path: Path) -> None:
    env = env_for(DATABASE_URL=f"sqlite:///{tmp_path / 'warroom.db'}")
    html = installed.run("report", "--since", "90d", "--out", str(tmp_path / "report.html"), env=env, cwd=tmp_path)
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Operations review: last 90 days" in page
    markdown = installed.run("report", "--format", "md", env=env, cwd=tmp_path)
    assert markdown.returncode == 0 and markdown.stdout.startswith("# Operations review: last 30 days"), markdown.stderr
    assert json.loads(installed.run("report", "--format", "json", env=env, cwd=tmp_path).stdout)["incidents"]["total"] == 0


async def _serve(installed: Installed, fake: FakeSlack, cwd: Path) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = env_for(SLACK_BOT_TOKEN=fake.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url,
                  PORT=str(port))
    proc = await asyncio.create_subprocess_exec(str(installed.bin / "warroom"), "serve", env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return proc, port


async def _stop(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    return out.decode(), err.decode()


async def test_serve_from_the_wheel_is_healthy_with_the_shipped_runbooks(
    installed: Installed, fake_slack: FakeSlack, tmp_path: Path,  # noqa: F811
) -> None:
    proc, port = await _serve(installed, fake_slack, tmp_path)
    try:
        health = await healthy(port, time.monotonic() + 60)
    finally:
        _, err = await _stop(proc)
    assert proc.returncode == 0, err
    assert health["status"] == "ok"
    runbooks = health["checks"]["runbooks"]  # type: ignore[index]
    assert runbooks == {"status": "ok", "detail": f"{_library_size()} runbooks loaded"}


async def test_idle_serve_at_the_default_level_writes_no_log_line_after_start_up(
    installed: Installed, fake_slack: FakeSlack, tmp_path: Path,  # noqa: F811
) -> None:
    proc, port = await _serve(installed, fake_slack, tmp_path)
    try:
        await healthy(port, time.monotonic() + 60)
        started = datetime.now(UTC)
        # Idle is the behaviour under test: nothing to wait for, the log must stay empty this long.
        await asyncio.sleep(IDLE_SECONDS)
    finally:
        out, err = await _stop(proc)
    events = [json.loads(line) for line in err.splitlines()]  # every line is a JSON event, none a stray print
    assert {"warroom_started", "listening"} <= {e["event"] for e in events}
    stopped = next(datetime.fromisoformat(e["timestamp"]) for e in events if e["event"] == "stopping")
    assert (stopped - started).total_seconds() >= IDLE_SECONDS
    idle = [e for e in events if started < datetime.fromisoformat(e["timestamp"]) < stopped]
    assert idle == []
    assert out == ""
