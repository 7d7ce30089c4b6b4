"""What stakeholders hear about in the announcements channel, besides a declaration.

Every severity raise, a resolution (with its summary) and a reopening are announced; a lowering
only when the policy asks for it (`announce_severity_lowered`). Other status moves stay in the
incident channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.policy import Policy


class News(StrEnum):
    """A change the announcements channel is told about."""

    SEVERITY_RAISED = "severity_raised"
    SEVERITY_LOWERED = "severity_lowered"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@dataclass(frozen=True)
class Announcement:
    """One change to announce: what, who made it, and the severity or status it replaced."""

    news: News
    actor: str
    previous: str


def severity_news(policy: Policy, old: str, new: str, actor: str) -> Announcement | None:
    """The announcement of a severity change from `old` to `new`, or None when it is not announced."""
    raised = policy.severities.get(new).rank < policy.severities.get(old).rank
    if raised:
        return Announcement(News.SEVERITY_RAISED, actor, old)
    return Announcement(News.SEVERITY_LOWERED, actor, old) if policy.announce_severity_lowered else None


def status_news(policy: Policy, old: str, new: str, actor: str) -> Announcement | None:
    """The announcement of a status change: resolving (open to closed) or reopening (closed to open)."""
    was_open, is_open = policy.lifecycle.is_open(old), policy.lifecycle.is_open(new)
    if was_open and not is_open:
        return Announcement(News.RESOLVED, actor, old)
    if is_open and not was_open:
        return Announcement(News.REOPENED, actor, old)
    return None
