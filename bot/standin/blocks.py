"""Block Kit limits from the shared README table, checked on plain dicts.

slack_sdk validates only model objects (the bot sends plain dicts, unchecked) and misses a few
limits even then (50 blocks per message, section field 2000, option text/value given as dicts,
empty plain_text), so every limit is checked here by hand and the SDK models are run on top as a
second opinion (unknown block types, SlackObjectFormationError).
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
ID_MAX = 255  # action_id, block_id, callback_id (and external_id)
SECTION_TEXT, FIELDS_MAX, FIELD_TEXT, HEADER_TEXT = 3000, 10, 2000, 150
ACTIONS_ELEMENTS, CONTEXT_ELEMENTS = 25, 10
BUTTON_TEXT, BUTTON_VALUE, BUTTON_URL = 75, 2000, 3000
OPTIONS_MAX, OPTION_TEXT, OPTION_VALUE = 100, 75, 150
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
VIEW_TEXT, PRIVATE_METADATA = 24, 3000
TEXT_TYPES = ("plain_text", "mrkdwn")


def decode_json(value: Any, what: str, violations: list[str]) -> Any:
    """Form/query encoding carries blocks and views as JSON strings; decode them once."""
    if isinstance(value, (bytes, str)):
        try:
            return json.loads(value)
        except ValueError:
            violations.append(f"{what}: not valid JSON")
            return None
    return value


def _text(obj: Any) -> str:
    # Text objects are dicts; a few SDK-accepted shortcuts are bare strings.
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    return "" if obj is None else str(obj)


def _limit(out: list[str], path: str, obj: Any, limit: int, what: str) -> None:
    if obj is None:
        return
    n = len(_text(obj)) if isinstance(obj, dict) else len(str(obj))
    if n > limit:
        out.append(f"{path}: {what} is {n} chars (max {limit})")


def _walk_text_objects(node: Any, path: str, out: list[str]) -> None:
    """Slack rejects an empty text object anywhere in a payload ("must be more than 0 chars")."""
    if isinstance(node, dict):
        if node.get("type") in TEXT_TYPES and not str(node.get("text") or "").strip():
            out.append(f"{path}: empty {node.get('type')} text")
        for key, value in node.items():
            _walk_text_objects(value, f"{path}.{key}", out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk_text_objects(value, f"{path}[{i}]", out)


def _check_confirm(confirm: Any, path: str, out: list[str]) -> None:
    if isinstance(confirm, dict):
        for key, limit in CONFIRM_LIMITS.items():
            _limit(out, f"{path}.{key}", confirm.get(key), limit, f"confirm {key}")


def _check_options(options: Any, path: str, out: list[str]) -> None:
    if not isinstance(options, list):
        return
    if len(options) > OPTIONS_MAX:
        out.append(f"{path}: {len(options)} options (max {OPTIONS_MAX})")
    for i, option in enumerate(options):
        _check_option(option, f"{path}[{i}]", out)


def _check_option(option: Any, path: str, out: list[str]) -> None:
    if isinstance(option, dict):
        _limit(out, f"{path}.text", option.get("text"), OPTION_TEXT, "option text")
        _limit(out, f"{path}.value", option.get("value"), OPTION_VALUE, "option value")


def check_element(element: Any, path: str, out: list[str]) -> None:
    """Check one interactive element (button, selects, overflow, inputs...)."""
    if not isinstance(element, dict):
        out.append(f"{path}: element is not an object")
        return
    _limit(out, f"{path}.action_id", element.get("action_id"), ID_MAX, "action_id")
    if element.get("type") == "button":
        _limit(out, f"{path}.text", element.get("text"), BUTTON_TEXT, "button text")
        _limit(out, f"{path}.value", element.get("value"), BUTTON_VALUE, "button value")
        _limit(out, f"{path}.url", element.get("url"), BUTTON_URL, "button url")
    _check_options(element.get("options"), f"{path}.options", out)
    groups = element.get("option_groups")
    if isinstance(groups, list):
        if len(groups) > OPTIONS_MAX:
            out.append(f"{path}.option_groups: {len(groups)} groups (max {OPTIONS_MAX})")
        for i, group in enumerate(groups):
            if isinstance(group, dict):
                _check_options(group.get("options"), f"{path}.option_groups[{i}].options", out)
    _check_option(element.get("initial_option"), f"{path}.initial_option", out)
    for i, option in enumerate(element.get("initial_options") or []):
        _check_option(option, f"{path}.initial_options[{i}]", out)
    _check_confirm(element.get("confirm"), f"{path}.confirm", out)


def _elements_of(block: dict) -> list[tuple[str, Any]]:
    """(path suffix, element) for every interactive element a block carries."""
    found: list[tuple[str, Any]] = []
    if block.get("type") in ("actions", "context"):
        for i, element in enumerate(block.get("elements") or []):
            if block["type"] == "actions" or (isinstance(element, dict) and "action_id" in element):
                found.append((f"elements[{i}]", element))
    if isinstance(block.get("accessory"), dict):
        found.append(("accessory", block["accessory"]))
    if isinstance(block.get("element"), dict):
        found.append(("element", block["element"]))
    return found


def _check_block(block: dict, path: str, surface: str, out: list[str]) -> None:
    kind = block.get("type")
    _limit(out, f"{path}.block_id", block.get("block_id"), ID_MAX, "block_id")
    if kind == "section":
        _limit(out, f"{path}.text", block.get("text"), SECTION_TEXT, "section text")
        fields = block.get("fields") or []
        if len(fields) > FIELDS_MAX:
            out.append(f"{path}.fields: {len(fields)} fields (max {FIELDS_MAX})")
        for i, field in enumerate(fields):
            _limit(out, f"{path}.fields[{i}]", field, FIELD_TEXT, "section field")
    elif kind == "header":
        _limit(out, f"{path}.text", block.get("text"), HEADER_TEXT, "header text")
    elif kind == "actions" and len(block.get("elements") or []) > ACTIONS_ELEMENTS:
        out.append(f"{path}.elements: {len(block['elements'])} elements (max {ACTIONS_ELEMENTS})")
    elif kind == "context" and len(block.get("elements") or []) > CONTEXT_ELEMENTS:
        out.append(f"{path}.elements: {len(block['elements'])} elements (max {CONTEXT_ELEMENTS})")
    elif kind == "input" and surface == "home":
        out.append(f"{path}: input blocks are not allowed on the Home tab")
    seen_actions: set[str] = set()
    for suffix, element in _elements_of(block):
        check_element(element, f"{path}.{suffix}", out)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None:
            if action_id in seen_actions:
                out.append(f"{path}: duplicate action_id {action_id!r} in one block")
            seen_actions.add(action_id)


def _sdk_check_block(block: dict, path: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{path}: unknown block type {block.get('type')!r}"]
        parsed.to_dict()  # runs the SDK's @JsonValidator limits
    except SlackObjectFormationError as e:
        return [f"{path}: slack_sdk rejects the block: {e}"]
    except Exception as e:  # noqa: BLE001 - malformed dicts blow up in many ways inside models
        return [f"{path}: slack_sdk cannot build the block: {type(e).__name__}: {e}"]
    return []


def check_blocks(blocks: Any, surface: str = "message", where: str = "blocks") -> list[str]:
    """Every README Block Kit limit for a ``blocks`` array on a message, modal or Home tab."""
    out: list[str] = []
    blocks = decode_json(blocks, where, out)
    if blocks is None:
        return out
    if not isinstance(blocks, list):
        return out + [f"{where}: must be an array, got {type(blocks).__name__}"]
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        out.append(f"{where}: {len(blocks)} blocks on a {surface} (max {limit})")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        path = f"{where}[{i}]"
        if not isinstance(block, dict) or "type" not in block:
            out.append(f"{path}: a block must be an object with a type")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                out.append(f"{path}: duplicate block_id {block_id!r}")
            seen_ids.add(block_id)
        mine: list[str] = []
        _check_block(block, path, surface, mine)
        _walk_text_objects(block, path, mine)
        # The SDK's opinion only adds news: it repeats most limits checked above.
        out.extend(mine or _sdk_check_block(block, path))
    return out


def check_view(view: Any, where: str = "view") -> list[str]:
    """Limits for a modal or Home tab view, its blocks included."""
    out: list[str] = []
    view = decode_json(view, where, out)
    if view is None:
        return out
    if not isinstance(view, dict):
        return out + [f"{where}: must be an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return out + [f"{where}.type: must be 'modal' or 'home', got {kind!r}"]
    if kind == "modal":
        if view.get("title") is None:
            out.append(f"{where}.title: a modal needs a title")
        for key in ("title", "submit", "close"):
            _limit(out, f"{where}.{key}", view.get(key), VIEW_TEXT, f"modal {key}")
        has_input = any(isinstance(b, dict) and b.get("type") == "input"
                        for b in view.get("blocks") or [])
        if has_input and view.get("submit") is None:
            out.append(f"{where}.submit: a modal with input blocks needs a submit button")
    _limit(out, f"{where}.private_metadata", view.get("private_metadata"),
           PRIVATE_METADATA, "private_metadata")
    for key in ("callback_id", "external_id"):
        _limit(out, f"{where}.{key}", view.get(key), ID_MAX, key)
    top = {k: v for k, v in view.items() if k != "blocks"}
    _walk_text_objects(top, where, out)
    out.extend(check_blocks(view.get("blocks") or [], kind, f"{where}.blocks"))
    if not out:
        try:
            View(**view).to_dict()
        except SlackObjectFormationError as e:
            out.append(f"{where}: slack_sdk rejects the view: {e}")
        except Exception as e:  # noqa: BLE001 - see _sdk_check_block
            out.append(f"{where}: slack_sdk cannot build the view: {type(e).__name__}: {e}")
    return out
