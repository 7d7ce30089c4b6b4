"""What a pydantic validation error says, for people: the check's own words, without pydantic's type prefix.

A validator that raises `ValueError("must be more than zero")` reaches pydantic's error list as the message
"Value error, must be more than zero"; every config, settings, catalog and runbook error goes through here so
none of them shows that prefix.
"""

from __future__ import annotations

from typing import Any


def error_message(err: Any) -> str:
    """The message of one entry of `ValidationError.errors()`: a validator's own text, else pydantic's."""
    raised = (err.get("ctx") or {}).get("error") if err.get("type") == "value_error" else None
    return str(raised) if raised is not None else str(err["msg"])
