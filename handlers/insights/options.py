"""How the insights are tuned for one deployment, and where their metrics go.

Passed to the handlers in ``Services.extras["insights"]`` by the app (the console and
handler tests run without it and get the defaults: 30 days of samples, no metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from handlers.context import Services

EXTRAS_KEY = "insights"


class UsageMeter(Protocol):
    """Where question outcomes and escalation timings are counted (Prometheus in ``bot``).

    Labels are fixed words and routing topic ids only, never anything a customer typed.
    """

    def question(self, outcome: str, topic: str | None) -> None: ...

    def escalation_timing(self, step: str, urgency: str, seconds: float) -> None: ...


class NoMeter:
    def question(self, outcome: str, topic: str | None) -> None:
        return None

    def escalation_timing(self, step: str, urgency: str, seconds: float) -> None:
        return None


@dataclass(frozen=True, slots=True)
class InsightsOptions:
    """``sample_days``: how long the text of a "not sure" question is kept (0: never kept)."""

    sample_days: int = 30
    meter: UsageMeter = field(default_factory=NoMeter)


DEFAULT = InsightsOptions()


def options_for(services: Services) -> InsightsOptions:
    found = services.extras.get(EXTRAS_KEY)
    return found if isinstance(found, InsightsOptions) else DEFAULT
