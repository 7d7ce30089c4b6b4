"""Block Kit for modals: the declare form and its duplicate confirmation (pure functions)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.text import control_character_error
from bot.services.declaration import SERVICE_MAX, SUMMARY_MAX, TITLE_MAX, DeclareRequest

HINT_MAX = 2000  # Slack's limit for an input block's hint
from handlers.blocks import severity_options
from handlers.format import clip, escape
from handlers.ids import Block, Callback, Field


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input", "block_id": block_id, "optional": optional,
        "label": {"type": "plain_text", "text": label}, "element": {**element, "action_id": Field.VALUE},
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def severity_hint(policy: Policy) -> str:
    """Every severity of the policy on its own line, most severe first; long descriptions share the room."""
    levels = sorted(policy.severities.levels, key=lambda s: s.rank)
    room = HINT_MAX // max(len(levels), 1) - 1  # one line each
    return "\n".join(clip(f"{s.id}: {s.description}", room) for s in levels)


def declare_modal(policy: Policy, *, source_channel_id: str | None) -> dict[str, Any]:
    """The declare form: title, severity, service, summary."""
    return {
        "type": "modal",
        "callback_id": Callback.DECLARE,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"source_channel_id": source_channel_id}),
        "blocks": [
            _input(Block.TITLE, "Title", {"type": "plain_text_input", "max_length": TITLE_MAX,
                                          "placeholder": {"type": "plain_text", "text": "Imports failing"}}),
            _input(Block.SEVERITY, "Severity", {
                "type": "static_select", "options": severity_options(policy),
                "placeholder": {"type": "plain_text", "text": "How bad is it?"},
            }, hint=severity_hint(policy)),
            _input(Block.SERVICE, "Service", service_element(policy), optional=True),
            *class_input(policy, hint="What kind of failure; it can be set later with `/incident class`."),
            _input(Block.SUMMARY, "What is happening?", {"type": "plain_text_input", "multiline": True,
                                                         "max_length": SUMMARY_MAX}, optional=True),
        ],
    }


def class_input(policy: Policy, *, hint: str) -> list[dict[str, Any]]:
    """An optional select of the policy's incident classes (none when the policy has no classes)."""
    if not policy.classes:
        return []
    options = [{"text": {"type": "plain_text", "text": clip(c.label, 75)}, "value": c.id}
               for c in policy.classes[:100]]  # Slack's limit for a static select's options
    return [_input(Block.CLASS, "Class", {"type": "static_select", "options": options,
                                          "placeholder": {"type": "plain_text", "text": "What kind of incident?"}},
                   optional=True, hint=hint)]


def service_element(policy: Policy) -> dict[str, Any]:
    """The form's service: a select of the catalog's services when there is a catalog, else free text."""
    services = policy.catalog.services[:100]  # Slack's limit for a static select's options
    if not services:
        return {"type": "plain_text_input", "max_length": SERVICE_MAX,
                "placeholder": {"type": "plain_text", "text": "imports"}}
    return {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Which service?"},
            "options": [{"text": {"type": "plain_text", "text": clip(s.label, 75)}, "value": s.id[:150]}
                        for s in services]}


def _element(view: Any, block_id: str) -> dict[str, Any]:
    """The submitted input element of a block, {} when the view is not shaped like Slack's."""
    found: Any = view
    for key in ("state", "values", block_id, Field.VALUE):
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read_declare_values(view: dict[str, Any]) -> dict[str, str]:
    """The submitted form values by block id ('' when empty)."""

    def value(block_id: str) -> str:
        element = _element(view, block_id)
        if element.get("type") == "static_select":
            option = element.get("selected_option")
            return _text(option.get("value")) if isinstance(option, dict) else ""
        return _text(element.get("value"))

    return {b: value(b) for b in (Block.TITLE, Block.SEVERITY, Block.SERVICE, Block.SUMMARY, Block.CLASS)}


def selected_value(view: Any, block_id: str) -> str:
    """The value of a static select's chosen option ('' when none)."""
    option = _element(view, block_id).get("selected_option")
    return _text(option.get("value")) if isinstance(option, dict) else ""


FIELD_BLOCKS = {"title": Block.TITLE, "severity": Block.SEVERITY, "service": Block.SERVICE, "summary": Block.SUMMARY,
                "incident_class": Block.CLASS}


def _fit_metadata(meta: dict[str, Any], limit: int = 3000) -> str:
    """JSON within Slack's private_metadata limit, shortening the summary (the only long field)."""
    text = json.dumps(meta, ensure_ascii=False)
    while len(text) > limit and meta.get("summary"):
        meta = {**meta, "summary": meta["summary"][: -max(len(text) - limit, 1)]}
        text = json.dumps(meta, ensure_ascii=False)
    return text


def confirm_duplicate_modal(request: DeclareRequest, duplicates: list[Incident], policy: Policy) -> dict[str, Any]:
    """Asks the declarer whether to declare anyway when similar incidents are open."""
    lines = "\n".join(
        f"• *{d.ref}* {escape(d.title)} ({d.severity}, {policy.lifecycle.get(d.status).label})"
        + (f" in <#{d.channel_id}>" if d.channel_id else "") for d in duplicates[:10]
    )
    meta = {"severity": request.severity, "title": request.title, "service": request.service,
            "summary": request.summary, "source_channel_id": request.source_channel_id,
            "incident_class": request.incident_class}
    return {
        "type": "modal",
        "callback_id": Callback.DECLARE_CONFIRM,
        "title": {"type": "plain_text", "text": "Possible duplicate"},
        "submit": {"type": "plain_text", "text": "Declare anyway"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": _fit_metadata(meta),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
            f":warning: Open incidents that look like *{escape(request.title)}*:\n{lines}\n\n"
            "Cancel and join one of them, or declare a new incident anyway.")[:3000]}}],
    }


def resolve_modal(channel_id: str, policy: Policy) -> dict[str, Any]:
    """The resolution form for the incident of `channel_id`: how it was resolved, impact, root cause, class."""
    class_hint = ("Needed to resolve unless the incident already has one." if policy.class_required_at_resolve
                  else "Leave it empty to keep the incident's class.")
    return {
        "type": "modal",
        "callback_id": Callback.RESOLVE,
        "title": {"type": "plain_text", "text": "Resolve the incident"},
        "submit": {"type": "plain_text", "text": "Resolve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel_id": channel_id}),
        "blocks": [
            _input(Block.RESOLUTION, "How was it resolved?", {"type": "plain_text_input", "multiline": True,
                                                              "max_length": 3000}),
            _input(Block.IMPACT, "Impact", {"type": "plain_text_input", "multiline": True, "max_length": 3000},
                   optional=True, hint="Who was affected, how, for how long."),
            _input(Block.ROOT_CAUSE, "Root cause (if known)", {"type": "plain_text_input", "multiline": True,
                                                               "max_length": 3000}, optional=True),
            *class_input(policy, hint=class_hint),
        ],
    }


def read_text_values(view: dict[str, Any], *block_ids: str) -> dict[str, str]:
    """Plain text input values by block id ('' when empty)."""
    return {b: _text(_element(view, b).get("value")) for b in block_ids}


def control_errors(values: dict[str, str]) -> dict[str, str]:
    """A form error for each value with a control character (no database stores a NUL), by block id."""
    return {b: error for b, value in values.items() if (error := control_character_error(value, "This field"))}
