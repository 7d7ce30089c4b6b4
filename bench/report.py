"""Goals, the readable table and the JSON line."""

from __future__ import annotations

import json
import math
import operator
from typing import Any

from bench.load import DeclareRun
from bench.stats import ms_summary

OPS = {">=": operator.ge, "<=": operator.le, "<": operator.lt, "==": operator.eq}

# name -> (comparison, target, what it means)
GOALS: dict[str, tuple[str, float, str]] = {
    "list_throughput_ratio": (">=", 0.8, "Warroom /incident list req/s vs bare Bolt"),
    "list_p99_ratio": ("<=", 1.5, "Warroom /incident list p99 vs bare Bolt"),
    "declare_ack_p99_ms": ("<", 100.0, "declare ack p99 at 20/s"),
    "declares_not_completed": ("==", 0, "declares sent without an 'INC-n declared' reply"),
    "errors": ("==", 0, "failed requests (HTTP error, refused, timed out)"),
    "contract_violations": ("==", 0, "Slack contract violations seen by the fake"),
}


def declare_summary(run: DeclareRun) -> dict[str, Any]:
    """Counts and ack/flow latencies of the declare phase."""
    acks = [d.ack for d in run.declares if d.ack is not None]
    flows = [d.reply_at - d.sent_at for d in run.declares if d.completed and d.reply_at is not None]
    other = [d.reply_text[:100] for d in run.declares if d.reply_at is not None and not d.completed]
    return {
        "sent": len(run.declares), "acked": len(acks), "completed": len(flows),
        "errors": sum(1 for d in run.declares if d.error), "other_replies": other[:3],
        "send_seconds": round(run.send_elapsed, 2), "drain_timed_out": run.drain_timed_out,
        "ack": ms_summary(acks), "flow": ms_summary(flows),
    }


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b and not math.isnan(a) and not math.isnan(b) else math.nan


def evaluate(bare: dict[str, Any], wr: dict[str, Any], declare: dict[str, Any],
             violations: int) -> dict[str, dict[str, Any]]:
    """{goal: {value, op, target, pass}}; NaN never passes."""
    values = {
        "list_throughput_ratio": _ratio(wr["rps"], bare["rps"]),
        "list_p99_ratio": _ratio(wr["p99_ms"], bare["p99_ms"]),
        "declare_ack_p99_ms": declare["ack"]["p99_ms"],
        "declares_not_completed": declare["sent"] - declare["completed"],
        "errors": bare["errors"] + wr["errors"] + declare["errors"],
        "contract_violations": violations,
    }
    out = {}
    for name, (op, target, _what) in GOALS.items():
        value = values[name]
        ok = not (isinstance(value, float) and math.isnan(value)) and OPS[op](value, target)
        out[name] = {"value": value, "op": op, "target": target, "pass": bool(ok)}
    return out


def render(result: dict[str, Any]) -> str:
    """The human-readable table."""
    cfg, bare, wr, dec = result["config"], result["bare_list"], result["warroom_list"], result["declare"]
    lines = [
        f"Warroom benchmark: database={cfg['database']} concurrency={cfg['concurrency']} "
        f"phase={cfg['duration']}s warm-up={cfg['warmup']}s fake Slack latency={cfg['slack_latency_ms']}ms",
        "",
        "Phase A: /incident list, closed loop (ack = HTTP response)",
        f"  {'app':<12}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for label, s in (("bare Bolt", bare), ("Warroom", wr)):
        lines.append(f"  {label:<12}{s['count']:>10}{s['errors']:>8}{s['rps']:>10.1f}"
                     f"{s['p50_ms']:>10.2f}{s['p99_ms']:>10.2f}{s['max_ms']:>10.2f}")
    lines += [
        "",
        f"Phase B: /incident declare, open loop {cfg['declare_rate']}/s for {cfg['duration']}s "
        f"(sent over {dec['send_seconds']}s)",
        f"  sent {dec['sent']}  acked {dec['acked']}  completed {dec['completed']}  errors {dec['errors']}"
        f"  drain timed out: {'yes' if dec['drain_timed_out'] else 'no'}",
        f"  {'':<12}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
        f"  {'ack':<12}{dec['ack']['p50_ms']:>10.2f}{dec['ack']['p99_ms']:>10.2f}{dec['ack']['max_ms']:>10.2f}",
        f"  {'whole flow':<12}{dec['flow']['p50_ms']:>10.2f}{dec['flow']['p99_ms']:>10.2f}"
        f"{dec['flow']['max_ms']:>10.2f}",
    ]
    if dec["other_replies"]:
        lines.append(f"  other replies, e.g.: {dec['other_replies']}")
    lines += ["", f"  contract violations: {result['contract_violations']}", "", "Goals"]
    for name, g in result["goals"].items():
        lines.append(f"  {'PASS' if g['pass'] else 'MISS'}  {name:<24}{g['value']!s:>10} {g['op']} {g['target']:<8}"
                     f"  {GOALS[name][2]}")
    lines.append(f"\nOverall: {'PASS' if result['pass'] else 'MISS'}  (total {result['seconds']}s)")
    return "\n".join(lines)


def json_line(result: dict[str, Any]) -> str:
    """One line of JSON (NaN written as null)."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    return json.dumps(clean(result), sort_keys=False, separators=(",", ":"))
