"""Prometheus metrics, one registry per app (so tests and the benchmark can run several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Label values come from these fixed sets, never from a request: anyone can POST anything.
SLACK_KINDS = frozenset({"command", "event_callback", "block_actions", "block_suggestion", "view_submission",
                         "view_closed", "shortcut", "message_action", "url_verification", "ssl_check"})
REQUEST_KINDS = SLACK_KINDS | {"other", "unsigned", "malformed", "too_large", "alerts", "alerts_unknown",
                               "alerts_unauthorized", "alerts_malformed", "alerts_unavailable"}


class Metrics:
    """Requests, ack latency and incidents by state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("warroom_requests", "Slack requests handled, by kind and HTTP status",
                                ["kind", "status"], registry=self.registry)
        self.ack_seconds = Histogram(
            "warroom_ack_seconds", "Time from receiving a Slack request to acknowledging it", ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0), registry=self.registry,
        )
        self.incidents = Gauge("warroom_incidents", "Incidents by status", ["status"], registry=self.registry)
        self.outbox = Gauge("warroom_outbox", "Slack calls of this process's outbox sender, by what became of them",
                            ["state"], registry=self.registry)
        self.alerts_pending = Gauge("warroom_alert_notifications_pending",
                                    "Alert notifications stored and not handled yet (all processes)", registry=self.registry)

    def observe_request(self, kind: str, status: int, seconds: float) -> None:
        """Count one request and its ack latency."""
        kind = kind if kind in REQUEST_KINDS else "other"
        self.requests.labels(kind=kind, status=str(status)).inc()
        self.ack_seconds.labels(kind=kind).observe(seconds)

    def set_incident_counts(self, counts: dict[str, int]) -> None:
        """Replace the incidents-by-status gauge."""
        self.incidents.clear()
        for status, n in counts.items():
            self.incidents.labels(status=status).set(n)

    def set_outbox(self, *, delivered: int, failed: int, backlog: int | None) -> None:
        """Calls delivered and given up by this process, and the calls still queued (all processes)."""
        self.outbox.labels(state="delivered").set(delivered)
        self.outbox.labels(state="failed").set(failed)
        if backlog is not None:
            self.outbox.labels(state="queued").set(backlog)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
