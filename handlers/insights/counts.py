"""Per-day counters of questions: by account, outcome and topic.

Only numbers are kept here, one store counter per (day, account, metric), each living
``COUNT_TTL`` (a little over the longest period a view shows, so nothing older lingers).
Days are UTC dates. A conversation that belongs to no account counts under ``UNLINKED``.

"Followed by an escalation within an hour" is counted when the escalation is created:
each question leaves a short-lived note on its conversation (when, which day, which
account; never the text) and the escalation claims the notes of the last hour.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from handlers.catalog import Catalog
from handlers.ports import Store

DAY = 86400
COUNT_TTL = 40 * DAY
FOLLOW_UP_SECONDS = 3600
UNLINKED = "-"
ASKED, ROUTED, NOT_SURE, URGENT, ESCALATED = "asked", "routed", "not_sure", "urgent", "escalated"
OUTCOMES = (ROUTED, NOT_SURE, URGENT, ESCALATED)
_MAX_RECENT = 50


def count_key(day: dt.date, account: str, metric: str) -> str:
    return f"ins:n:{day.isoformat()}:{account}:{metric}"


def topic_metric(topic: str) -> str:
    return f"t.{topic}"


def _recent_key(conversation: str) -> str:
    return f"ins:recent:{conversation}"


async def count(store: Store, day: dt.date, account: str, metrics: Iterable[str]) -> None:
    for metric in metrics:
        await store.incr(count_key(day, account, metric), ttl=COUNT_TTL)


async def note_question(store: Store, conversation: str, account: str, now: dt.datetime) -> None:
    """Remember, for an hour, that ``conversation`` asked something (for ``ESCALATED``).

    Last write wins: two replicas answering the same conversation in the same instant
    may forget one note, which costs one "escalated" count at most."""
    key = _recent_key(conversation)
    stamp = now.timestamp()
    raw = await store.get(key)
    notes = [n for n in (json.loads(raw) if raw else []) if n[0] > stamp - FOLLOW_UP_SECONDS]
    notes = [*notes[-(_MAX_RECENT - 1):], [stamp, now.date().isoformat(), account]]
    await store.set(key, json.dumps(notes), ttl=FOLLOW_UP_SECONDS)


async def escalated_after_questions(store: Store, conversation: str, now: dt.datetime) -> int:
    """An escalation was created in ``conversation``: count the questions of the hour
    before it as followed by an escalation, once (the notes are claimed by compare-and-set,
    so two replicas or a retried submit never count them twice). Returns how many."""
    key = _recent_key(conversation)
    raw = await store.get(key)
    if not raw or raw == "[]":
        return 0
    if not await store.replace(key, raw, "[]"):
        return 0
    stamp = now.timestamp()
    claimed = [n for n in json.loads(raw) if stamp - FOLLOW_UP_SECONDS <= n[0] <= stamp + 60]
    for _, day, account in claimed:
        await count(store, dt.date.fromisoformat(day), account, (ESCALATED,))
    return len(claimed)


@dataclass(slots=True)
class Tally:
    """The counts of one account (or all) over a period."""

    asked: int = 0
    routed: int = 0
    not_sure: int = 0
    urgent: int = 0
    escalated: int = 0
    topics: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.asked += other.asked
        self.routed += other.routed
        self.not_sure += other.not_sure
        self.urgent += other.urgent
        self.escalated += other.escalated
        for topic, n in other.topics.items():
            self.topics[topic] = self.topics.get(topic, 0) + n

    def top_topics(self, limit: int = 5) -> list[tuple[str, int]]:
        return sorted(self.topics.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def topic_ids(catalog: Catalog) -> list[str]:
    return [each.id for route in catalog.routing.routes for each in route.self_and_narrower()]


def account_ids(catalog: Catalog) -> list[str]:
    return [account.id for account in catalog.accounts] + [UNLINKED]


def days_ending(today: dt.date, days: int) -> list[dt.date]:
    return [today - dt.timedelta(days=i) for i in range(days)]


async def read_tallies(store: Store, catalog: Catalog, days: Sequence[dt.date]) -> dict[str, Tally]:
    """Every account's tally over ``days``, in one ``get_many``."""
    topics = topic_ids(catalog)
    metrics = [ASKED, *OUTCOMES, *(topic_metric(t) for t in topics)]
    accounts = account_ids(catalog)
    keys = [count_key(day, account, metric) for account in accounts for day in days for metric in metrics]
    values = iter(await store.get_many(keys))
    tallies: dict[str, Tally] = {}
    for account in accounts:
        tally = Tally()
        for _day in days:
            for metric in metrics:
                raw = next(values)
                n = int(raw) if raw else 0
                if not n:
                    continue
                if metric.startswith("t."):
                    tally.topics[metric[2:]] = tally.topics.get(metric[2:], 0) + n
                else:
                    setattr(tally, metric, getattr(tally, metric) + n)
        tallies[account] = tally
    return tallies
