"""The static site's files: Statuspage's JSON shapes, feeds a feed parser reads, escaped HTML."""

from __future__ import annotations

import html
import json
from pathlib import Path

import feedparser

from store.status_site.writer import render_site, write_site
from tests.statuspage.pages import sample_page
from tests.statuspage.shapes import PAGE, STATUS, check, check_component, check_incident

API = ("api/v2/summary.json", "api/v2/status.json", "api/v2/components.json", "api/v2/incidents.json",
       "api/v2/incidents/unresolved.json")


def _site(tmp_path: Path) -> Path:
    write_site(tmp_path / "status", render_site(sample_page()))
    return tmp_path / "status"


def _json(site: Path, path: str) -> dict:
    return json.loads((site / path).read_text(encoding="utf-8"))


def test_every_endpoint_has_statuspage_fields_and_types(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for path in API:
        check(_json(site, path)["page"], PAGE, f"{path}.page")
    summary = _json(site, "api/v2/summary.json")
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    check(summary["status"], STATUS, "summary.status")
    check(_json(site, "api/v2/status.json")["status"], STATUS, "status.status")
    for doc in (summary, _json(site, "api/v2/components.json")):
        for n, component in enumerate(doc["components"]):
            check_component(component, f"components[{n}]")
    for path in ("api/v2/summary.json", "api/v2/incidents.json", "api/v2/incidents/unresolved.json"):
        for n, incident in enumerate(_json(site, path)["incidents"]):
            check_incident(incident, f"{path}.incidents[{n}]")


def test_the_endpoints_say_what_the_page_says(tmp_path: Path) -> None:
    site = _site(tmp_path)
    summary = _json(site, "api/v2/summary.json")
    assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}
    assert [i["name"] for i in summary["incidents"]] == ["Bank statement imports delayed"]
    assert _json(site, "api/v2/incidents/unresolved.json")["incidents"] == summary["incidents"]
    assert [i["name"] for i in _json(site, "api/v2/incidents.json")["incidents"]] == [
        "Bank statement imports delayed", "Bank sync failing"]
    components = {c["name"]: c for c in _json(site, "api/v2/components.json")["components"]}
    assert components["Imports"]["status"] == "major_outage"
    assert components["Banking"]["group"] is True
    assert components["Banking"]["components"] == [components["Imports"]["id"], components["Bank sync"]["id"]]
    assert components["Imports"]["group_id"] == components["Banking"]["id"]
    updates = summary["incidents"][0]["incident_updates"]
    assert [(u["status"], u["body"]) for u in updates] == [
        ("identified", "We found the cause & are fixing it <fast>."),
        ("investigating", "We are investigating delayed imports.")]


def test_the_atom_and_rss_feeds_parse_and_list_every_update_newest_first(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for name, version in (("history.atom", "atom10"), ("history.rss", "rss20")):
        feed = feedparser.parse((site / name).read_bytes())
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert feed.version == version
        assert [e.title for e in feed.entries] == [
            "Bank statement imports delayed: Identified", "Bank statement imports delayed: Investigating",
            "Bank sync failing: Resolved", "Bank sync failing: Investigating"]
        assert html.unescape(feed.entries[0].summary) == "We found the cause & are fixing it <fast>."
        assert feed.entries[0].link.startswith("https://status.example.com/#incident-")
        assert len({e.id for e in feed.entries}) == 4


def test_the_html_reads_without_javascript_and_escapes_update_text(tmp_path: Path) -> None:
    page = (_site(tmp_path) / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page
    assert "We found the cause &amp; are fixing it &lt;fast&gt;." in page
    assert "Next update expected by" in page and "Major System Outage" in page
    assert page.count('class="bars"') == 3
