"""Flag flips and health probes written in Markdown. No I/O.

`FEATURE_X=false`, `AGENT_SAFE_MODE=1`, `Feature.disable(:x)`, a chatops `feature set x false` are flag
flips; `curl`/`wget` against a health or status URL is a probe.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

FlagValue = bool | int | float | str

_ASSIGN = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]{2,})\s*=\s*['\"]?([A-Za-z0-9_.-]+)['\"]?\s*$")
_FLIPPER = re.compile(r"^\s*Feature\.(enable|disable)\(\s*:(\w+)\s*\)\s*$")
_CHATOPS = re.compile(r"^\s*[/!.]?(?:feature|flag|flags)\s+set\s+([A-Za-z0-9_.:-]+)\s+(\S+)\s*$", re.IGNORECASE)
_BOOLS = {"true": True, "false": False, "on": True, "off": False, "enabled": True, "disabled": False}
_STATUS = re.compile(r"\b(?:expect(?:s|ed)?|returns?|should (?:return|be|get)|responds? with|HTTP(?:/\d(?:\.\d)?)?|status(?: code)?)"
                     r"\s*:?\s*([1-5]\d\d)\b", re.IGNORECASE)
_STATUS_OK = re.compile(r"\b([1-5]\d\d) OK\b")
_HEALTHY = re.compile(r"health|status|ready|readiness|live|liveness|ping|/up\b", re.IGNORECASE)


@dataclass(frozen=True)
class Flip:
    """A flag set to a value, as the source wrote it."""

    flag: str
    value: FlagValue
    source: str


@dataclass(frozen=True)
class Probe:
    """An HTTP health probe."""

    url: str
    method: str
    source: str


def _value(raw: str) -> FlagValue:
    lowered = raw.lower()
    if lowered in _BOOLS:
        return _BOOLS[lowered]
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def flip(code: str) -> Flip | None:
    """The flag flip a code span or a one-line fence states, if it is one."""
    if "\n" in code.strip():
        return None
    if match := _ASSIGN.match(code):
        return Flip(match.group(1), _value(match.group(2)), code.strip())
    if match := _FLIPPER.match(code):
        return Flip(match.group(2), match.group(1) == "enable", code.strip())
    if match := _CHATOPS.match(code):
        return Flip(match.group(1), _value(match.group(2)), code.strip())
    return None


def opposite(value: FlagValue) -> FlagValue | None:
    """The value that undoes a two-valued switch (true/false, 1/0); None when there is no obvious one."""
    if isinstance(value, bool):
        return not value
    if value in (0, 1) and isinstance(value, int):
        return 1 - value
    return None


def probe(source: str) -> Probe | None:
    """`curl`/`wget` of a health or status URL with nothing else going on (no pipe, no body)."""
    if "\n" in source.strip() or re.search(r"[|;&>]", source):
        return None
    try:
        words = shlex.split(source)
    except ValueError:
        return None
    if not words or words[0] not in ("curl", "wget"):
        return None
    urls = [w for w in words[1:] if re.match(r"^(https?://|\$\{[A-Z_][A-Z0-9_]*\})", w)]
    if len(urls) != 1 or not _HEALTHY.search(urls[0]):
        return None
    method = "GET"
    for i, word in enumerate(words):
        if word in ("-X", "--request") and i + 1 < len(words):
            method = words[i + 1].upper()
        elif word in ("-I", "--head", "--spider"):
            method = "HEAD"
        elif word in ("-d", "--data", "--data-raw", "--post-data", "-F", "--form"):
            return None
    return Probe(urls[0], method, source.strip()) if method in ("GET", "HEAD") else None


def expected_status(text: str) -> int | None:
    """The HTTP status the text says to expect (`expect 200`, `returns 204`, `200 OK`), if any."""
    match = _STATUS.search(text) or _STATUS_OK.search(text)
    return int(match.group(1)) if match else None
