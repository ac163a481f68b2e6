"""Per-user and per-conversation rate limits, shared by every replica through the store.

A fixed one-minute window per key (``INCR`` with a TTL) is enough here: the point is
to stop a runaway script or a stuck client from flooding a channel, not to shape
traffic. Escalation submits and installs are not limited per minute (a form must never
be lost to a burst of button presses); instead each user may send a few escalations per
ten minutes (``escalations_per_user``), counted only when one is actually created. When
the store is down the limiter lets turns through (refusing everyone would be worse than
a burst).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.turn import Turn, TurnKind

LIMITED_KINDS = frozenset({TurnKind.COMMAND, TurnKind.MESSAGE, TurnKind.MENTION, TurnKind.ACTION})
WINDOW = 60
ESCALATION_WINDOW = 600


@dataclass(frozen=True, slots=True)
class Limits:
    """Turns allowed per minute, escalations per user per ten minutes; 0 switches a limit off."""

    per_user: int = 30
    per_conversation: int = 120
    escalations_per_user: int = 0


def escalation_counter(turn: Turn, limits: Limits, now: float) -> tuple[str, int] | None:
    """(store key, allowed) for the user's escalations in this ten-minute window, if limited."""
    if not limits.escalations_per_user:
        return None
    window = int(now // ESCALATION_WINDOW)
    return f"rl:esc:{turn.platform}:{turn.where.tenant}:{turn.user_id}:{window}", limits.escalations_per_user


def counters(turn: Turn, limits: Limits, now: float) -> list[tuple[str, str, int]]:
    """(scope, store key, allowed) for each limit that applies to this turn."""
    if turn.kind not in LIMITED_KINDS:
        return []
    window = int(now // WINDOW)
    checks: list[tuple[str, str, int]] = []
    if limits.per_user:
        checks.append(("user", f"rl:u:{turn.platform}:{turn.where.tenant}:{turn.user_id}:{window}", limits.per_user))
    if limits.per_conversation:
        checks.append(("conversation", f"rl:c:{turn.where.key}:{window}", limits.per_conversation))
    return checks


def exceeded(checks: list[tuple[str, str, int]], counts: list[int]) -> str | None:
    """The scope whose limit the counts exceed, else None."""
    for (scope, _, allowed), count in zip(checks, counts, strict=True):
        if count > allowed:
            return scope
    return None
