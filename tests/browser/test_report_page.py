"""The HTML report in Chromium: opened from a file with no network (nothing but the file itself is requested),
its chart drawn inline, axe-core finding no serious or critical WCAG 2.1 AA violation, on screen and in print."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, Request, expect

from bot.config import load_policy
from bot.reporting import render_html
from bot.services.clock import SystemClock
from bot.services.report import ReportService
from store.engine import create_engine, session_factory
from store.uow import SqlUnitOfWork
from tests.browser.axe_check import serious_violations
from tests.report_seed import PERIOD, seed_report_database


async def _report_file(tmp_path: Path) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}"
    await seed_report_database(url)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        service = ReportService(uow=lambda: SqlUnitOfWork(sessions), clock=SystemClock(), policy=load_policy(None))
        report = await service.report(PERIOD)
    finally:
        await engine.dispose()
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


async def test_the_html_report_opens_offline_and_passes_axe_on_screen_and_in_print(
    page: Page, tmp_path: Path, artifacts: Path,
) -> None:
    path = await _report_file(tmp_path)
    requested: list[str] = []

    def seen(request: Request) -> None:
        requested.append(request.url)

    page.on("request", seen)
    await page.goto(path.as_uri(), wait_until="load")
    await expect(page.locator("h1")).to_have_text("Operations review: 2026-02-01 to 2026-02-28")
    assert requested == [path.as_uri()]  # no stylesheet, font, script or image fetched: it works offline
    chart = page.locator("figure svg[role=img]")
    await expect(chart).to_be_visible()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn at a readable size
    await expect(page.locator("#by-class + thead + tbody tr").first).to_contain_text("Queue failure")
    recurrence = page.locator("table").filter(has_text="Recurring").locator("tbody tr").first
    await expect(recurrence.locator("th, td")).to_have_text(["Queue failure", "2", "1", "50%"])
    await page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    assert await serious_violations(page) == []

    await page.emulate_media(media="print")
    assert await page.evaluate("getComputedStyle(document.querySelector('table')).breakInside") == "avoid"
    await page.screenshot(path=str(artifacts / "report-print.png"), full_page=True)
    assert await serious_violations(page) == []
    assert requested == [path.as_uri()]
