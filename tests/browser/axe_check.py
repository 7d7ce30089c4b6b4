"""axe-core injected into the page under test: the WCAG 2.1 A/AA check the browser tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations of the page."""
    assert AXE.exists(), "axe-core is missing: `npm ci --prefix tests/browser/axe` (.ci/run does it)"
    await page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = await page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))""")
    return [v for v in result if v["impact"] in ("serious", "critical")]
