"""Debian's Prometheus and Alertmanager on loopback for the alert receivers' end-to-end test.

The test serves the metrics itself (`Metrics`, a tiny /metrics endpoint whose values it sets); Prometheus
scrapes it every second and evaluates its alert rules every second; Alertmanager groups alerts by name and
posts them to Warroom's receiver with a bearer token, waiting a second at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web

RULES = {"groups": [{"name": "warroom-e2e", "interval": "1s", "rules": [
    {"alert": "ImportsFailing", "expr": "warroom_e2e_imports_failing > 0",
     "labels": {"severity": "critical", "service": "imports"},
     "annotations": {"summary": "Imports failing for {{ $labels.bank }}", "description": "Bank imports fail",
                     "runbook": "depositmatch-import-pipeline",
                     "runbook_url": "https://runbooks.example/imports"}},
    {"alert": "DiskFilling", "expr": "warroom_e2e_disk_filling > 0",
     "labels": {"severity": "warning"}, "annotations": {"summary": "Disk filling on the ledger host"}},
]}]}


README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "https://warroom.example.com"


def readme_snippet(heading: str) -> str:
    """The first YAML block after the line of the README's "Alerts in" section that starts with `heading`."""
    section = README.read_text().split("## Alerts in", 1)[1].split("\n## ", 1)[0]
    after = section.split("\n" + heading, 1)[1]
    return after.split("```yaml\n", 1)[1].split("```", 1)[0]


def readme_alertmanager_config(receiver_url: str, token: str) -> str:
    """The README's Alertmanager configuration as given, pointed at this Warroom, waiting a second at most."""
    base = receiver_url.split("/alerts/", 1)[0]
    config = yaml.safe_load(readme_snippet("Alertmanager").replace(README_URL, base)
                            .replace("<WARROOM_ALERTS_TOKEN>", token))
    config["route"].update({"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"})
    return yaml.safe_dump(config)


def free_port() -> int:
    """A port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Metrics:
    """A /metrics endpoint whose series the test sets: {(name, labels as a frozenset of pairs): value}."""

    series: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)

    def set(self, name: str, value: float | None, **labels: str) -> None:
        """Set a series (None: the series disappears, as a target stops reporting it)."""
        key = (name, frozenset(labels.items()))
        if value is None:
            self.series.pop(key, None)
        else:
            self.series[key] = value

    def render(self) -> str:
        lines = []
        for (name, labels), value in sorted(self.series.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]))):
            inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels))
            lines.append(f"{name}{{{inner}}} {value}")
        return "\n".join(lines) + "\n"


@dataclass
class Monitoring:
    """The running Prometheus and Alertmanager, and the metrics they watch."""

    metrics: Metrics
    prometheus_url: str
    alertmanager_url: str


async def _ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    """Wait until `url` answers 200 (polled with a deadline); fail with the process's log if it died."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} not ready: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)  # polling a starting server, with a deadline


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@asynccontextmanager
async def running_monitoring(tmp_path: Path, receiver_url: str, token: str) -> AsyncIterator[Monitoring]:
    """Serve the metrics, then start Alertmanager (posting to `receiver_url` with `token`) and Prometheus."""
    for binary in ("prometheus", "prometheus-alertmanager"):
        if shutil.which(binary) is None:
            raise RuntimeError(f"{binary} is not installed: `bash .ci/run` installs Debian's package")
    metrics = Metrics()
    app = web.Application()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(text=metrics.render(), content_type="text/plain")

    app.router.add_get("/metrics", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    metrics_port = runner.addresses[0][1]
    am_port, prom_port = free_port(), free_port()
    (tmp_path / "alertmanager.yml").write_text(readme_alertmanager_config(receiver_url, token))
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(RULES))
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": [{"job_name": "e2e", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }))
    alertmanager = _start(["prometheus-alertmanager", f"--config.file={tmp_path / 'alertmanager.yml'}",
                           f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
                           f"--web.external-url=http://127.0.0.1:{am_port}/",
                           "--cluster.listen-address=", "--log.level=warn"], tmp_path / "alertmanager.log")
    prometheus = _start(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                         f"--storage.tsdb.path={tmp_path / 'prom-data'}", f"--web.listen-address=127.0.0.1:{prom_port}",
                         f"--web.external-url=http://127.0.0.1:{prom_port}/",
                         "--log.level=warn"], tmp_path / "prometheus.log")
    try:
        await _ready(f"http://127.0.0.1:{am_port}/-/ready", alertmanager, tmp_path / "alertmanager.log")
        await _ready(f"http://127.0.0.1:{prom_port}/-/ready", prometheus, tmp_path / "prometheus.log")
        yield Monitoring(metrics, f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}")
    finally:
        _stop(prometheus)
        _stop(alertmanager)
        await runner.cleanup()
