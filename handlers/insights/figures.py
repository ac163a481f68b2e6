"""The figures a view shows, read back from the store for a period.

Questions come from the per-day counters (``counts``); escalations from their records
(state, and when they were first acknowledged and resolved), compared with the reminder
intervals of ``config/onboarding.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from handlers.catalog import Catalog
from handlers.escalation_records import URGENCIES, Escalation, Escalations
from handlers.insights import counts
from handlers.insights.counts import Tally
from handlers.ports import Store

STATES = ("open", "acknowledged", "resolved")


@dataclass(slots=True)
class Timings:
    """Seconds from creation to a step, for one urgency."""

    seconds: list[float] = field(default_factory=list)

    def median(self) -> float | None:
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    def within(self, limit: float) -> int:
        return sum(1 for s in self.seconds if s <= limit)


@dataclass(slots=True)
class EscalationFigures:
    states: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATES})
    to_ack: dict[str, Timings] = field(default_factory=lambda: {u: Timings() for u in URGENCIES})
    to_resolve: dict[str, Timings] = field(default_factory=lambda: {u: Timings() for u in URGENCIES})

    @property
    def total(self) -> int:
        return sum(self.states.values())

    def add(self, esc: Escalation) -> None:
        self.states[esc.state] = self.states.get(esc.state, 0) + 1
        acked = next((e for e in esc.history if e.what in ("acknowledged", "assigned", "resolved")), None)
        resolved = next((e for e in esc.history if e.what == "resolved"), None)
        if acked is not None and esc.urgency in self.to_ack:
            self.to_ack[esc.urgency].seconds.append(_since(esc, acked.at))
        if resolved is not None and esc.urgency in self.to_resolve:
            self.to_resolve[esc.urgency].seconds.append(_since(esc, resolved.at))


def _since(esc: Escalation, iso: str) -> float:
    return max(0.0, (dt.datetime.fromisoformat(iso) - esc.created).total_seconds())


@dataclass(slots=True)
class Figures:
    days: int
    total: Tally
    accounts: dict[str, Tally]
    escalations: EscalationFigures
    account_escalations: dict[str, EscalationFigures]
    remind_seconds: dict[str, float]


async def gather(store: Store, catalog: Catalog, now: dt.datetime, days: int) -> Figures:
    tallies = await counts.read_tallies(store, catalog, counts.days_ending(now.date(), days))
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
    since = now - dt.timedelta(days=days)
    records = Escalations(store)
    overall = EscalationFigures()
    per_account: dict[str, EscalationFigures] = {}
    for account in catalog.accounts:
        mine = EscalationFigures()
        for esc in await records.for_account(account.id, limit=1000):
            if esc.created >= since:
                mine.add(esc)
                overall.add(esc)
        per_account[account.id] = mine
    remind = {u: 60.0 * catalog.onboarding.remind_after_minutes.get(u, 240) for u in URGENCIES}  # type: ignore[call-overload]
    return Figures(days, total, tallies, overall, per_account, remind)

