"""Migration 0018 fills in the KPI samples of incidents stored before it, by the rule Incident uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

import store.columns
from bot.domain.incident import NewIncident
from store.engine import create_engine
from store.migrate import upgrade

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)

_INCIDENT_0017 = sa.table(
    "incident", sa.column("id", sa.Integer()), sa.column("team_id", sa.String()), sa.column("number", sa.Integer()),
    sa.column("title", sa.String()), sa.column("summary", sa.String()), sa.column("service", sa.String()),
    sa.column("severity", sa.String()), sa.column("status", sa.String()), sa.column("declared_by", sa.String()),
    sa.column("declared_at", store.columns.UTCDateTime()), sa.column("resolved_at", store.columns.UTCDateTime()),
    sa.column("roles", sa.JSON()), sa.column("milestones", sa.JSON()), sa.column("resolution", sa.String()),
    sa.column("impact", sa.String()), sa.column("root_cause", sa.String()), sa.column("links", sa.JSON()),
    sa.column("custom_fields", sa.JSON()),
)
_SAMPLES = sa.table("incident", sa.column("id", sa.Integer()), sa.column("seconds_to_acknowledge", sa.Float()),
                    sa.column("seconds_to_resolve", sa.Float()))


def _row(id_: int, milestones: dict[str, datetime], resolved_at: datetime | None = None) -> dict[str, object]:
    return {"id": id_, "team_id": "T1", "number": id_, "title": "t", "summary": "", "service": "", "severity": "SEV2",
            "status": "resolved" if resolved_at or "resolved" in milestones else "investigating",
            "declared_by": "U1", "declared_at": NOW, "resolved_at": resolved_at, "roles": {},
            "milestones": {k: v.isoformat() for k, v in milestones.items()}, "resolution": "", "impact": "",
            "root_cause": "", "links": {}, "custom_fields": {}}


async def test_upgrading_fills_in_the_samples_of_stored_incidents_as_incident_computes_them(database_url: str) -> None:
    cases = {
        1: ({"detected": NOW - timedelta(minutes=5), "acknowledged": NOW + timedelta(minutes=7, microseconds=250),
             "resolved": NOW + timedelta(hours=3)}, None),
        2: ({}, NOW + timedelta(hours=1)),  # closed before milestones were kept: resolved_at stands in
        3: ({"acknowledged": NOW + timedelta(seconds=30)}, None),  # detected falls back to declared_at
        4: ({}, None),  # neither
    }
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0017")
        async with engine.begin() as conn:
            await conn.execute(_INCIDENT_0017.insert(), [_row(i, m, r) for i, (m, r) in cases.items()])
        await upgrade(engine)
        async with engine.connect() as conn:
            stored = {i: (a, r) for i, a, r in (await conn.execute(sa.select(_SAMPLES).order_by(_SAMPLES.c.id))).all()}
        for id_, (milestones, resolved_at) in cases.items():
            expected = NewIncident(team_id="T1", number=id_, title="t", severity="SEV2", status="x", declared_by="U1",
                                   declared_at=NOW, milestones=milestones, resolved_at=resolved_at)
            ack, fix = expected.acknowledged_after, expected.resolved_after
            assert stored[id_] == (None if ack is None else ack.total_seconds(),
                                   None if fix is None else fix.total_seconds()), id_
        assert stored[1] == (720.00025, 3 * 3600 + 300.0) and stored[4] == (None, None)
    finally:
        await engine.dispose()
