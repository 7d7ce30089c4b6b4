"""The whole end-to-end suite, run with planted secrets and restricted values: none may appear in anything it prints.

When this test is selected with the e2e tests, this run is the session's e2e run (tests/conftest.py deselects
the e2e tests from the session itself): every e2e test runs once, here, and one that fails is named.

The e2e harness (tests/e2e/harness.py) reads the planted values from the file named by WARROOM_TEST_PLANTED_SECRETS:
the fake Slack issues the planted tokens, requests are signed with the planted signing secret, and flows type the
restricted values into titles, notes and follow-ups and have a runbook command print them. Logging is configured
as `warroom serve` does it (structlog, stdlib and warnings through one redacting handler on stderr), pytest's own
capture is off (`-s`, `-p no:logging`), so every byte the bot, its libraries and its subprocesses write lands in
the file scanned here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

ROOT = Path(__file__).resolve().parents[2]


SHARDS = 3


def _planted_values() -> dict[str, str]:
    """Fresh values for this run, so no source file can contain them by accident."""
    digits = lambda n: "".join(secrets.choice("0123456789") for _ in range(n))
    letters = lambda n: "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(n))
    iban = f"GB{digits(2)}{letters(4)}{digits(14)}"
    return {
        "bot_token": f"xoxb-{digits(12)}-{digits(13)}-{secrets.token_hex(12)}",
        "app_token": f"xapp-1-A{digits(10)}-{digits(13)}-{secrets.token_hex(16)}",
        "signing_secret": secrets.token_hex(16),
        "webhook_url": f"https://hooks.slack.com/services/T{letters(8)}/B{letters(8)}/{secrets.token_hex(12)}",
        "bank_account": iban,
        "payer_id": f"PYR-{digits(4)}-{digits(4)}",
        "csv_row": f"2026-01-27,ACME {letters(5)} Ltd,{iban},{digits(4)}.{digits(2)},INV-{digits(5)}",
    }


def _forms(value: str) -> set[str]:
    """How a value may appear in a log: as is, URL-encoded, JSON-escaped, and (for tokens) its random tail."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    tail = re.split(r"[-/]", value)[-1]
    if len(tail) >= 12:
        forms.add(tail)
    return forms


def _json(line: str) -> dict[str, object] | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def test_no_planted_secret_or_restricted_value_appears_in_anything_the_e2e_suite_logs(tmp_path: Path) -> None:
    planted = _planted_values()
    values_file = tmp_path / "planted.json"
    values_file.write_text(json.dumps(planted))
    env = {**os.environ, "WARROOM_TEST_PLANTED_SECRETS": str(values_file), "PYTHONUNBUFFERED": "1"}
    # The whole e2e suite, every module once, in shards run side by side: most of it waits on sockets.
    modules = sorted((ROOT / "tests" / "e2e").glob("test_*.py"))
    shards = [modules[n::SHARDS] for n in range(SHARDS)]
    runs = []
    for n, shard in enumerate(shards):
        out = (tmp_path / f"e2e-{n}.log").open("wb")
        runs.append((out, subprocess.Popen(
            [sys.executable, "-m", "pytest", *map(str, shard), "-q", "-p", "no:cacheprovider", "-p", "no:logging",
             "-s", "-W", "error"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)))
    returncodes = []
    for out, proc in runs:
        returncodes.append(proc.wait(timeout=900))
        out.close()
    text = "\n".join((tmp_path / f"e2e-{n}.log").read_text(encoding="utf-8", errors="replace")
                     for n in range(SHARDS))
    lines = text.splitlines()
    print(f"planted-secrets scan: {len(lines)} lines ({len(text)} characters) of e2e output scanned")
    leaks = {(name, form) for name, value in planted.items() for form in _forms(value)
             if form.lower() in text.lower()}
    problems = ["planted values leaked: " + "; ".join(
        f"{name} as {form!r} in: {next(line for line in lines if form.lower() in line.lower())[:300]}"
        for name, form in sorted(leaks))] if leaks else []
    # This is the session's e2e run (tests/conftest.py): each e2e test that failed is named on its own line.
    if returncodes != [0] * SHARDS:
        failed = [line for line in lines if re.match(r"(FAILED|ERROR) tests/e2e/", line)]
        problems.append("the e2e suite failed (`pytest tests/e2e` runs it on its own):\n"
                        + "\n".join(failed or lines[-60:]))
    assert not problems, "\n".join(problems)
    # Not vacuous: the bot really logged its work, with the planted values in play, and redacted some.
    events = [event for line in lines if (event := _json(line)) is not None]
    names = {e.get("event") for e in events}
    assert len(events) >= 200 and {"incident_declared", "runbook_step_finished"} <= names, sorted(map(str, names))
    assert "[redacted]" in text
    assert len(re.findall(r"\d+ passed", text)) == SHARDS and sum(len(s) for s in shards) == len(modules)
