"""The shipped runbook library: every file loads, and it covers the five seed runbooks it was converted from.

The seeds are read from ../shared/seeds next to the repository. For each seed the tables below say
where every procedure or scenario section went (COVERAGE) and why the remaining headings are not
runbooks (NOT_PROCEDURES: policy, templates, references). Kill switches, diagnostic commands and HTTP
probes are extracted from the seed texts themselves, so a seed change that adds one fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from bot.domain.runbook import Runbook, Step, StepKind, show_value
from runbooks.loader import LIBRARY, load_runbooks

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
ROLES = {"commander", "comms", "scribe"}
SEVERITIES = {"SEV0", "SEV1", "SEV2", "SEV3"}

S000 = "000_c05fdd64f37e5370.txt"  # DepositMatch CSV-First Pilot runbook
S001 = "001_59896f0c08d0405f.txt"  # Operational Procedures (API, Clerk, Plaid, BullMQ, Railway)
S002 = "002_fe93269f491a4138.txt"  # Operations Runbook (Staff and Admin PWAs, ledger, agents)
S003 = "003_ee3422d7fdfd2216.txt"  # Customer Portal incident response (BFF, Salesforce, WHMCS)
S004 = "004_c9a841985f5b9b72.txt"  # Runbooks module (Workflow 500, PDF 404, queue, storage)

# {seed file: {section heading as written in the seed: "runbook-id" or "runbook-id#procedure-or-step-id"}}
COVERAGE: dict[str, dict[str, str]] = {
    S000: {
        "Import Pipeline Unavailable": "depositmatch-import-pipeline",
        "Review Decision Audit Failure": "depositmatch-review-decision-audit",
        "Restricted Telemetry or Data Exposure": "depositmatch-restricted-telemetry",
        "Cross-tenant authorization anomaly": "depositmatch-cross-tenant-authz",
        "Support access outside window": "depositmatch-support-access",
        # Operator Entry Points rows: the first command of each scenario
        "Import pipeline unavailable": "depositmatch-import-pipeline#import-health",
        "Review decision audit failure": "depositmatch-review-decision-audit#audit-health",
        "Restricted telemetry violation": "depositmatch-restricted-telemetry#telemetry-scan-30m",
        # Dependencies and Failure Boundaries rows
        "Dependencies and Failure Boundaries": "depositmatch-dependency-failure",
        "PostgreSQL": "depositmatch-dependency-failure#postgresql",
        "Object storage": "depositmatch-dependency-failure#object-storage",
        "Identity provider": "depositmatch-dependency-failure#identity-provider",
        "Firm/client authorization boundary": "depositmatch-cross-tenant-authz#contain",
        "Telemetry/log pipeline": "depositmatch-restricted-telemetry#rotate-logs",
        "Rollback Entry Conditions": "depositmatch-rollback#entry-condition",
        "Rollback Procedure": "depositmatch-rollback#rollback",
        "Recovery Validation": "depositmatch-rollback#recovery-validation",
        "Routine Operations": "depositmatch-routine-operations",
        "Rotate support grants": "depositmatch-routine-operations#rotate-support-grants",
        "Re-run telemetry scan": "depositmatch-routine-operations#telemetry-scan",
        "Export pilot audit bundle": "depositmatch-routine-operations#audit-export",
        "Escalation and Communications": "depositmatch-escalation",
    },
    S001: {
        "Incident Response Plan": "api-incident-response#respond",
        "Communication Templates": "api-incident-response#sev1-status-page",
        "Critical Alerts (SEV-1)": "api-incident-response#sev1-routing",
        "Warning Alerts (SEV-2)": "api-incident-response#sev2-routing",
        "Alert Routing": "api-incident-response",
        "Application Health": "api-incident-response#api-health",
        "Smoke Tests": "api-incident-response#verify",
        "Responsibilities": "api-incident-response#acknowledge",
        "Recovery Targets": "api-disaster-recovery",
        "Disaster Recovery Plan": "api-disaster-recovery",
        "Scenario 1: Database Failure": "api-disaster-recovery#database-failure",
        "Scenario 2: Complete Infrastructure Loss": "api-disaster-recovery#infrastructure-loss",
        "Scenario 3: Data Corruption": "api-disaster-recovery#data-corruption",
        "Testing Schedule": "api-disaster-recovery#dr-testing",
        "Security Incident Response": "api-security-breach",
        "If breach detected": "api-security-breach#respond",
        "Notification Timeline": "api-security-breach#notify-legal",
        "Database Connection Failure": "api-database-connection-failure",
        "High API Latency": "api-high-latency",
        "Failed Background Jobs": "api-failed-background-jobs",
    },
    S002: {
        "Contacts & Escalation": "pwa-production-incident-response#escalation",
        "1. Production Incident Response": "pwa-production-incident-response",
        "2. Deployment Rollout (Blue-Green / Canary)": "pwa-deployment-rollout",
        "3. Rollback Procedure": "pwa-rollback",
        "4. Data Subject Request (GDPR)": "pwa-data-subject-request",
        "5. Agent Kill-Switch Activation": "pwa-agent-kill-switch",
        "Observability & Dashboards": "pwa-production-incident-response#investigate",
    },
    S003: {
        "Escalation Matrix": "portal-incident-response#escalation",
        "1. Salesforce Platform Events Not Receiving": "portal-salesforce-platform-events",
        "2. WHMCS API Unavailable": "portal-whmcs-unavailable",
        "3. Redis Connection Failures": "portal-redis-connection",
        "4. Database Connection Issues": "portal-database-connection",
        "5. High Error Rate / Performance Degradation": "portal-high-error-rate",
        "6. Security Incident": "portal-security-incident",
        "Incident Response Workflow": "portal-incident-response#workflow",
        "Internal Status Update": "portal-incident-response#communicate-status",
        "Customer Communication (P1/P2 only)": "portal-incident-response#customer-update",
        "Post-Incident Review": "portal-incident-response#post-incident-review",
    },
    S004: {
        "Priority Use Cases": "workflow-500-queue-failure",
        "1. Workflow 500": "workflow-500-queue-failure#workflow-500",
        "2. PDF 404": "pdf-404-storage-permissions#pdf-404",
        "3. Queue Failure": "workflow-500-queue-failure#queue-failure",
        "4. Storage Permissions": "pdf-404-storage-permissions#storage-permissions",
        "Prerequisites": "workflow-500-queue-failure#prerequisites",
        "Operating Model": "workflow-500-queue-failure#escalation",
        "Go-live Checklist": "workflow-500-queue-failure#go-live",
    },
}

# Headings that are deliberately not runbooks, and why. With COVERAGE they account for every ## and
# ### heading of the Markdown seeds.
NOT_PROCEDURES: dict[str, dict[str, str]] = {
    S000: {
        "Service Summary": "description of the service (owner and on-call are in depositmatch-escalation)",
        "Operator Entry Points": "table; its rows are the scenario entries of COVERAGE",
        "Alert Triage": "table; each row is the triage row of its scenario's runbook",
        "Common Incident Procedures": "parent heading of the procedures below it",
        "Rollback and Recovery": "parent heading of the rollback sections below it",
        "References": "links to other documents",
    },
    S001: {
        "Incident Management": "parent heading",
        "Severity Levels": "policy: the severities of warroom.yaml",
        "Monitoring & Alerting": "parent heading",
        "Info Alerts": "dashboard-only signals, never paged (the latency ones are triage context in api-high-latency)",
        "Backup & Disaster Recovery": "parent heading",
        "Backup Strategy": "what is backed up and how; the restores of api-disaster-recovery rely on it",
        "Security Best Practices": "parent heading",
        "Development Security": "standing engineering practice, not an incident procedure",
        "Infrastructure Security": "standing engineering practice, not an incident procedure",
        "Operations Security": "standing practice; its audit logs are used by api-security-breach#assess",
        "Health Checks": "parent heading of Application Health and Smoke Tests",
        "On-Call Rotation": "parent heading",
        "Schedule": "policy: the on-call rotation",
        "Compensation": "policy: on-call pay",
        "Runbooks": "parent heading",
        "Common Issues": "parent heading of the three issues in COVERAGE",
        "References": "links to other documents",
    },
    S002: {
        "Purpose": "description",
        "Incident Severity Matrix": "policy: the severities of warroom.yaml (its examples are triage rows of "
                                    "pwa-production-incident-response)",
        "Standard Operating Procedures": "parent heading of the five procedures",
        "Appendices": "links to other documents",
    },
    S003: {
        "Severity Classification": "policy: the severities of warroom.yaml (P1-P4 are aliases)",
        "On-Call Contacts": "policy: a contact table with placeholders to fill in",
        "Common Incident Scenarios": "parent heading of the six scenarios",
        "Communication Templates": "templates (policy); when to send them is in portal-incident-response",
        "Review Template": "the post-incident review document, written by the review feature",
        "Related Documents": "links to other documents",
    },
    S004: {
        "Target Audience": "description",
        "Module Positioning": "description",
        "KPI": "metrics (MTTR, recurrence), not a procedure",
        "Recommended Path": "reading order of the chapters",
        "Success Criteria": "goals; the 15-minute diagnosis target is the escalation threshold of the 004 runbooks",
    },
}

# Backticked flag assignments that are not kill switches to pull, with the step that handles them.
NOT_KILL_SWITCHES = {
    "AUTH_BLACKLIST_FAIL_CLOSED=false": "portal-redis-connection#blacklist-fail-closed",  # the risky setting the seed warns about
}

# Programs whose backticked invocations (inline or in ```bash blocks) are diagnostic commands.
COMMAND_PROGRAMS = ("npm", "curl", "psql", "redis-cli", "grep", "tail", "top")

# Backticked items that are deliberately not commands (nor flags nor HTTP probes), and what they are.
NOT_COMMANDS = {
    "Operations > Import Diagnostics": "a dashboard location (a check step)",
    "docs/helix/05-deploy/deployment-checklist.md": "a document path",
    "docs/helix/05-deploy/monitoring-setup.md": "a document path",
    "docs/helix/02-design/architecture.md": "a document path",
    "docs/helix/02-design/security-architecture.md": "a document path",
    "RC_TAG": "the release tag name (a check step)",
    "config/feature-flags.yaml": "the flag file path (a check step; no flag is named)",
    "DATA-MODEL.md": "a document path",
    "AGENT-GUARDRAILS.md": "a document path",
    "docs/OPERATIONS/incident-template.md": "a document path",
    ".github/workflows/release.yml": "a CI artifact path",
    "docs/compliance/": "a document path",
    "sf:pe:replay:*": "a Redis key pattern (a triage symptom)",
    "WHMCS_API_IDENTIFIER": "an environment variable name (a check step)",
    "WHMCS_API_SECRET": "an environment variable name (a check step)",
    "REDIS_URL": "an environment variable name (a check step)",
}

# A seed command adapted to run without a terminal: {seed command: the command the library runs}.
ADAPTED_COMMANDS = {
    # top is interactive: -b -n 1 takes one snapshot; pgrep -d, joins the pids as top -p expects.
    'top -p $(pgrep -f "node.*bff")': 'top -b -n 1 -p $(pgrep -d, -f "node.*bff")',
}
# ${LIBRARY_NAME} used for a seed's $SEED_NAME: Warroom's own DATABASE_URL names Warroom's database.
RENAMED_VARIABLES = {"PORTAL_DATABASE_URL": "DATABASE_URL"}

_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
_FLAG = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S+)$")
_PROBE = re.compile(r"^(GET|HEAD|POST) (/\S*)$")
_SEED_COMMENT = re.compile(r"^# Seed: .*\((00[0-4])\)")
_SHELL = re.compile(r" \| |\$\(")  # the shell syntax the seeds use: pipes, $(...)


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.fail(f"the seed runbooks are missing: expected the folder {SEEDS} (../shared/seeds from the repo root)")
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    assert sorted(texts) == sorted(COVERAGE), f"seed files {sorted(texts)} differ from the coverage table"
    return texts


@pytest.fixture(scope="module")
def library() -> dict[str, Runbook]:
    report = load_runbooks([LIBRARY], roles=ROLES, severities=SEVERITIES)
    assert report.problems == [], "\n".join(map(str, report.problems))
    return report.runbooks


def _files() -> list[Path]:
    return sorted([*LIBRARY.glob("*.yaml"), *LIBRARY.glob("*.yml")])


def _seed_of(runbook: Runbook) -> str:
    """The seed number (000..004) named by the runbook file's leading `# Seed:` comment."""
    match = _SEED_COMMENT.match(Path(runbook.source).read_text(encoding="utf-8"))
    assert match, f"{runbook.source} must start with a '# Seed: ... (00N) ...' comment"
    return match.group(1)


