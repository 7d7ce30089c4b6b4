"""What Slack puts in a payload when a person uses a Block Kit element: actions and view state.

The sandbox page says only *which* element was used and what was chosen (a button, an option
value, a user id); these functions turn that into the ``actions[]`` entry of a ``block_actions``
payload and the ``view.state.values`` of a ``view_submission``, in Slack's shapes.
"""

from __future__ import annotations

from typing import Any

SELECTED_KEY = {  # single-value selects: the key Slack fills in the action and the view state
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
}
MULTI_KEY = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
OPTION_TYPES = ("static_select", "overflow", "radio_buttons", "external_select")
MULTI_OPTION_TYPES = ("multi_static_select", "checkboxes", "multi_external_select")
TEXT_TYPES = ("plain_text_input", "number_input", "email_text_input", "url_text_input")


def block_id(block: dict[str, Any], index: int) -> str:
    """The block's id, or the one Slack would have made up for a block sent without one."""
    return str(block.get("block_id") or f"b{index}")


def all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The options of a select, overflow, radio or checkbox element, groups flattened."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    return next((o for o in all_options(element) if o.get("value") == value), None)


def action_for(element: dict[str, Any], block: str, choice: Any) -> dict[str, Any]:
    """The ``actions[]`` entry for using ``element`` (in block ``block``) with ``choice``.

    Raises ValueError for a choice the element does not offer (the page sent a stale option).
    """
    kind = str(element.get("type"))
    action: dict[str, Any] = {"type": kind, "action_id": element.get("action_id", ""),
                              "block_id": block}
    if kind == "button":
        action["text"] = element.get("text")
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
    elif kind in OPTION_TYPES:
        option = _option(element, choice)
        if option is None:
            raise ValueError(f"{kind} {action['action_id']!r} has no option {choice!r}")
        action["selected_option"] = option
    elif kind in SELECTED_KEY:
        action[SELECTED_KEY[kind]] = choice
    elif kind in MULTI_KEY:
        action[MULTI_KEY[kind]] = list(choice or [])
    elif kind in MULTI_OPTION_TYPES:
        action["selected_options"] = [o for o in all_options(element) if o.get("value") in (choice or [])]
    else:
        raise ValueError(f"the sandbox cannot use a {kind!r} element yet")
    if "placeholder" in element:
        action["placeholder"] = element["placeholder"]
    return action


def _input_value(element: dict[str, Any], raw: Any) -> dict[str, Any]:
    kind = str(element.get("type"))
    value: dict[str, Any] = {"type": kind}
    if kind in TEXT_TYPES:
        value["value"] = str(raw) if raw not in (None, "") else None
    elif kind in OPTION_TYPES:
        value["selected_option"] = _option(element, raw)
    elif kind in SELECTED_KEY:
        value[SELECTED_KEY[kind]] = raw or None
    elif kind in MULTI_KEY:
        value[MULTI_KEY[kind]] = list(raw or [])
    elif kind in MULTI_OPTION_TYPES:
        value["selected_options"] = [o for o in all_options(element) if o.get("value") in (raw or [])]
    else:
        value["value"] = raw
    return value


def view_values(view: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` for a submission; ``raw`` maps block index (as str) to the entry."""
    values: dict[str, Any] = {}
    for index, block in enumerate(view.get("blocks") or []):
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        action_id = str(element.get("action_id") or f"a{index}")
        values[block_id(block, index)] = {action_id: _input_value(element, raw.get(str(index)))}
    return values
