"""`warroom report` run as a user runs it, on a SQLite database written through the real services
(tests/report_seed.py lists the incidents and the numbers below come from it)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_processes import env_for
from tests.report_seed import PERIOD, seed_report_database

MIN = 60.0


async def _run(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "report", *args, env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
async def seeded(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose database holds the seeded February."""
    await seed_report_database(f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}")
    return env_for(DATABASE_URL=f"sqlite:///{tmp_path / 'warroom.db'}")


def _times(key: str, count: int, ack: tuple[float, float] | None, fix: tuple[float, float] | None,
           **extra: Any) -> dict[str, Any]:
    return {"key": key, **extra, "count": count,
            "mtta_median_s": ack and ack[0] * MIN, "mtta_p90_s": ack and ack[1] * MIN,
            "mttr_median_s": fix and fix[0] * MIN, "mttr_p90_s": fix and fix[1] * MIN}


async def test_the_json_report_of_one_workspace_holds_the_numbers_of_its_incidents(
    seeded: dict[str, str], tmp_path: Path,
) -> None:
    code, out, err = await _run("--since", PERIOD, "--format", "json", "--team", "T1", env=seeded, cwd=tmp_path)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == {"since": "2026-02-01T00:00:00+00:00", "until": "2026-03-01T00:00:00+00:00",
                             "label": "2026-02-01 to 2026-02-28"}
    assert doc["teams"] == ["T1"] and doc["class"] is None
    incidents = doc["incidents"]
    assert (incidents["total"], incidents["resolved"]) == (3, 2)  # INC-1 (January) is only read for recurrence
    assert incidents["with_root_cause"] == 1  # INC-2's review names its root cause, INC-3's does not
    # Acks 5, 15, 10 -> median 10, p90 15; fixes 60, 120 (INC-4 open) -> median 90, p90 120.
    assert incidents["all"] == _times("all", 3, (10, 15), (90, 120))
    assert incidents["by_class"] == [
        _times("queue-failure", 2, (10, 15), (90, 120), label="Queue failure"),
        _times("audit-failure", 1, (10, 10), None, label="Audit failure"),
    ]
    assert incidents["by_severity"] == [_times("SEV1", 1, (5, 5), (60, 60)), _times("SEV2", 2, (12.5, 15), (120, 120))]
    assert [(s["key"], s["count"]) for s in incidents["by_service"]] == [("imports", 2), ("banking", 1)]
    assert doc["recurrence"]["by_class"] == [  # INC-3 seven days after INC-2; INC-4 27 days after January's INC-1
        {"key": "queue-failure", "label": "Queue failure", "count": 2, "recurring": 1, "rate": 0.5},
        {"key": "audit-failure", "label": "Audit failure", "count": 1, "recurring": 1, "rate": 1.0},
    ]
    # The shipped library's runbooks say they cover both classes (applies_to.classes), as the bot loads them.
    assert doc["runbook_coverage"] == {"incidents": 3, "with_runbook": 1, "with_step_run": 1, "incident_share": 0.3333,
                                       "top_classes": ["queue-failure", "audit-failure"],
                                       "covered_classes": ["queue-failure", "audit-failure"], "class_share": 1.0,
                                       "top_alerts": [], "alert_share": 0.0}  # no alert opened one
    assert doc["followups_by_month"] == [{"month": "2026-02", "created": 2, "done": 1, "open": 1, "overdue": 1}]
    assert [(w["week_start"], w["incidents"], w["recurring"], w["with_step_run"], w["followups_created"],
             w["followups_done"]) for w in doc["weekly"]] == [
        ("2026-01-26", 0, 0, 0, 0, 0), ("2026-02-02", 1, 0, 1, 1, 0), ("2026-02-09", 1, 1, 0, 1, 1),
        ("2026-02-16", 1, 1, 0, 0, 0), ("2026-02-23", 0, 0, 0, 0, 0)]


async def test_every_workspace_by_default_one_class_when_asked_and_html_written_to_a_file(
    seeded: dict[str, str], tmp_path: Path,
) -> None:
    (every, every_out, _), (one, one_out, _), (html, html_out, html_err) = await asyncio.gather(
        _run("--since", PERIOD, "--format", "json", env=seeded, cwd=tmp_path),
        _run("--since", PERIOD, "--format", "json", "--class", "Queue failure", env=seeded, cwd=tmp_path),
        _run("--since", PERIOD, "--out", str(tmp_path / "review.html"), env=seeded, cwd=tmp_path))
    assert (every, one, html) == (0, 0, 0)
    all_teams = json.loads(every_out)
    assert all_teams["teams"] == ["T1", "T2"] and all_teams["incidents"]["total"] == 4
    # Both follow-ups belong to T1's queue failures (one still open, created in February: overdue by now).
    february = [{"month": "2026-02", "created": 2, "done": 1, "open": 1, "overdue": 1}]
    assert all_teams["followups_by_month"] == february
    queue = json.loads(one_out)
    assert queue["class"] == "queue-failure" and queue["incidents"]["total"] == 2
    assert [r["key"] for r in queue["recurrence"]["by_class"]] == ["queue-failure"]
    assert queue["followups_by_month"] == february
    assert html_out == "" and html_err == "report written to {}: 4 incidents, 2026-02-01 to 2026-02-28\n".format(
        tmp_path / "review.html")
    page = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Queue failure" in page


@pytest.mark.parametrize(("args", "database", "message"), [
    (("--since", "90 days"), None, "warroom: --since '90 days': Give a period like `24h`, `7d`"),
    (("--since", "2026-03-31..2026-01-01"), None,
     "warroom: --since '2026-03-31..2026-01-01': `2026-03-31..2026-01-01` ends before it starts"),
    (("--format", "pdf"), None, "warroom: Unknown report format 'pdf': use --format html, md, json."),
    (("--out", "/nonexistent/dir/review.html"), None,
     "warroom: Cannot write /nonexistent/dir/review.html: No such file or directory; give --out a writable path."),
    (("--class", "flaky-tests"), None, "warroom: --class: `flaky-tests` is not an incident class. Valid classes: "),
    # The message is written for Slack (which shows &amp; as &); the terminal gets the characters typed.
    (("--class", "R&D <x>"), None, "warroom: --class: `R&D <x>` is not an incident class. Valid classes: "),
    ((), "postgresql://postgres@127.0.0.1:1/none",
     "warroom: Cannot reach the database (ConnectionRefusedError): check DATABASE_URL"),
    ((), "sqlite:////nonexistent/dir/warroom.db",
     "warroom: Cannot reach the database (OperationalError: unable to open database file): check DATABASE_URL"),
])
async def test_a_wrong_argument_or_database_is_one_line_saying_what_to_fix(
    tmp_path: Path, args: tuple[str, ...], database: str | None, message: str,
) -> None:
    env = env_for(DATABASE_URL=database or f"sqlite:///{tmp_path / 'warroom.db'}")
    code, out, err = await _run(*args, env=env, cwd=tmp_path)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(message), err
