"""The aiohttp client load generator: closed loop at a fixed concurrency, or open loop
at a fixed rate. It runs in the orchestrator's process, pinned to the client core.

Closed loop: ``concurrency`` workers, each sending its next request when the previous
answer arrived, on keep-alive connections. A warm-up is sent first and not recorded;
then requests are recorded until ``seconds`` pass or ``max_requests`` are done.
"""

from __future__ import annotations

import asyncio
import itertools
import resource
import time
from dataclasses import dataclass, field
from typing import Callable

import aiohttp
from yarl import URL

from bench.payloads import Scenario


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Closed:
    scenario: str
    concurrency: int
    ok: int = 0
    wrong: int = 0  # answered, but not the real answer (error status, rate-limit notice, ...)
    failed: int = 0  # no answer (connection error, timeout)
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, recorded requests only
    sends: dict[str, float] = field(default_factory=dict)  # e2e key -> monotonic send time
    client_cpu: float = 0.0  # this process' CPU seconds during the recorded window
    snap0: object = None  # snapshot() when recording started
    snap1: object = None  # ... and when it stopped
    first_wrong: str = ""
    sent_total: int = 0  # every request sent, warm-up included (for waiting on async answers)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies), q)


def new_session(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=False,
                                     enable_cleanup_closed=False, ttl_dns_cache=None)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=30), auto_decompress=False)


async def closed_loop(base: str, scenario: Scenario, *, concurrency: int, warmup: float, seconds: float,
                      max_requests: int, seq: itertools.count | None = None,
                      snapshot: Callable[[], object] | None = None) -> Closed:
    """``snapshot`` is called when recording starts and when it stops (CPU counters)."""
    result = Closed(scenario.name, concurrency)
    counter = seq or itertools.count(1)
    urls: dict[str, URL] = {}
    state = {"recording": False, "stop": False, "recorded": 0}
    loop = asyncio.get_running_loop()
    limit_reached = loop.create_future()

    async def worker(session: aiohttp.ClientSession) -> None:
        latencies = result.latencies
        while not state["stop"]:
            n = next(counter)
            request = scenario.make(n)
            url = urls.get(request.path)
            if url is None:
                url = urls[request.path] = URL(base + request.path)
            if state["recording"] and scenario.e2e:
                result.sends[scenario.e2e_key(n)] = time.monotonic()
            result.sent_total += 1
            started = time.perf_counter()
            try:
                async with session.post(url, data=request.body, headers=request.headers) as resp:
                    body = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                if state["recording"] and not state["stop"]:
                    result.failed += 1
                    result.first_wrong = result.first_wrong or f"{type(exc).__name__}: {exc}"
                continue
            elapsed = time.perf_counter() - started
            # A request counts when it is answered inside the recorded window, whenever it
            # was sent: completions per second of window is the throughput.
            if not state["recording"] or state["stop"]:
                continue
            if scenario.check(status, body):
                result.ok += 1
                latencies.append(elapsed)
            else:
                result.wrong += 1
                if not result.first_wrong:
                    result.first_wrong = f"HTTP {status}: {body[:300]!r}"
            state["recorded"] += 1
            if state["recorded"] >= max_requests and not limit_reached.done():
                limit_reached.set_result(None)

    async with new_session(concurrency) as session:
        tasks = [loop.create_task(worker(session)) for _ in range(concurrency)]
        try:
            if warmup > 0:
                await asyncio.sleep(warmup)
            cpu0 = _own_cpu()
            result.snap0 = snapshot() if snapshot else None
            t0 = time.perf_counter()
            state["recording"] = True
            try:
                await asyncio.wait_for(asyncio.shield(limit_reached), timeout=seconds)
            except asyncio.TimeoutError:
                pass
            state["stop"] = True
            result.seconds = time.perf_counter() - t0
            result.client_cpu = _own_cpu() - cpu0
            result.snap1 = snapshot() if snapshot else None
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=35)
        finally:
            state["stop"] = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return result


@dataclass
class Open:
    scenario: str
    rate: float
    sent: int = 0
    ok: int = 0
    wrong: int = 0
    failed: int = 0
    seconds: float = 0.0
    ack_latencies: list[float] = field(default_factory=list)
    sends: dict[str, float] = field(default_factory=dict)
    first_wrong: str = ""


async def open_loop(base: str, scenario: Scenario, *, rate: float, seconds: float,
                    seq: itertools.count | None = None) -> Open:
    """Send at ``rate`` per second on a fixed schedule, whatever the answers do."""
    result = Open(scenario.name, rate)
    counter = seq or itertools.count(1)
    loop = asyncio.get_running_loop()
    total = max(1, int(rate * seconds))

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        request = scenario.make(n)
        result.sends[scenario.e2e_key(n)] = time.monotonic()
        started = time.perf_counter()
        try:
            async with session.post(base + request.path, data=request.body, headers=request.headers) as resp:
                body = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            result.failed += 1
            result.first_wrong = result.first_wrong or f"{type(exc).__name__}: {exc}"
            return
        result.ack_latencies.append(time.perf_counter() - started)
        if scenario.check(status, body):
            result.ok += 1
        else:
            result.wrong += 1
            result.first_wrong = result.first_wrong or f"HTTP {status}: {body[:300]!r}"

    async with new_session(64) as session:
        tasks = []
        t0 = loop.time()
        for i in range(total):
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(one(session, next(counter))))
            result.sent += 1
        await asyncio.gather(*tasks, return_exceptions=True)
        result.seconds = loop.time() - t0
    return result
