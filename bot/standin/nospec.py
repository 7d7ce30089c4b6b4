"""The call checks that need no Slack spec, for a stand-in started without shared/slack.

A fresh clone of Warroom has no ``../shared/slack``; the sandbox still starts there
(``FakeSlack(require_spec=False)``) and checks what it can: how the token travels here, and
every message and view against Block Kit's limits (contract.check_content). Tests never run
this way: they require the spec.
"""

from __future__ import annotations

from typing import Any

from .wire import bearer_token

NOTICE = "Slack spec not found: call checks limited to Block Kit limits"


def check_call(method: str, params: dict[str, Any], headers: dict[str, str]) -> list[str]:
    """Violations visible without the spec: the token in the body, no Bearer header."""
    out: list[str] = []
    if "token" in params:
        out.append("token sent in the query/body; Slack wants it only as Authorization: Bearer")
    if bearer_token(headers) is None:
        out.append("no 'Authorization: Bearer <token>' header")
    return out
