"""Slack's Web API contract, checked against Slack's own OpenAPI spec (shared/slack).

The spec is frozen in 2020, so the README caveats are handled with small explicit allow-lists
(newer methods, newer params) and an override list of params that are truly required although
the spec marks them optional.  Anything else must exist in the spec.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .blocks import check_blocks, check_view, decode_json

__all__ = [
    "ContractViolation",
    "SharedContractMissing",
    "check_blocks",
    "check_call",
    "check_content",
    "check_view",
    "load_spec",
    "shared_dir",
]

# Newer methods the 2020 spec lacks; value = their param names (token travels in the header).
ALLOWED_EXTRA_METHODS: dict[str, frozenset[str]] = {
    "apps.connections.open": frozenset(),
    # Slack's external upload (files.upload is retired), from docs.slack.dev/reference/methods.
    "files.getUploadURLExternal": frozenset({"filename", "length", "alt_txt", "snippet_type"}),
    "files.completeUploadExternal": frozenset({"files", "channel_id", "channels", "initial_comment",
                                               "thread_ts", "blocks"}),
}
# Newer params the spec lacks, per method; "*" applies to every method (slack_sdk adds team_id
# to every call when the client was built with team_id=).
NEWER_PARAMS: dict[str, frozenset[str]] = {
    "*": frozenset({"team_id"}),
    "chat.postMessage": frozenset({"metadata", "markdown_text"}),
    "chat.update": frozenset({"metadata", "markdown_text", "file_ids", "reply_broadcast",
                              "unfurl_links", "unfurl_media"}),
    "chat.postEphemeral": frozenset({"markdown_text", "unfurl_links", "unfurl_media"}),
    "conversations.invite": frozenset({"force"}),
    "conversations.history": frozenset({"include_all_metadata"}),
}
# Params the spec marks optional but Slack rejects the call without (README caveats).
REQUIRED_OVERRIDES: dict[str, frozenset[str]] = {
    "conversations.create": frozenset({"name"}),
    "conversations.invite": frozenset({"channel", "users"}),
    "users.info": frozenset({"user"}),
    "chat.postMessage": frozenset({"channel"}),
    "chat.update": frozenset({"channel", "ts"}),
    "chat.postEphemeral": frozenset({"channel", "user"}),
    "chat.scheduleMessage": frozenset({"channel", "post_at"}),
    "views.open": frozenset({"trigger_id", "view"}),
    "views.update": frozenset({"view"}),
    "conversations.setTopic": frozenset({"channel", "topic"}),
    "chat.getPermalink": frozenset({"channel", "message_ts"}),
    "views.publish": frozenset({"user_id", "view"}),
    "files.getUploadURLExternal": frozenset({"filename", "length"}),
    "files.completeUploadExternal": frozenset({"files"}),
}
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral",
                             "chat.scheduleMessage"})
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")
MESSAGE_TEXT_MAX = 40000
SPEC_FILE = "web-api-openapi-v2.json"
ENV_VAR = "WARROOM_SLACK_SHARED"

_SPEC: dict[str, dict[str, frozenset[str]]] | None = None  # loaded once per process


class ContractViolation(AssertionError):
    """Raised by tests when the bot broke Slack's contract (see FakeSlack.assert_no_violations)."""


class SharedContractMissing(RuntimeError):
    """The shared Slack reference folder is absent: tests must fail, never skip."""


def shared_dir() -> Path:
    """The shared/slack folder: $WARROOM_SLACK_SHARED, else <repo root>/../shared/slack."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[2]  # bot/standin/contract.py -> repo
    return repo_root.parent / "shared" / "slack"


def load_spec() -> dict[str, dict[str, frozenset[str]]]:
    """Index the OpenAPI spec as {method: {"params": names, "required": names}} (cached)."""
    global _SPEC
    if _SPEC is None:
        path = shared_dir() / SPEC_FILE
        if not path.is_file():
            raise SharedContractMissing(
                f"Slack contract not found at {path}. The fake Slack checks every call against "
                f"Slack's OpenAPI spec; mount the shared folder there or set {ENV_VAR}."
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
        index: dict[str, dict[str, frozenset[str]]] = {}
        for route, verbs in raw["paths"].items():
            params = [p for op in verbs.values() for p in op.get("parameters", [])]
            # The token is checked separately: it must only ever travel as a Bearer header.
            names = {p["name"] for p in params} - {"token"}
            required = {p["name"] for p in params if p.get("required")} - {"token"}
            index[route.lstrip("/")] = {"params": frozenset(names), "required": frozenset(required)}
        _SPEC = index
    return _SPEC


def known_method(method: str) -> bool:
    """True when the method is in the spec or explicitly allow-listed as newer."""
    return method in load_spec() or method in ALLOWED_EXTRA_METHODS


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_call(method: str, params: dict, headers: dict) -> list[str]:
    """Violations of the Web API contract by one call: method, param names, required, token."""
    if not known_method(method):
        return [f"unknown method {method!r} (not in Slack's spec nor ALLOWED_EXTRA_METHODS)"]
    spec = load_spec().get(method)
    allowed = spec["params"] if spec else ALLOWED_EXTRA_METHODS[method]
    allowed = allowed | NEWER_PARAMS["*"] | NEWER_PARAMS.get(method, frozenset())
    required = (spec["required"] if spec else frozenset()) | REQUIRED_OVERRIDES.get(method, set())
    out: list[str] = []
    if "token" in params:
        out.append("token sent in the query/body; Slack wants it only as Authorization: Bearer")
    auth = _header(headers, "Authorization") or ""
    if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
        out.append("no 'Authorization: Bearer <token>' header")
    for name in sorted(set(params) - allowed - {"token"}):
        out.append(f"unknown param {name!r} for {method}")
    for name in sorted(required):
        if _missing(params.get(name)):
            out.append(f"missing required param {name!r}")
    new_name = params.get("name") if method == "conversations.create" else None
    if not _missing(new_name) and not CHANNEL_NAME.match(str(new_name)):
        out.append(f"channel name {new_name!r} does not match {CHANNEL_NAME.pattern}")
    return out


def check_content(method: str, params: dict) -> list[str]:
    """Violations in what a call carries: message text/blocks, views (Block Kit limits).

    ``method`` may also be "respond" for bodies POSTed to a response_url, where only the
    blocks and text length are checked (delete_original and friends carry no text).
    """
    out: list[str] = []
    text = params.get("text")
    if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
        out.append(f"text is {len(str(text))} chars (max {MESSAGE_TEXT_MAX})")
    if "blocks" in params:
        surface = "message"
        out.extend(check_blocks(params["blocks"], surface))
    if method in MESSAGE_METHODS:
        has_text = not _missing(text) or not _missing(params.get("markdown_text"))
        if not has_text and _missing(params.get("blocks")):
            out.append("a message needs text or blocks")
        elif not has_text:
            out.append("blocks without a text fallback (Slack warns: notifications and "
                       "screen readers use text)")
    if method in VIEW_METHODS and "view" in params:
        view = decode_json(params["view"], "view", out)
        out.extend(check_view(view))
        if method == "views.publish" and isinstance(view, dict) and view.get("type") != "home":
            out.append("views.publish only takes a view of type 'home'")
        if method != "views.publish" and isinstance(view, dict) and view.get("type") == "home":
            out.append(f"{method} takes a modal, not a 'home' view")
    return out
