"""Status pages for tests: components, public incidents and their updates, built by the pure domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.status_page import (
    ComponentSpec,
    ComponentStatus,
    Impact,
    Page,
    PageSettings,
    PageStatus,
    PublicIncident,
    PublicRecord,
    PublishedUpdate,
    build_page,
)

NOW = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
SPECS = (ComponentSpec("Imports", "Banking", "Bank statement imports"), ComponentSpec("Bank sync", "Banking"),
         ComponentSpec("Web app"))


def record(incident_id: int, title: str, components: tuple[str, ...], updates: list[tuple[PageStatus, str, datetime]],
           *, impact: Impact = Impact.CRITICAL, private: bool = False,
           next_update_at: datetime | None = None) -> PublicRecord:
    """A public incident with its published updates."""
    incident = PublicIncident(team_id="T1", incident_id=incident_id, public_title=title, impact=impact,
                              components=components, created_at=updates[0][2], private=private)
    published = [PublishedUpdate(team_id="T1", incident_id=incident_id, status=s, body=b, published_at=at,
                                 published_by="U_COMMS", id=n) for n, (s, b, at) in enumerate(updates, start=1)]
    return PublicRecord(incident, published, next_update_at)


def sample_page(*, now: datetime = NOW,
                manual: dict[str, ComponentStatus] | None = None) -> Page:
    """A page with one open incident (Imports) and one resolved three days ago (Bank sync)."""
    open_one = record(1, "Bank statement imports delayed", ("Imports",), [
        (PageStatus.INVESTIGATING, "We are investigating delayed imports.", now - timedelta(minutes=20)),
        (PageStatus.IDENTIFIED, "We found the cause & are fixing it <fast>.", now - timedelta(minutes=5)),
    ], next_update_at=now + timedelta(minutes=10))
    past = record(2, "Bank sync failing", ("Bank sync",), [
        (PageStatus.INVESTIGATING, "Bank sync is failing for some banks.", now - timedelta(days=3, hours=2)),
        (PageStatus.RESOLVED, "Bank sync has recovered.", now - timedelta(days=3)),
    ], impact=Impact.MAJOR)
    return build_page(PageSettings(name="DepositMatch", url="https://status.example.com", time_zone="UTC"),
                      SPECS, [open_one, past], manual or {}, now)
