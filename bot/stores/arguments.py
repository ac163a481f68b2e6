"""Argument checks both stores apply, so a call that works on one works on the other.

The in-memory store would accept things Redis refuses (a non-str value, a zero TTL,
NaN scores) and Redis would coerce things the in-memory store keeps as they are; both
refuse them the same way here instead, and the contract tests hold them to it.
"""

from __future__ import annotations

import math


def check_str(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value


def check_ttl(ttl: float | None) -> float | None:
    """Reject TTLs Redis would reject too, rather than silently keeping a key forever."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise TypeError(f"ttl must be a number of seconds, not {type(ttl).__name__}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise ValueError(f"ttl must be a positive finite number of seconds, got {ttl!r}")
    return float(ttl)


def check_score(score: float) -> float:
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise TypeError(f"score must be a number, not {type(score).__name__}")
    if math.isnan(score):
        raise ValueError("score must not be NaN")
    return float(score)


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be int, not {type(limit).__name__}")
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return limit
