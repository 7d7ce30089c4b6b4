"""`warroom runbooks import` end to end: files and report written and checked; importing again shows a
diff against the earlier import and keeps the hand edits made to fields the source does not define."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main

CASE = Path(__file__).parent / "import_cases" / "12-switches-rollback.md"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`warroom ARGS` in this process (as the console script runs it): exit code and output."""
    code = main(list(args))
    return code, capsys.readouterr().out


def _steps(path: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    return {s["id"]: s for p in data["procedures"] for s in p["steps"]}


def test_import_writes_checked_runbooks_and_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "runbooks", "import", str(Path(__file__).parent / "import_cases"), "--out", str(tmp_path))
    assert code == 0, out
    assert "11-catalogue.md: no steps, nothing written" in out
    assert (tmp_path / "search-degraded.yaml").is_file() and not (tmp_path / "11-catalogue.yaml").exists()
    report = (tmp_path / "import-report.md").read_text()
    assert "guarded (confirmation and approval): `drop-the-temporary-table`" in report
    assert "parameters to fill in `read-the-logs-of-one-pod`: `<pod-id>`" in report
    code, out = _run(capsys, "runbooks", "check", str(tmp_path))
    assert code == 0 and out.strip().endswith("14 runbook(s) OK"), out


def test_importing_again_unchanged_gives_the_same_file_and_no_diff(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "runbooks", "import", str(CASE), "--out", str(tmp_path))[0] == 0
    first = (tmp_path / "12-switches-rollback.yaml").read_text()
    code, out = _run(capsys, "runbooks", "import", str(CASE), "--out", str(tmp_path))
    assert code == 0 and "@@" not in out
    assert (tmp_path / "12-switches-rollback.yaml").read_text() == first


def test_a_reimport_shows_the_diff_and_keeps_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "reco.md"
    source.write_text(CASE.read_text())
    out = tmp_path / "out"
    assert _run(capsys, "runbooks", "import", str(source), "--out", str(out))[0] == 0
    target = out / "reco.yaml"
    data = yaml.safe_load(target.read_text())
    drop = next(s for p in data["procedures"] for s in p["steps"] if s["id"] == "drop-the-temporary-table")
    drop["timeout"] = "2m"                                     # hand edits: fields the source does not define
    drop["guard"] = {"roles": ["commander"], "confirm": "Drop reco_tmp?", "approval": True}
    data["applies_to"] = {"services": ["recommendations"]}
    target.write_text(yaml.safe_dump(data, sort_keys=False))

    source.write_text(CASE.read_text().replace(
        "5. Check the health endpoint", "5. Tell the #team-reco channel the table is gone.\n6. Check the health endpoint"))
    code, diff = _run(capsys, "runbooks", "import", str(source), "--out", str(out))

    assert code == 0, diff
    assert "+  - id: tell-the-team-reco-channel-the-table-is-gone" in diff  # the diff shows the new step
    steps = _steps(target)
    assert steps["drop-the-temporary-table"]["timeout"] == "2m"
    assert steps["drop-the-temporary-table"]["guard"] == {"roles": ["commander"], "confirm": "Drop reco_tmp?",
                                                           "approval": True}
    assert steps["drop-the-temporary-table"]["argv"] == ["sh", "-c", "psql \"$DATABASE_URL\" -c 'DROP TABLE reco_tmp'"]
    assert yaml.safe_load(target.read_text())["applies_to"] == {"services": ["recommendations"]}
    assert list(steps).index("tell-the-team-reco-channel-the-table-is-gone") == list(steps).index("drop-the-temporary-table") + 1
