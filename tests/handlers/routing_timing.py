"""Time the matcher per question, on the questions of the labelled sets.

    ./dev timing

Prints the median and 95th percentile of ``match`` alone and of ``understand`` (match
plus the onboarding-state decisions), in microseconds: "cold" is a first pass on a fresh
index (every word looked up for the first time), "warm" the best of 5 passes (words
already seen, as in a running bot).
"""

from __future__ import annotations

import gc
import statistics
import time

from bot.config import load_catalog
from handlers.matching import build_index, match
from handlers.questions import understand
from tests.handlers import routing_accuracy as accuracy


def _timed(fn, texts: list[str], runs: int = 5) -> list[float]:
    best = [float("inf")] * len(texts)
    for _ in range(runs):
        for n, text in enumerate(texts):
            started = time.perf_counter()
            fn(text)
            best[n] = min(best[n], time.perf_counter() - started)
    return best


def main() -> int:
    catalog = load_catalog(accuracy.ROOT / "config")
    index = build_index(catalog.routing)
    ctx = accuracy.contexts(catalog)["open"]
    items = accuracy.own_items(accuracy.load(accuracy.OWN), catalog)
    for extra in (accuracy.TUNING, accuracy.TUNING2, accuracy.INDEPENDENT):
        if extra.exists():
            items += accuracy.independent_items(accuracy.load(extra))
    texts = [item.q for item in items]
    gc.disable()
    cold_index = build_index(catalog.routing)
    cold = sorted(_timed(lambda q: match(cold_index, q), texts, runs=1))
    print(f"match, cold: {len(texts)} questions, median {statistics.median(cold) * 1e6:.0f} µs, "
          f"p95 {cold[int(len(cold) * 0.95)] * 1e6:.0f} µs")
    for name, fn in (("match", lambda q: match(index, q)), ("understand", lambda q: understand(ctx, index, q))):
        times = sorted(_timed(fn, texts))
        p95 = times[int(len(times) * 0.95)]
        print(f"{name}, warm: {len(texts)} questions, median {statistics.median(times) * 1e6:.0f} µs, p95 {p95 * 1e6:.0f} µs")
    gc.enable()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