def _steps(library: dict[str, Runbook], seed: str, kind: StepKind) -> list[tuple[str, Step]]:
    return [(r.id, s) for r in library.values() if _seed_of(r) == seed for s in r.steps() if s.kind is kind]


def _outside_fences(text: str) -> str:
    return _FENCE.sub("", text)


def _backticked(text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"`([^`\n]+)`", _outside_fences(text))))


def _seed_commands(text: str) -> list[str]:
    """Backticked commands: inline ones, and every non-comment line of a ```bash block."""
    inline = [item for item in _backticked(text) if item.split()[0] in COMMAND_PROGRAMS]
    fenced = [line.strip() for lang, body in _FENCE.findall(text) if lang in ("bash", "sh", "shell")
              for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]
    return list(dict.fromkeys(inline + fenced))


def _as_seed(argv: tuple[str, ...]) -> list[str]:
    """A step's argv with ${VAR} written as the seed writes it ($VAR, under the seed's name)."""
    def var(match: re.Match[str]) -> str:
        return "$" + RENAMED_VARIABLES.get(match.group(1), match.group(1))
    return [re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", var, arg) for arg in argv]


def _runs(step: Step, command: str) -> bool:
    """True when the command step runs this seed command (a pipeline runs under `sh -c`)."""
    command = ADAPTED_COMMANDS.get(command, command)
    argv = _as_seed(step.argv)
    if _SHELL.search(command):
        return argv == ["sh", "-c", command]
    return argv == shlex.split(command)


def test_every_shipped_runbook_loads() -> None:
    report = load_runbooks([LIBRARY], roles=ROLES, severities=SEVERITIES)
    assert report.problems == [], "\n".join(map(str, report.problems))
    assert len(report.runbooks) == len(_files())


def test_every_runbook_names_its_seed_and_the_library_covers_each_seed(library: dict[str, Runbook]) -> None:
    seeds_named = {_seed_of(runbook) for runbook in library.values()}
    assert seeds_named == {name[:3] for name in COVERAGE}


def test_coverage_table_headings_occur_in_their_seed_and_targets_exist(
        seeds: dict[str, str], library: dict[str, Runbook]) -> None:
    missing = []
    for seed, sections in COVERAGE.items():
        for heading, target in sections.items():
            if heading not in seeds[seed]:
                missing.append(f"{seed}: heading {heading!r} is not in the seed")
            runbook_id, _, part = target.partition("#")
            runbook = library.get(runbook_id)
            if runbook is None:
                missing.append(f"{seed}: {heading!r} -> no runbook {runbook_id!r}")
                continue
            if part and part not in {p.id for p in runbook.procedures} | {s.id for s in runbook.steps()}:
                missing.append(f"{seed}: {heading!r} -> {runbook_id} has no procedure or step {part!r}")
        for heading in NOT_PROCEDURES[seed]:
            if heading not in seeds[seed]:
                missing.append(f"{seed}: NOT_PROCEDURES heading {heading!r} is not in the seed")
    assert missing == []


def test_every_heading_of_the_markdown_seeds_is_accounted_for(seeds: dict[str, str]) -> None:
    unaccounted = [f"{seed}: {heading}" for seed, text in seeds.items()
                   for heading in re.findall(r"^#{2,3} (.+?)\s*$", _outside_fences(text), re.MULTILINE)
                   if heading not in COVERAGE[seed] and heading not in NOT_PROCEDURES[seed]]
    assert unaccounted == []


def test_every_runbook_is_the_target_of_a_seed_section(library: dict[str, Runbook]) -> None:
    targets = {target.partition("#")[0] for sections in COVERAGE.values() for target in sections.values()}
    assert sorted(set(library) - targets) == []


def test_every_kill_switch_in_the_seeds_is_a_guarded_flag_step(
        seeds: dict[str, str], library: dict[str, Runbook]) -> None:
    found = []
    for seed, text in seeds.items():
        for item in _backticked(text):
            match = _FLAG.match(item)
            if not match:
                continue
            if item in NOT_KILL_SWITCHES:
                runbook_id, _, step_id = NOT_KILL_SWITCHES[item].partition("#")
                library[runbook_id].step(step_id)
                continue
            flag, value = match.group(1), yaml.safe_load(match.group(2))
            steps = [s for _, s in _steps(library, seed[:3], StepKind.FLAG) if s.flag == flag and s.value == value]
            assert steps, f"{seed}: kill switch {item} is not a flag step of a runbook from this seed"
            found.append(item)
    assert sorted(found) == ["AGENT_SAFE_MODE=1", "FEATURE_IMPORTS=false", "FEATURE_REVIEW_DECISIONS=false",
                             "SF_EVENTS_ENABLED=true", "SF_EVENTS_REPLAY=ALL"]


def test_every_flag_step_is_guarded_confirmed_and_undoable(library: dict[str, Runbook]) -> None:
    for runbook in library.values():
        for step in runbook.steps():
            if step.kind is not StepKind.FLAG:
                continue
            where = f"{runbook.id}#{step.id}"
            assert step.guard is not None and step.guard.roles == ("commander",), where
            assert step.guard.confirm.strip(), where
            assert step.rollback is not None and step.rollback != step.value, where
            # Undoing a kill switch asks its own question, naming the value it restores.
            undo = step.guard.rollback_confirm
            assert undo and undo != step.guard.confirm and f"{step.flag} back to {show_value(step.rollback)}" in undo, where
            if step.flag in ("FEATURE_IMPORTS", "FEATURE_REVIEW_DECISIONS", "AGENT_SAFE_MODE"):
                assert step.guard.approval, f"{where} stops a customer-facing feature: it needs approval"


def test_every_backticked_item_is_a_command_flag_probe_or_named_otherwise(seeds: dict[str, str]) -> None:
    unclassified = [f"{seed}: `{item}`" for seed, text in seeds.items() for item in _backticked(text)
                    if item.split()[0] not in COMMAND_PROGRAMS and not _FLAG.match(item)
                    and not _PROBE.match(item) and item not in NOT_COMMANDS]
    assert unclassified == []
    everything = {item for text in seeds.values() for item in _backticked(text)}
    assert sorted(set(NOT_COMMANDS) - everything) == []


def test_every_seed_command_is_a_command_step(seeds: dict[str, str], library: dict[str, Runbook]) -> None:
    missing, count = [], 0
    for seed, text in seeds.items():
        steps = _steps(library, seed[:3], StepKind.COMMAND)
        for command in _seed_commands(text):
            count += 1
            if not any(_runs(step, command) for _, step in steps):
                missing.append(f"{seed}: {command}")
    assert missing == []
    assert count == 24  # 9 distinct npm commands in 000; 14 in bash blocks and `redis-cli FLUSHDB` in 003


def test_every_http_probe_in_the_seeds_is_an_http_check(seeds: dict[str, str], library: dict[str, Runbook]) -> None:
    probes = [(seed, m.group(1), m.group(2)) for seed, text in seeds.items() for item in _backticked(text)
              if (m := _PROBE.match(item))]
    probes += [(seed, "GET", path) for seed, text in seeds.items()
               for path in re.findall(r"API probe \((/[^)\s]+)\)", text)]
    assert {p[2] for p in probes} == {"/health/workers", "/api/health", "/api/v1/me"}
    for seed, method, path in probes:
        checks = [s for _, s in _steps(library, seed[:3], StepKind.HTTP_CHECK)
                  if s.method == method and s.url.endswith(path)]
        assert checks, f"{seed}: {method} {path} is not an http_check step"
    health = [s for _, s in _steps(library, "001", StepKind.HTTP_CHECK) if s.url.endswith("/api/health")]
    assert all(s.expect_body == '"healthy"' for s in health)  # the seed's "status": "healthy"
