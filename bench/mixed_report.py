"""The mixed load's goals, ratios to the bare Bolt app, and its table."""

from __future__ import annotations

import math
from typing import Any

from bench.mixed_pool import KINDS
from bench.report import OPS

# name -> (comparison, target, what it means)
GOALS: dict[str, tuple[str, float, str]] = {
    "ack_p50_ms": ("<", 100.0, "Warroom ack p50, all kinds"),
    "ack_p99_ms": ("<", 100.0, "Warroom ack p99, all kinds"),
    "ack_p99_ratio": ("<=", 2.0, "Warroom ack p99 ÷ the bare app's, all kinds (same run, rate and mix)"),
    "errors": ("==", 0, "failed requests, odd acks, error replies, refused calls, contract violations"),
    "not_completed": ("==", 0, "requests unacked, replies missing, declares without a card"),
    "memory_growth_pct": ("<", 10.0, "RSS growth over the measured phase, less the stand-in's"),
}


def ratio(a: float | None, b: float | None) -> float:
    """a / b, NaN when either is missing."""
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return math.nan
    return round(a / b, 3)


def ratios(warroom: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """Warroom's ack p50/p99 ÷ the bare app's, overall and per kind."""
    pairs = {"overall": (warroom["overall"], bare["overall"]),
             **{k: (warroom["kinds"][k], bare["kinds"][k]) for k in KINDS}}
    return {name: {"p50": ratio(w["p50_ms"], b["p50_ms"]), "p99": ratio(w["p99_ms"], b["p99_ms"])}
            for name, (w, b) in pairs.items()}


def error_counts(warroom: dict[str, Any], slack: dict[str, Any], violations: int) -> dict[str, int]:
    """Every way a request can go wrong, counted once each."""
    counts = {
        "failed_requests": warroom["overall"]["errors"], "odd_acks": warroom["bad_acks"],
        "error_replies": slack["error_replies"], "unexpected_replies": slack["unexpected_replies"],
        "refused_calls": sum(slack["refused_calls"].values()), "contract_violations": violations,
    }
    return {**counts, "total": sum(counts.values())}


def evaluate(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{goal: {value, op, target, pass}}; NaN or a missing value never passes."""
    w, slack = result["warroom"]["overall"], result["slack"]
    values = {
        "ack_p50_ms": w["p50_ms"], "ack_p99_ms": w["p99_ms"], "ack_p99_ratio": result["ratios"]["overall"]["p99"],
        "errors": result["errors"]["total"],
        "not_completed": (w["sent"] - w["count"] - w["errors"]) + slack["replies_missing"]
        + slack["declares_without_card"],
        "memory_growth_pct": result["memory"]["growth_pct"],
    }
    out = {}
    for name, (op, target, _what) in GOALS.items():
        value = values[name]
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        out[name] = {"value": value, "op": op, "target": target, "pass": bool(not missing and OPS[op](value, target))}
    return out


def _row(label: str, s: dict[str, Any], r: dict[str, Any] | None = None) -> str:
    ratio_cells = f"{r['p50']!s:>8}{r['p99']!s:>8}" if r else ""
    return (f"  {label:<9}{s['sent']:>7}{s['count']:>7}{s['errors']:>6}{s['rps']:>8.1f}"
            f"{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}{s['max_ms']:>9.2f}{ratio_cells}")


def render(result: dict[str, Any]) -> str:
    """The human-readable table."""
    cfg, w, b, r = result["config"], result["warroom"], result["bare"], result["ratios"]
    head = (f"  {'kind':<9}{'sent':>7}{'acked':>7}{'fail':>6}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    lines = [
        (f"Warroom mixed load: database={cfg['database']} {cfg['rate']}/s open loop for {cfg['duration']}s "
         f"(warm-up {cfg['warmup']}s), pool cap {cfg['pool_cap']}, fake Slack latency {cfg['slack_latency_ms']}ms"),
        "  mix: " + ", ".join(f"{k} {v:.0%}" for k, v in cfg["weights"].items())
        + f"; timer poll {cfg['timer_poll_seconds']}s; machine: {result['machine']['cpus']} CPUs, load average "
        f"{result['machine']['loadavg_1m_before']} before, {result['machine']['loadavg_1m_after']} after",
        "", "Warroom (ack = HTTP response; ratio = Warroom ÷ bare Bolt at the same rate and mix)",
        head + f"{'÷p50':>8}{'÷p99':>8}",
    ]
    lines += [_row(k, w["kinds"][k], r[k]) for k in KINDS] + [_row("all", w["overall"], r["overall"])]
    lines += ["", "Bare Bolt app (ack only)", head]
    lines += [_row(k, b["kinds"][k]) for k in KINDS] + [_row("all", b["overall"])]
    e, m, bg, slack = result["errors"], result["memory"], result["background"], result["slack"]
    lines += [
        "", "Errors: " + ", ".join(f"{k} {v}" for k, v in e.items()),
        *(f"  e.g. {x}" for x in result["error_examples"]),
        (f"Memory (VmRSS every {cfg['rss_interval']}s over the measured phase): start {m['start_mb']} MB, "
         f"end {m['end_mb']} MB, max {m['max_mb']} MB, growth {m['raw_growth_pct']} %; less the stand-in's "
         f"workspace (+{m['standin_growth_mb']} MB, estimated): {m['growth_pct']} %"),
        (f"Background: {bg['slack_calls']} Slack calls in the measured phase "
         f"({bg['slack_calls_per_s']}/s; {', '.join(f'{k} {v}' for k, v in bg['by_method'].items())})"),
        (f"  at the end of sending: {bg['in_flight_at_end']} listeners still working, {bg['replies_pending_at_end']} "
         f"replies pending; idle after {bg['drain_seconds']}s (timed out: {bg['drain_timed_out']}), "
         f"{bg['slack_calls_while_draining']} Slack calls meanwhile"),
        (f"  incidents: {bg['declared']} declared, {bg['resolved']} resolved by the load, {bg['pool_open']} in the "
         f"pool; replies missing {slack['replies_missing']}, declares without a card {slack['declares_without_card']}"),
        (f"  stand-in holds {result['standin']['channels']} channels, {result['standin']['messages']} messages; "
         f"full GC pauses {result['gc']['gen2_collections']}, longest {result['gc']['gen2_max_ms']} ms"),
        "  warnings and errors logged (whole run, shutdown included): " + (", ".join(f"{k} {v}" for k, v in result["logs"]["counts"].items())
                                             or "none"),
        *(f"    e.g. {x}" for x in result["logs"]["examples"]),
        "", "Goals",
    ]
    for name, g in result["goals"].items():
        verdict = "PASS" if g["pass"] else "MISS"
        lines.append(f"  {verdict}  {name:<20}{g['value']!s:>10} {g['op']} {g['target']!s:<6}  {GOALS[name][2]}")
    lines.append(f"\nOverall: {'PASS' if result['pass'] else 'MISS'}  (total {result['seconds']}s)")
    return "\n".join(lines)
