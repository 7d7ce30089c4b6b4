"""Fifteen Markdown runbooks written for these tests (tests/unit/import_cases/), one per style teams write
in, each with the steps the import must produce, and the figures over the whole set: commands recovered
/ present in the sources, invented = 0, steps guarded as expected.

Each expected step is (kind, what, guard): a command by its verbatim source, a flag by (flag, value,
rollback), an http_check by (url, method, status), a check by its title; guard "", "confirm" or "approve".
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from runbooks.importer import Imported, import_markdown
from runbooks.loader import load_file

CASES = Path(__file__).parent / "import_cases"
ROLES = {"commander", "comms", "scribe"}
ALT = "alternative"

EXPECTED: dict[str, list[tuple[str, Any, str]]] = {
    "01-nested.md": [  # fences and sub-items nested in list items stay with their item
        ("command", "kubectl get pods -n checkout --field-selector=status.phase!=Running", ""),
        ("command", "kubectl logs <pod-id> -n checkout --previous", ""),
        ("check", "Check the deploy dashboard for the latest release", ""),
    ],
    "02-prompts.md": [  # `$ ` prompts stripped, the example output after them left out
        ("command", "df -h /var", ""),
        ("command", "du -sh /var/lib/docker/*", ""),
        ("command", "docker system df", ""),
        ("command", "docker image prune --force", "approve"),
        ("command", "systemctl status gitlab-runner \\\n  --no-pager", ""),  # a continued prompt line
    ],
    "03-transcripts.md": [  # interactive sessions are recognised, never run as shell commands
        ("check", "In `redis-cli>` run `INFO memory`", ""),
        ("check", "In `redis-cli>` run `DBSIZE`", ""),
        ("check", "In `psql=#` run `SELECT count(*) FROM sessions;`", ""),
    ],
    "04-logs.md": [  # log-only and JSON blocks are not commands
        ("check", "Verify the signing secret was rotated in the provider console", ""),
        ("command", "kubectl rollout restart deployment/webhooks -n payments", "confirm"),
        ("check", "See the pods come back", ""),  # a console block without a `$ ` prompt is output
    ],
    "05-lazy.md": [  # every item numbered `1.`
        ("command", "rabbitmqctl list_queues name messages", ""),
        ("command", "kubectl scale deployment/consumer --replicas=10 -n jobs", ""),
        ("check", "Make sure the depth goes down within 10 minutes", ""),
        ("command", "rabbitmqctl purge_queue orders", "approve"),
    ],
    "06-paren.md": [  # `1)` items, each followed by a paragraph and a fence outside the list
        ("command", ("openssl s_client -connect api.example.com:443 -servername api.example.com </dev/null | "
                     "openssl x509 -noout -enddate"), ""),
        ("command", "certbot renew --cert-name api.example.com", ""),
        ("command", "sudo systemctl reload nginx", ""),
    ],
    "07-frontmatter-yaml.md": [  # YAML front matter and an HTML comment
        ("http_check", ("http://es.internal:9200/_cluster/health", "GET", 200), ""),
        ("check", "Verify no shard is unassigned", ""),
    ],
    "08-frontmatter-toml.md": [  # TOML front matter
        ("command", "postqueue -p", ""),
        ("command", "postqueue -f", ""),
        ("check", "Confirm with the provider status page that sending is not throttled", ""),
    ],
    "09-mdx.mdx": [  # MDX imports, JSX tags, Hugo shortcodes and ERB left out of the steps
        ("http_check", ("https://idp.example.com/healthz", "HEAD", 200), ""),
        ("flag", ("new_login_flow", False, True), "confirm"),
        ("check", "Tell support in that logins are back", ""),
        ("check", "Restart the auth service with if sessions stay broken", "confirm"),
    ],
    "10-alternatives.md": [  # options, not a sequence
        ("command", "kubectl scale cronjob/reports --replicas=0 -n analytics", "approve"),
        ("command", "./bin/toggle-reads primary", ""),
        ("command", "patronictl failover --candidate db-2 --force", "confirm"),
    ],
    "11-catalogue.md": [],  # a catalogue: no steps, no runbook
    "12-switches-rollback.md": [  # switches, the rollback section undoing one, danger, a probe's status
        ("flag", ("RECO_ENABLED", False, True), "confirm"),
        ("flag", ("reco_cache_writes", False, True), "confirm"),
        ("check", "Set `RECO_MODE=degraded`", "confirm"),
        ("command", "psql \"$DATABASE_URL\" -c 'DROP TABLE reco_tmp'", "approve"),
        ("http_check", ("https://reco.example.com/status", "GET", 204), ""),
        ("flag", ("reco_crawler", False, True), "confirm"),  # a chatops command in its own fence
    ],
    "13-scripts.md": [  # a multi-line script kept whole
        ("command", 'for id in $(jobctl list --stuck --older-than 1h); do\n  jobctl requeue "$id"\ndone', ""),
        ("command", "tail -f /var/log/worker.log | grep requeued", ""),
        ("check", "Open ticket XXX with the vendor if it keeps happening", ""),
    ],
    "14-facts.md": [  # a bulleted list that describes (alert thresholds) is not steps; a wget probe
        ("http_check", ("http://cache.internal:8080/healthz", "GET", 200), ""),
        ("check", "Restart the cache node if it is wedged", "confirm"),
    ],
    "15-sql.md": [  # SQL to run in a client is quoted in a check (with a warning); a prose block is no step
        ("check", "Run this query in the primary database", ""),
        ("command", 'psql -c "SELECT pg_cancel_backend(<pid>)"', "confirm"),
    ],
}
# Shell commands (curl probes included) each source holds, counted by hand.
PRESENT = {"01-nested.md": 2, "02-prompts.md": 5, "03-transcripts.md": 0, "04-logs.md": 1, "05-lazy.md": 3,
           "06-paren.md": 3, "07-frontmatter-yaml.md": 1, "08-frontmatter-toml.md": 2, "09-mdx.mdx": 1,
           "10-alternatives.md": 3, "11-catalogue.md": 0, "12-switches-rollback.md": 2, "13-scripts.md": 2,
           "14-facts.md": 1, "15-sql.md": 1}


def _import(name: str) -> Imported:
    return import_markdown((CASES / name).read_text(encoding="utf-8"), name, Path(name).stem)


def _steps(result: Imported) -> list[dict[str, Any]]:
    return [s for p in result.runbook["procedures"] for s in p["steps"]] if result.runbook else []


def _what(result: Imported, step: dict[str, Any]) -> Any:
    if step["kind"] == "command":
        return result.report.commands[step["id"]]
    if step["kind"] == "flag":
        return step["flag"], step["value"], step["rollback"]
    if step["kind"] == "http_check":
        return step["url"], step["method"], step["expect_status"]
    return step["title"]


def _guard(step: dict[str, Any]) -> str:
    guard = step.get("guard")
    return "" if guard is None else "approve" if guard.get("approval") else "confirm"


def test_the_test_set_has_at_least_twelve_runbooks_each_with_its_expectation() -> None:
    assert sorted(p.name for p in CASES.iterdir()) == sorted(EXPECTED) and len(EXPECTED) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_runbook_imports_to_the_expected_steps_and_passes_the_check(name: str, tmp_path: Path) -> None:
    result = _import(name)
    got = [(s["kind"], _what(result, s), _guard(s)) for s in _steps(result)]
    assert got == EXPECTED[name]
    if result.runbook is None:
        assert EXPECTED[name] == [] and result.yaml_text is None
        return
    path = tmp_path / "out.yaml"
    path.write_text(result.yaml_text or "", encoding="utf-8")
    assert load_file(path, roles=ROLES)[1] == []


def test_figures_commands_recovered_none_invented_guards_as_expected() -> None:
    recovered = invented = guarded_ok = guarded_expected = 0
    for name, expected in EXPECTED.items():
        text = (CASES / name).read_text(encoding="utf-8")
        result = _import(name)
        for step in _steps(result):
            source = result.report.commands.get(step["id"])
            if step["kind"] in ("command", "http_check"):
                recovered += 1
                # verbatim, line by line (a fence nested in a list item is indented in the file)
                invented += source is None or any(line.strip() not in text for line in source.splitlines())
            if step["kind"] == "command":
                argv = step["argv"]
                invented += (argv[2] != source) if argv[:2] == ["sh", "-c"] else argv != shlex.split(source or "")
        wanted = [g for _, _, g in expected if g]
        guarded_expected += len(wanted)
        guarded_ok += sum(1 for s, (_, _, g) in zip(_steps(result), expected) if g and _guard(s) == g)
    present = sum(PRESENT.values())
    print(f"\ncommands recovered {recovered}/{present}, invented {invented}, guarded as expected "
          f"{guarded_ok}/{guarded_expected}")
    assert (recovered, invented, guarded_ok) == (present, 0, guarded_expected)


def test_front_matter_gives_id_title_summary_and_services() -> None:
    runbook = _import("07-frontmatter-yaml.md").runbook
    assert runbook is not None
    assert (runbook["id"], runbook["title"], runbook["summary"]) == (
        "search-degraded", "Search degraded", "Search answers slowly or returns nothing.")
    assert runbook["applies_to"] == {"services": ["search", "elasticsearch"], "alerts": ["SearchLatencyHigh"]}
    toml = _import("08-frontmatter-toml.md").runbook
    assert toml is not None and toml["title"] == "Mail delivery delayed"


def test_markup_that_is_not_content_never_reaches_a_step() -> None:
    for name in ("07-frontmatter-yaml.md", "09-mdx.mdx"):
        text = _import(name).yaml_text or ""
        for leftover in ("<!--", "import {", "<Callout", "{{<", "<%=", "services: [search"):
            assert leftover not in text.split("procedures:", 1)[1]


def test_placeholders_are_reported_as_parameters_to_fill() -> None:
    result = _import("01-nested.md")
    assert result.report.parameters == {"read-the-logs-of-one-pod": ["<pod-id>"]}
    assert "# fill in before running: <pod-id>" in (result.yaml_text or "")
    assert _import("12-switches-rollback.md").report.parameters == {"drop-the-temporary-table": ["$DATABASE_URL"]}


def test_the_rollback_section_is_the_rollback_of_the_flip_it_undoes() -> None:
    result = _import("12-switches-rollback.md")
    assert result.runbook is not None
    assert [p["id"] for p in result.runbook["procedures"]] == ["mitigate", "slow-down-the-crawler"]
    assert any("rollback section" in n for n in result.report.step_notes["set-reco-enabled-false-in-the-config-service"])


def test_context_goes_to_the_report_not_into_steps() -> None:
    result = _import("12-switches-rollback.md")
    assert any(p.startswith("severity table") for p in result.report.policy)
    assert "contact named in the source: #team-reco" in result.report.policy
    assert _import("11-catalogue.md").report.warnings == [
        "no steps found (a catalogue or a policy page?): no runbook written"]
    links = next(s for s in _steps(_import("01-nested.md")) if s["kind"] == "check")["description"]
    assert links == "Links: https://grafana.example.com/d/deploys"


def test_a_descriptive_bulleted_list_is_reported_not_made_into_steps() -> None:
    notes = _import("14-facts.md").report.notes
    assert "bulleted list under 'Thresholds' (line 5, 3 items) describes rather than instructs: kept out of the steps" in notes


def test_code_that_is_not_shell_is_quoted_in_a_check_with_a_warning() -> None:
    result = _import("15-sql.md")
    check = _steps(result)[0]
    assert "SELECT pid, now() - query_start AS age" in check["description"]
    assert result.report.warnings[0].startswith("run-this-query-in-the-primary-database: a code block that is not")
    assert _steps(result)[1]["argv"] == ["psql", "-c", "SELECT pg_cancel_backend(<pid>)"]  # quotes, no shell


def test_alternatives_are_marked_as_options_not_a_sequence() -> None:
    steps = _steps(_import("10-alternatives.md"))
    assert all(s["description"].startswith("One of the alternatives") for s in steps)
