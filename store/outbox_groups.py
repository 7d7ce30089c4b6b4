"""Grouped notices in SQL: when a notice's turn in its channel comes, the notices of its group
waiting behind it go out with it, as one message (see bot.domain.grouping).

Only a notice that has never been tried is grouped: one that may have reached Slack already (an
uncertain retry) is looked up by its tag and must stay as it was posted. The notices taken into
the group are marked `merged` in the transaction that leases the head, so each goes out exactly once:
as a line of the head's message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.grouping import MAX_LINES, grouped_text
from bot.domain.outbox import CallState
from store.tables import core_rows

_PENDING = CallState.PENDING.value


async def merge_waiting_notices(s: AsyncSession, table: Any, heads: Sequence[Any], now: datetime) -> dict[int, dict[str, Any]]:
    """For each fresh notice among the leased `heads` with others of its group waiting behind it in its
    lane: the params of its grouped message (by head id); those others are marked merged."""
    grouped: dict[int, dict[str, Any]] = {}
    for head in heads:
        if head.group_key is None or head.attempts or head.uncertain:
            continue
        pick = (select(table.c.id, table.c.group_line)
                .where(table.c.lane == head.lane, table.c.state == _PENDING, table.c.group_key == head.group_key,
                       table.c.id > head.id, table.c.next_attempt_at <= now, table.c.leased_until.is_(None))
                .order_by(table.c.id).limit(MAX_LINES - 1).with_for_update(skip_locked=True))
        waiting = (await core_rows(s, pick)).all()
        if not waiting:
            continue
        text, count = grouped_text(head.group_heading, [head.group_line, *(w.group_line for w in waiting)])
        taken = [w.id for w in waiting[:count - 1]]
        if not taken:
            continue
        params = {k: v for k, v in json.loads(head.params).items() if k != "blocks"}
        params["text"] = text
        await s.exec(update(table).where(table.c.id == head.id)
                     .values(params=json.dumps(params, separators=(",", ":"))))
        await s.exec(update(table).where(table.c.id.in_(taken))
                     .values(state=CallState.MERGED.value, sent_at=now))
        grouped[head.id] = params
    return grouped
