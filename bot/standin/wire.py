"""How Web API requests arrive on the wire (README "Wire facts"), decoded into one dict, and how an error is
answered."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# Carried as JSON strings when a client uses form or query encoding instead of a JSON body.
JSON_PARAMS = ("blocks", "view", "attachments", "metadata")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

Reply = dict[str, Any]


def bearer_token(headers: dict[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header (any header case), else None."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return auth[len("Bearer "):].strip() or None if auth.startswith("Bearer ") else None


async def read_params(request: web.Request, problems: list[str]) -> dict[str, Any]:
    """Query string, form body and JSON body merged into one dict, JSON params decoded.

    slack_sdk sends ``params=`` methods as a POST with the params in the query and an empty
    body, blocks/views as a JSON body, and reads as GET; a fake must accept all of them.
    Malformed bodies are appended to ``problems`` (they become contract violations).
    """
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                params.update(body)
            else:
                problems.append("JSON body is not a JSON object")
        elif request.content_type in FORM_TYPES:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        elif await request.read():
            problems.append(f"unsupported Content-Type {request.content_type!r}")
    for key in JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass  # left as a string: the content checks report it
    return params


def truthy(value: Any) -> bool:
    """Booleans arrive as JSON booleans, or as "0"/"1"/"true" in form and query encodings."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def split_list(value: Any) -> list[str]:
    """Lists travel comma-joined ("U1,U2") in form and query encodings."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def err(error: str, **extra: Any) -> Reply:
    return {"ok": False, "error": error, **extra}
