"""Prometheus figures of what customers ask and how fast escalations are handled.

Kept beside ``bot.metrics`` on the same registry; implements the handlers'
``UsageMeter`` port. Labels are fixed words and routing topic ids only: never a
question's text, an account or a user.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_STEP_BUCKETS = (60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 86400, 7 * 86400)


class UsageMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "bot_questions_total", "Questions, by outcome (routed, not_sure, urgent, escalated).",
            ["outcome"], registry=registry,
        )
        self.topics = Counter(
            "bot_question_topics_total", "Questions answered with a route, by routing topic id.",
            ["topic"], registry=registry,
        )
        self.acknowledge = Histogram(
            "bot_escalation_acknowledge_seconds", "Time from an escalation to its first acknowledgement, by urgency.",
            ["urgency"], registry=registry, buckets=_STEP_BUCKETS,
        )
        self.resolve = Histogram(
            "bot_escalation_resolve_seconds", "Time from an escalation to its resolution, by urgency.",
            ["urgency"], registry=registry, buckets=_STEP_BUCKETS,
        )

    def question(self, outcome: str, topic: str | None) -> None:
        self.outcomes.labels(outcome).inc()
        if topic is not None:
            self.topics.labels(topic).inc()

    def escalation_timing(self, step: str, urgency: str, seconds: float) -> None:
        histogram = self.acknowledge if step == "acknowledge" else self.resolve
        histogram.labels(urgency).observe(seconds)
