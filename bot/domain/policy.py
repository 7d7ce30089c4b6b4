"""The incident policy: severities, lifecycle, channels and naming, as one immutable value."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.alert_routing import AlertPolicy
from bot.domain.catalog import Catalog
from bot.domain.classes import DEFAULT_CLASSES, IncidentClass
from bot.domain.lifecycle import Lifecycle
from bot.domain.oncall import Rotation
from bot.domain.permissions import Permissions
from bot.domain.severity import SeverityScale
from bot.domain.status_policy import StatusPagePolicy

CHANNEL_NAME_MAX = 80
# The KPIs' defaults (bot/domain/kpis.py and followup_kpis.py use these; warroom.yaml's insights.* override them).
RECURRENCE_WINDOW = timedelta(days=30)  # an earlier incident of the class this recent makes one recur
FOLLOWUP_OVERDUE_AFTER = timedelta(days=30)  # an open follow-up this old is overdue


@dataclass(frozen=True)
class Role:
    """An incident role and its duties; a restricted role, once held, is reassigned only by its holder or an admin."""

    id: str
    label: str
    duties: str
    restricted: bool = False


DEFAULT_ROLES = (
    Role("commander", "Incident commander", "Leads the response, decides, delegates and owns the incident until handover.", True),
    Role("comms", "Communications lead", "Posts status updates to stakeholders and the status page on the update cadence."),
    Role("scribe", "Scribe", "Keeps the timeline: notes decisions, actions and findings as they happen."),
)
_SLUG_STRIP = re.compile(r"[^a-z0-9_-]+")


def slugify(text: str) -> str:
    """Lower-case ASCII slug of `text` using only Slack's channel characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_STRIP.sub("-", ascii_text.lower())
    return re.sub(r"-{2,}", "-", slug).strip("-_")


@dataclass(frozen=True)
class Policy:
    """Everything Warroom needs to know about how this team runs incidents."""

    severities: SeverityScale
    lifecycle: Lifecycle
    announcements_channel: str | None
    channel_name_pattern: str = "inc-{number}-{title}"
    duplicate_window: timedelta = timedelta(hours=1)
    duplicate_similarity: float = 0.75
    timezone: str = "UTC"
    roles: tuple[Role, ...] = DEFAULT_ROLES
    role_admins: tuple[str, ...] = ()  # the older name of permissions.admins; still counts as admins
    timeline_emoji: str = "pushpin"
    review_template: str | None = None  # Jinja2 Markdown replacing the shipped review template
    rotations: tuple[Rotation, ...] = ()
    permissions: Permissions = field(default_factory=Permissions)
    announce_severity_lowered: bool = False  # raises are always announced; lowering only when asked
    alerts: AlertPolicy = field(default_factory=AlertPolicy)  # routing of monitoring alerts
    catalog: Catalog = field(default_factory=Catalog)  # the services
    status_page: StatusPagePolicy = field(default_factory=StatusPagePolicy)  # the public status page
    classes: tuple[IncidentClass, ...] = DEFAULT_CLASSES  # incident classes (types) for /incident class and KPIs
    class_required_at_resolve: bool = False  # an incident without a class cannot be resolved
    # KPIs (insights.* in warroom.yaml): an earlier incident of the class this recent makes one recur;
    # an open follow-up this old is overdue.
    recurrence_window: timedelta = RECURRENCE_WINDOW
    followup_overdue_after: timedelta = FOLLOWUP_OVERDUE_AFTER

    @property
    def access(self) -> Permissions:
        """Who may do what, with the older `role_admins` counted as admins."""
        return self.permissions.with_admins(self.role_admins)

    def role(self, role_id: str) -> Role:
        """The role with this id or label (case-insensitive), or KeyError."""
        wanted = role_id.strip().lower().lstrip("@")
        for role in self.roles:
            if wanted in (role.id, role.label.lower()):
                return role
        raise KeyError(role_id)

    def channel_name(self, *, number: int, title: str, severity: str, date: str, suffix: int = 0) -> str:
        """The incident channel name from the pattern, at most 80 chars of `[a-z0-9_-]`.

        `suffix` > 0 is appended (`-2`, `-3`...) when the name is taken; the title part is
        shortened first so the suffix always fits.
        """
        tail = f"-{suffix}" if suffix else ""
        fields = {"number": str(number), "severity": slugify(severity), "date": slugify(date)}
        without_title = slugify(self.channel_name_pattern.format(title="", **fields))
        room = CHANNEL_NAME_MAX - len(without_title) - len(tail)
        title_slug = slugify(title)[: max(room, 0)].strip("-_")
        name = slugify(self.channel_name_pattern.format(title=title_slug, **fields))
        name = name[: CHANNEL_NAME_MAX - len(tail)].strip("-_") + tail
        return name or f"inc-{number}{tail}"
