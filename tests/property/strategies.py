"""Hypothesis strategies for untrusted Slack input: junk, and near-valid payloads mutated from Slack's shapes."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

SHAPES = Path(__file__).resolve().parents[3] / "shared" / "slack" / "payload-shapes"
# Pure functions: 2,000 examples each in CI (derandomized, so every run covers the same inputs). At
# 10,000 these parsers alone took 2.5 minutes of one worker and pushed the suite past its 10-minute
# budget; WARROOM_PROPERTY_EXAMPLES=10000 (or more) runs the deep version.
PARSER_RUNS = settings(max_examples=int(os.environ.get("WARROOM_PROPERTY_EXAMPLES", "2000")), deadline=None, database=None, derandomize=True)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40))
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=8,
)
# st.from_regex is slow at 10,000 examples: near-valid text is built from small alphabets instead.
digit_text = st.text(alphabet="0123456789", min_size=1, max_size=30)
digits = st.one_of(digit_text, st.sampled_from(["²", "٣", "𝟗", "1_000", "-1", "0", " 7", "4" * 5000]))


def joined(*parts: st.SearchStrategy[str], sep: str = "") -> st.SearchStrategy[str]:
    """Near-valid text: the parts drawn and joined."""
    return st.tuples(*parts).map(sep.join)


def shape(name: str, *keys: str) -> dict[str, Any]:
    """One of Slack's payload shapes from ../shared/slack/payload-shapes (only `keys`, to keep mutation cheap)."""
    data = json.loads((SHAPES / f"{name}.json").read_text(encoding="utf-8"))
    return {k: data[k] for k in keys} if keys else data


def mutated(base: Any, replacement: st.SearchStrategy[Any] = json_values) -> st.SearchStrategy[Any]:
    """`base` with one value somewhere inside replaced by anything (or its key removed)."""
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, inner in items:
            walk(inner, (*path, key))

    walk(base, ())

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        data = copy.deepcopy(base)
        path = draw(st.sampled_from(paths))
        if not path:
            return draw(replacement)
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(replacement)
        return data

    return build()
