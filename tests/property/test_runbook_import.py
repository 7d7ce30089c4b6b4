"""The Markdown importer on generated runbooks: it never fails, what it writes always passes the runbook
checks, and every command it writes is in the source (never invented)."""

from __future__ import annotations

import os
import shlex
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from runbooks.format import RunbookModel
from runbooks.importer import import_markdown

# A quarter of the parsers' examples (500 by default): each example parses and validates a whole document.
RUNS = settings(max_examples=int(os.environ.get("WARROOM_PROPERTY_EXAMPLES", "2000")) // 4 or 1, deadline=None,
                database=None, derandomize=True)

words = st.sampled_from(["Restart", "the", "api", "Verify", "health", "drop", "If", "queue", "`FEATURE_X=false`",
                         "`kubectl get pods`", "`curl http://svc/health`", "<pod-id>", "$NS", "**bold**", "[link](x)",
                         "Set", "`Feature.disable(:x)`", "ÜNÏ", "`redis-cli FLUSHDB`", "#team", ":", "1)", "<!-- c -->",
                         "{{< x >}}", "<Tabs>", "|", "`", "*"])
line = st.lists(words, min_size=1, max_size=8).map(" ".join)
commands = st.sampled_from(["kubectl get pods -n $NS", "$ df -h\n/dev/sda 1G", "redis-cli> GET k", "curl -I https://x/healthz",
                            "for i in 1 2; do echo $i; done", "psql \"${DB_URL}\" | head", "2024-01-01 ERROR boom",
                            "AGENT_SAFE_MODE=1", "rm -rf /tmp/x", "echo 'a(b)'", ""])
fence = st.tuples(st.sampled_from(["", "bash", "console", "json", "sql", "sh"]), commands).map(
    lambda p: f"```{p[0]}\n{p[1]}\n```")
item = st.tuples(st.sampled_from(["- ", "1. ", "1) ", "* "]), line, st.one_of(st.just(""), fence)).map(
    lambda p: p[0] + p[1] + ("\n" + "\n".join("   " + ln for ln in p[2].splitlines()) if p[2] else ""))
block = st.one_of(line, fence, item, item, st.tuples(st.sampled_from(["# ", "## ", "### ", "**"]), line).map("".join),
                  st.just("| Symptom | Likely cause |\n|---|---|\n| slow | db |"), st.just("---\ntitle: T\n---"))
documents = st.lists(block, min_size=1, max_size=12).map("\n\n".join)


def _steps(runbook: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in runbook["procedures"] for s in p["steps"]]


@RUNS
@given(documents)
def test_an_import_always_passes_the_checks_and_invents_no_command(text: str) -> None:
    result = import_markdown(text, "generated.md", "generated")
    if result.runbook is None:
        return
    data = yaml.safe_load(result.yaml_text or "")
    RunbookModel.model_validate(data)
    ids = [s["id"] for s in _steps(data)]
    assert len(ids) == len(set(ids))
    for step in _steps(data):
        if step["kind"] in ("command", "http_check", "flag"):
            source = result.report.commands[step["id"]]
            assert all(ln.strip() in text for ln in source.splitlines())
        if step["kind"] == "command" and step["argv"][:2] != ["sh", "-c"]:
            assert step["argv"] == shlex.split(result.report.commands[step["id"]])
        elif step["kind"] == "command":
            assert "${" not in step["argv"][2]  # `runbooks check` refuses ${VAR} pasted into shell code
