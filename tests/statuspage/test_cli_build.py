"""`warroom statuspage build DIR` and `warroom statuspage component`, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.integration.cli_processes import env_for

CONFIG = {"services": [{"id": "imports", "status_component": "Imports"}, {"id": "web", "status_component": "Web app"}],
          "status_page": {"name": "DepositMatch", "url": "https://status.example.com"}}


def _warroom(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = env_for(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}",
                  WARROOM_CONFIG=str(tmp_path / "warroom.yaml"), LOG_LEVEL="warning")
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)


def test_build_writes_the_whole_site_and_a_component_can_be_set_by_hand(tmp_path: Path) -> None:
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump(CONFIG))
    site = tmp_path / "public" / "status"
    built = _warroom(tmp_path, "statuspage", "build", str(site))
    assert built.returncode == 0, built.stderr
    assert "All Systems Operational" in built.stdout and "2 components" in built.stdout
    assert site.is_symlink()
    for path in ("index.html", "history.atom", "history.rss", "api/v2/summary.json", "api/v2/status.json",
                 "api/v2/components.json", "api/v2/incidents.json", "api/v2/incidents/unresolved.json"):
        assert (site / path).is_file(), path
    assert json.loads((site / "api/v2/summary.json").read_text())["page"]["name"] == "DepositMatch"

    set_ = _warroom(tmp_path, "statuspage", "component", "Web app", "under_maintenance", "--dir", str(site))
    assert set_.returncode == 0, set_.stderr
    components = {c["name"]: c["status"] for c in json.loads((site / "api/v2/components.json").read_text())["components"]}
    assert components == {"Imports": "operational", "Web app": "under_maintenance"}
    assert json.loads((site / "api/v2/status.json").read_text())["status"]["indicator"] == "maintenance"

    back = _warroom(tmp_path, "statuspage", "component", "Web app", "auto", "--dir", str(site))
    assert back.returncode == 0, back.stderr
    assert "All Systems Operational" in (site / "index.html").read_text()


def test_a_component_the_catalog_does_not_have_and_a_missing_directory_are_refused(tmp_path: Path) -> None:
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump(CONFIG))
    unknown = _warroom(tmp_path, "statuspage", "component", "Payments", "major_outage")
    assert unknown.returncode == 2 and "'Payments' is not a component" in unknown.stderr
    nowhere = _warroom(tmp_path, "statuspage", "build")
    assert nowhere.returncode == 2 and "status_page.dir" in nowhere.stderr


def test_doctor_says_when_the_status_page_directory_cannot_be_used(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "index.html").write_text("someone else's")
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump({**CONFIG, "status_page": {"dir": "taken"}}))
    doctor = _warroom(tmp_path, "doctor")
    assert f"FAIL status page: {taken} exists and is not a site Warroom wrote" in doctor.stdout
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump({**CONFIG, "status_page": {"dir": "public/status"}}))
    assert f"FAIL status page: cannot write in {tmp_path / 'public'}" in _warroom(tmp_path, "doctor").stdout
    (tmp_path / "public").mkdir()
    assert f"ok   status page: {tmp_path / 'public' / 'status'}: written when the bot starts" in _warroom(
        tmp_path, "doctor").stdout
