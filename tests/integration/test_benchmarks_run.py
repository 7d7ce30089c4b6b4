"""The benchmarks stay runnable (their goals are checked by running them, not here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _last_json_line(stdout: str) -> dict[str, object]:
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def test_the_ack_benchmark_runs_and_reports_every_goal() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--duration", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    report = _last_json_line(out.stdout)
    assert set(report["goals"]) >= {"list_throughput_ratio", "list_p99_ratio", "declare_ack_p99_ms"}  # type: ignore[arg-type]
    assert report["contract_violations"] == 0


def test_the_export_benchmark_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.export", "--entries", "300", "--runs", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    report = _last_json_line(out.stdout)
    assert report["entries"] == 300 and report["md"]["bytes"] > 0  # type: ignore[index]


def test_the_timer_benchmark_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.timers", "--incidents", "20", "--spread", "1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=180, check=True)
    report = _last_json_line(out.stdout)
    assert report["sent"] == 40 and report["pending_at_start"] >= 60  # 100 unless a slow seed let some fall due


def test_the_mixed_load_benchmark_runs_every_kind_without_errors() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.mixed", "--quick", "--duration", "3", "--rate", "20"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180, check=True)
    report = _last_json_line(out.stdout)
    assert set(report["goals"]) == {"ack_p50_ms", "ack_p99_ms", "ack_p99_ratio", "errors", "not_completed",  # type: ignore[arg-type]
                                    "memory_growth_pct"}
    ratio = report["goals"]["ack_p99_ratio"]  # type: ignore[index]
    assert ratio["value"] == report["ratios"]["overall"]["p99"] and ratio["target"] == 2.0  # type: ignore[index]
    kinds = report["warroom"]["kinds"]  # type: ignore[index]
    assert {kind: kinds[kind]["count"] > 0 for kind in kinds} == dict.fromkeys(kinds, True)
    assert set(report["ratios"]) == {"overall", *kinds}  # type: ignore[arg-type]
    assert report["errors"]["total"] == 0, report["error_examples"]  # type: ignore[index]
    assert report["background"]["slack_calls"] > 0 and report["memory"]["samples"] >= 2  # type: ignore[index]


def test_the_alert_storm_benchmark_runs_and_opens_one_incident_or_triage_message_per_group() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.alerts", "--alerts", "60", "--groups", "6", "--critical", "2",
                          "--spread", "1"], cwd=ROOT, capture_output=True, text=True, timeout=180, check=True)
    report = _last_json_line(out.stdout)
    assert (report["incidents_created"], report["triage_messages"], report["duplicates"]) == (2, 4, 0)
    assert report["alerts_recorded"] == 60 and report["alerts_on_incident_timelines"] == 20
    assert report["errors"] == 0 and report["contract_violations"] == 0
    assert report["busiest_channel_calls_in_1s"] <= 5  # Slack's pace: a burst of 4, then one a second


def test_the_insights_benchmark_runs_app_home_and_every_kpi_period() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.insights", "--home-incidents", "200", "--opens", "3",
                          "--kpi-incidents", "600", "--runs", "1"], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, check=True)
    report = _last_json_line(out.stdout)
    assert set(report["goals"]) == {"home_p95_ms_cold", "kpi_max_s", "contract_violations"}  # type: ignore[arg-type]
    assert report["home"]["violations"] == 0 and report["home"]["blocks"] > 10  # type: ignore[index]
    periods = report["kpis"]["periods"]  # type: ignore[index]
    assert list(periods) == ["30d", "90d", "365d"] and periods["365d"]["incidents"] == 120
