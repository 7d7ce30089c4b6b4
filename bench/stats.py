"""Latency samples and their summaries (milliseconds, requests per second)."""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Sample:
    """What one load phase saw: latencies (seconds) of good requests, errors, wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    first_body: str = ""  # one response body, to check the target answered what we think

    def summary(self) -> dict[str, Any]:
        """count, errors, rps, p50/p99/max in ms."""
        ms = [x * 1000 for x in self.latencies]
        return {
            "count": len(ms),
            "errors": self.errors,
            "rps": round(len(ms) / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(percentile(ms, 50), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2) if ms else math.nan,
        }


def ms_summary(seconds: list[float]) -> dict[str, float]:
    """p50/p99/max in ms of a list of durations in seconds."""
    ms = [x * 1000 for x in seconds]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else math.nan,
    }


class GcPauses:
    """Records how long each full (generation 2) garbage collection stopped the process."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> Self:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)

    def summary(self) -> dict[str, Any]:
        """How many full collections, and the longest, in ms."""
        longest = round(max(self.pauses) * 1000, 1) if self.pauses else 0.0
        return {"gen2_collections": len(self.pauses), "gen2_max_ms": longest}


def finish(result: Mapping[str, Any], goals: dict[str, bool], check: bool) -> int:
    """Print each goal, PASS or MISS, then the result and its goals as one line of JSON; the exit code
    (1 when `check` and a goal is missed)."""
    for goal, ok in goals.items():
        print(f"  {'PASS' if ok else 'MISS'}  {goal}")
    print(json.dumps({**result, "goals": goals}))
    return 0 if all(goals.values()) or not check else 1
