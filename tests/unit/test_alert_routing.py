"""Alert routing and the service catalog: seed 001's defaults, labels to service and severity, routes,
warroom.yaml's `alerts` and `services` (and a catalog directory with Backstage files)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import yaml

from bot.config import parse_config
from bot.domain.alert_routing import AlertAction, AlertPolicy, Route, decide, runbook_named_by_url
from bot.domain.alerts import FIRING, RESOLVED, Alert, changes
from bot.domain.catalog import Catalog, Service
from bot.domain.errors import ConfigError
from bot.domain.oncall import Rotation, on_call
from handlers.stats_blocks import oncall_blocks

CATALOG = Catalog((Service(id="imports", channel="#imports", oncall="app", aliases=("import-worker",)),))


def test_seed_001_critical_declares_warning_triages_in_alerts_info_records() -> None:
    policy = AlertPolicy()
    critical, warning, info = (decide({"severity": s}, policy, Catalog()) for s in ("critical", "warning", "info"))
    assert (critical.severity, critical.action) == ("SEV1", AlertAction.DECLARE)
    assert (warning.severity, warning.action, warning.channel) == ("SEV2", AlertAction.TRIAGE, "#alerts")
    assert (info.severity, info.action) == ("SEV3", AlertAction.RECORD)
    assert decide({}, policy, Catalog()).action is AlertAction.RECORD  # no severity: the default, recorded


def test_the_service_comes_from_the_service_label_then_job_and_its_catalog_entry_sets_the_channel() -> None:
    policy = AlertPolicy()
    assert decide({"service": "imports", "job": "x", "severity": "warning"}, policy, CATALOG).channel == "#imports"
    by_job = decide({"job": "import-worker", "severity": "warning"}, policy, CATALOG)
    assert (by_job.service, by_job.channel) == ("imports", "#imports")
    unknown = decide({"job": "ledger", "severity": "warning"}, policy, CATALOG)
    assert (unknown.service, unknown.channel, unknown.catalog_entry) == ("ledger", "#alerts", None)


def test_the_first_matching_route_overrides_service_severity_action_and_channel() -> None:
    policy = AlertPolicy(routes=(
        Route(match={"alertname": "DiskFull"}, service="imports", severity="SEV2", action=AlertAction.DECLARE),
        Route(match={"alertname": "DiskFull"}, action=AlertAction.RECORD),
        Route(match={"team": "ledger"}, channel="#ledger", auto_resolve=True)))
    disk = decide({"alertname": "DiskFull", "severity": "info"}, policy, CATALOG)
    assert (disk.service, disk.severity, disk.action, disk.channel) == ("imports", "SEV2", AlertAction.DECLARE, "#imports")
    ledger = decide({"team": "ledger", "severity": "warning"}, policy, CATALOG)
    assert (ledger.channel, ledger.auto_resolve) == ("#ledger", True)


def test_changes_name_alerts_firing_anew_and_resolving_and_ignore_a_repeat() -> None:
    a, b = (Alert(fingerprint=f, status=FIRING, labels={"alertname": "X"}) for f in ("a", "b"))
    first = changes({}, [a])
    assert [x.fingerprint for x in first.fired] == ["a"] and not first.resolved
    assert not changes(first.statuses, [a]).any  # Alertmanager's repeat: nothing new
    later = changes(first.statuses, [Alert("a", RESOLVED, {}), b])
    assert [x.fingerprint for x in later.fired] == ["b"] and [x.fingerprint for x in later.resolved] == ["a"]
    assert not later.all_resolved and changes(later.statuses, [Alert("b", RESOLVED, {})]).all_resolved


def test_warroom_yaml_sets_alert_routing_and_the_service_catalog() -> None:
    policy = parse_config(yaml.safe_dump({
        "alerts": {"channel": "#ops-alerts", "severities": {"page": "SEV0"},
                   "routes": [{"match": {"alertname": "Backlog"}, "action": "triage", "service": "imports"}]},
        "services": [{"id": "imports", "name": "Import pipeline", "owner": "team-data", "oncall": "app",
                      "channel": "#imports", "usergroup": "S0DATA", "runbooks": ["depositmatch-import-pipeline"],
                      "status_component": "Imports", "tier": 1}],
    })).policy
    assert policy.alerts.channel == "#ops-alerts" and policy.alerts.severities["page"] == "SEV0"
    assert policy.alerts.severities["critical"] == "SEV1"  # the shipped map, merged key by key
    assert policy.alerts.routes[0].action is AlertAction.TRIAGE
    imports = policy.catalog.find("imports")
    assert imports is not None and imports.runbooks == ("depositmatch-import-pipeline",) and imports.tier == 1


def test_an_alert_severity_that_names_no_severity_fails_by_key() -> None:
    with pytest.raises(ConfigError, match=r"alerts.severities.critical: 'SEV9' is not a severity"):
        parse_config(yaml.safe_dump({"alerts": {"severities": {"critical": "SEV9"}}}))


def test_a_catalog_directory_adds_services_and_backstage_components(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "ledger.yaml").write_text(yaml.safe_dump({"id": "ledger", "channel": "#ledger"}))
    (tmp_path / "catalog" / "catalog-info.yaml").write_text(yaml.safe_dump_all([
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
         "metadata": {"name": "portal", "title": "Client portal", "annotations": {
             "warroom.io/slack-channel": "#portal", "warroom.io/oncall": "app", "warroom.io/runbooks": "a, b"}},
         "spec": {"type": "service", "owner": "group:team-web", "lifecycle": "production"}},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "System", "metadata": {"name": "billing"}}]))
    policy = parse_config("catalog: catalog\n", base=tmp_path).policy
    assert policy.catalog.ids() == ["portal", "ledger"]  # files in name order
    portal = policy.catalog.find("portal")
    assert portal is not None and (portal.name, portal.owner, portal.channel, portal.runbooks) == (
        "Client portal", "team-web", "#portal", ("a", "b"))
    (tmp_path / "catalog" / "dup.yaml").write_text(yaml.safe_dump({"id": "ledger"}))
    with pytest.raises(ConfigError, match="'ledger' is defined twice"):
        parse_config("catalog: catalog\n", base=tmp_path)


def test_oncall_names_the_catalog_services_each_rotation_covers() -> None:
    rotation = Rotation(id="app", name="Application on-call", members=("U1", "U2"), start=date(2026, 1, 5),
                        handoff_time=time(9, 0), length_days=7, timezone="UTC")
    duty = on_call(rotation, datetime(2026, 12, 4, 12, tzinfo=UTC))
    catalog = Catalog((*CATALOG.services, Service(id="ledger", name="Ledger <core>", oncall="app"), Service(id="x")))
    [block] = oncall_blocks([(rotation, duty)], catalog)
    assert block["text"]["text"].endswith("\nOn call for imports, Ledger &lt;core&gt;")
    [plain] = oncall_blocks([(rotation, duty)])
    assert "On call for" not in plain["text"]["text"]


@pytest.mark.parametrize(("url", "named"), [
    ("https://wiki.example/runbooks/api-high-latency", "api-high-latency"),
    ("https://wiki.example/runbooks/api-high-latency.md#steps", "api-high-latency"),
    ("https://git.example/ops/blob/main/runbooks/api-high-latency.yaml?plain=1", "api-high-latency"),
    ("https://wiki.example/runbooks/api-high-latency/", "api-high-latency"),
    ("https://wiki.example/runbooks/unknown-page", ""),
    ("api-high-latency", ""),  # not a URL: the `runbook` annotation is for ids
    ("", ""),
])
def test_a_runbook_url_attaches_the_runbook_its_last_path_part_names(url: str, named: str) -> None:
    assert runbook_named_by_url(url, frozenset({"api-high-latency", "db-failover"})) == named
