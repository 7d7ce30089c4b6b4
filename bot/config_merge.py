"""Merge a team's `warroom.yaml` into the shipped defaults key by key.

- A mapping merges into the default mapping, key by key, at every depth.
- A list of entries with an `id` (severities, roles, lifecycle statuses, rotations) merges by id:
  an entry naming a default's id changes only the keys it gives, a new id is added at the end, and
  `{id: SEV0, remove: true}` drops a default entry.
- Anything else (a string, a number, a plain list such as `aliases` or `escalation`) replaces the
  default.
"""

from __future__ import annotations

from typing import Any

REMOVE = "remove"


def _is_entry_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "id" in v for v in value)


def _merge_entries(defaults: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = {str(entry["id"]): entry for entry in defaults}
    for entry in theirs:
        key = str(entry["id"])
        if entry.get(REMOVE) is True:
            merged.pop(key, None)
            continue
        merged[key] = merge_config(merged[key], entry) if key in merged else entry
    return list(merged.values())


def merge_config(defaults: Any, theirs: Any) -> Any:
    """`theirs` laid over `defaults` as the module docstring says; invalid shapes pass through to validation."""
    if isinstance(defaults, dict) and isinstance(theirs, dict):
        return {**defaults, **{k: merge_config(defaults[k], v) if k in defaults else v for k, v in theirs.items()}}
    if _is_entry_list(defaults) and isinstance(theirs, list) and all(isinstance(v, dict) and "id" in v for v in theirs):
        return _merge_entries(defaults, theirs)
    return theirs


def entry_ids(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` with each list index that points at an entry with an id replaced by that id (for errors)."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
            out.append(node["id"] if isinstance(node, dict) and "id" in node else part)
            continue
        out.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(out)
