"""How the insights are tuned for one deployment, and where their metrics go.

Passed to the handlers in ``Services.insights`` (``bot.services.build_services`` fills it
from the settings; handler tests that leave it out get 30 days of samples, no metrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
