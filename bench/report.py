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


def _ms(s: dict[str, Any]) -> str:
    return f"{s['p50_ms']:>10.2f}{s['p99_ms']:>10.2f}{s['max_ms']:>10.2f}"


def _ms_row(label: str, s: dict[str, Any]) -> str:
    return f"  {label:<12}{_ms(s)}"


def render(result: dict[str, Any]) -> str:
    """The human-readable table."""
    cfg, dec = result["config"], result["declare"]
    lines = [
        (f"Warroom benchmark: database={cfg['database']} concurrency={cfg['concurrency']} "
         f"phase={cfg['duration']}s warm-up={cfg['warmup']}s "
         f"fake Slack latency={cfg['slack_latency_ms']}ms"),
        "",
        "Phase A: /incident list, closed loop (ack = HTTP response)",
        f"  {'app':<12}{'requests':>10}{'errors':>8}{'req/s':>10}"
        + f"{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for label, s in (("bare Bolt", result["bare_list"]), ("Warroom", result["warroom_list"])):
        lines.append(f"  {label:<12}{s['count']:>10}{s['errors']:>8}{s['rps']:>10.1f}"
                     + _ms(s))
    drained = "yes" if dec["drain_timed_out"] else "no"
    lines += [
        "",
        (f"Phase B: /incident declare, open loop {cfg['declare_rate']}/s for {cfg['duration']}s "
         f"(sent over {dec['send_seconds']}s)"),
        (f"  sent {dec['sent']}  acked {dec['acked']}  completed {dec['completed']}  "
         f"errors {dec['errors']}  drain timed out: {drained}"),
        f"  {'':<12}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
        _ms_row("ack", dec["ack"]),
        _ms_row("whole flow", dec["flow"]),
    ]
    if dec["other_replies"]:
        lines.append(f"  other replies, e.g.: {dec['other_replies']}")
    gc_ = result["gc"]
    lines += [
        "",
        f"  contract violations: {result['contract_violations']}",
        (f"  full GC pauses during the run: {gc_['gen2_collections']}, longest "
         f"{gc_['gen2_max_ms']} ms (the whole process stops, every app and client in it)"),
        "",
        "Goals",
    ]
    for name, g in result["goals"].items():
        verdict = "PASS" if g["pass"] else "MISS"
        lines.append(f"  {verdict}  {name:<24}{g['value']!s:>10} {g['op']} {g['target']!s:<6}"
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
