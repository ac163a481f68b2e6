"""Prometheus metrics, one registry per app (no global registry: tests build many apps).

Besides the bot's own metrics, the registry carries the standard process
(``process_*``: CPU, memory, file descriptors, start time) and Python runtime
(``python_info``, ``python_gc_*``) collectors, as a process on the default registry
would, so dashboards and alerts written for any Python service work here too.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "bot_requests_total", "Turns handled, by platform and intent.",
            ["platform", "intent"], registry=self.registry,
        )
        # Slack or Teams refusing or not answering a call: their weather, retried or parked.
        self.errors = Counter(
            "bot_outbound_failures_total", "Calls to Slack or Teams that failed, by platform and kind.",
            ["platform", "kind"], registry=self.registry,
        )
        # An exception in the bot's own code: a bug, logged with its traceback. Stays at 0.
        self.bugs = Counter(
            "bot_errors_total", "Exceptions in the bot's own code, by platform and where they were caught.",
            ["platform", "where"], registry=self.registry,
        )
        self.latency = Histogram(
            "bot_request_seconds", "Time to answer a turn, by platform and intent.",
            ["platform", "intent"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.rejected = Counter(
            "bot_rejected_total", "Requests refused before any handler ran (auth, size, format).",
            ["platform", "reason"], registry=self.registry,
        )
        self.rate_limited = Counter(
            "bot_rate_limited_total", "Turns answered with a rate-limit notice.",
            ["platform", "scope"], registry=self.registry,
        )
        self.outbox_undeliverable = Gauge(
            "bot_outbox_undeliverable", "Notifications parked for good (details in the log).", registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "bot_outbox_pending", "Notifications waiting to be delivered.", registry=self.registry,
        )
        self.outbox_delivered = Counter(
            "bot_outbox_delivered_total", "Notifications delivered, by platform.",
            ["platform"], registry=self.registry,
        )
        self.outbox_failed = Counter(
            "bot_outbox_failures_total", "Failed delivery attempts, by platform and kind.",
            ["platform", "kind"], registry=self.registry,
        )

        # Replies and other work run after an ack: how many are in flight, and how often
        # they had to run beyond the limit because no slot freed up in time (a stalled API).
        self.background_pending = Gauge(
            "bot_background_tasks", "Work started after an acknowledgement and still running.", registry=self.registry,
        )
        self.background_overflow = Counter(
            "bot_background_overflow_total", "Background work started beyond the limit, not to delay an acknowledgement.",
            registry=self.registry,
        )

        self._turns: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def observe(self, platform: str, intent: str, seconds: float) -> None:
        # The labelled children are kept: ``labels()`` validates and locks on every
        # call, which cost more than the observation itself on a busy command.
        turn = self._turns.get((platform, intent))
        if turn is None:
            turn = self._turns[(platform, intent)] = (
                self.requests.labels(platform, intent), self.latency.labels(platform, intent)
            )
        turn[0].inc()
        turn[1].observe(seconds)

    def bug(self, platform: str, where: str) -> None:
        """Count an exception in the bot's own code (the caller logs its traceback)."""
        self.bugs.labels(platform, where).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
