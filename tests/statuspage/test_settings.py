"""`status_page:` in warroom.yaml: read once, checked by key, and the catalog's public services as components."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import parse_policy, read_config_file
from bot.domain.errors import ConfigError
from bot.domain.status_page import PublishRule
from bot.domain.status_policy import components_of


def test_the_shipped_defaults_require_the_page_for_sev0_to_sev2_and_skip_sev3() -> None:
    page = parse_policy("").status_page
    assert page.dir == "" and page.page.name == "Status" and page.page.time_zone == "UTC"
    assert [page.rule(s) for s in ("SEV0", "SEV1", "SEV2", "SEV3")] == [
        PublishRule.REQUIRED, PublishRule.REQUIRED, PublishRule.REQUIRED, PublishRule.SKIP]


def test_the_directory_is_relative_to_warroom_yaml_and_groups_and_rules_are_read(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "warroom.yaml"
    config.parent.mkdir()
    config.write_text("""
timezone: Europe/Berlin
services:
  - {id: imports, status_component: Imports}
  - {id: importer-2, status_component: Imports}
  - {id: ledger}
  - {id: web, status_component: Web app}
status_page:
  dir: site/status
  name: DepositMatch
  groups: {Banking: [Imports]}
  severities: {SEV3: optional, SEV2: skip}
""")
    policy = read_config_file(config).policy
    page = policy.status_page
    assert page.dir == str(tmp_path / "conf" / "site" / "status")
    assert page.page.time_zone == "Europe/Berlin"
    assert page.rule("SEV3") is PublishRule.OPTIONAL and page.rule("SEV2") is PublishRule.SKIP
    assert [(c.name, c.group) for c in components_of(policy.catalog, page)] == [("Imports", "Banking"), ("Web app", "")]


@pytest.mark.parametrize(("text", "key"), [
    ("status_page: {severities: {SEV1: always}}", "status_page.severities.SEV1"),
    ("status_page: {url: not-a-url}", "status_page.url"),
    ("status_page: {time_zone: Mars/Olympus}", "status_page.time_zone"),
    ("status_page: {colour: red}", "status_page.colour"),
])
def test_a_bad_value_is_refused_naming_its_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_policy(text)
