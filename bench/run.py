"""The benchmark, in one command:

    ./dev bench            # full: 3 interleaved rounds (~9 min)
    ./dev bench --quick    # smoke: 1 short round (~1.5 min)

Starts a fake of Slack's Web API and of the Bot Framework (one process), a throwaway
redis-server, then in each round, target by target (round-robin, the order rotating
every round), starts the server pinned to the server core, measures its cold start,
drives each scenario from this process (pinned to the other core) at concurrency 1, 16
and 64, reads its CPU time and peak RSS from /proc, and stops it. Then the RSS-growth
run. Prints one table of medians with ratios against each baseline, and PASS/MISS per
target; writes the table, the raw numbers (JSON) and every process' log under
``bench/results/<time>/``. Every process it started is stopped at the end, on error
and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import json
import math
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import aiohttp

from bench import payloads, tokens
from bench.common import CLK_TCK, ROOT, Child, Children, cpu_seconds, cpus, free_port, status_kib
from bench.loadgen import Closed, closed_loop, open_loop, percentile

CONCURRENCY = (1, 16, 64)


@dataclass(frozen=True)
class Mode:
    rounds: int
    warmup: float
    seconds: float
    max_requests: int
    esc_rate: float
    esc_seconds: float
    growth_at: tuple[int, int]
    growth_seconds: float  # cap on each growth run
    retries: int  # phases re-run when other processes used the machine (noise), in all


FULL = Mode(rounds=3, warmup=0.3, seconds=2.0, max_requests=200_000, esc_rate=20.0, esc_seconds=8.0,
            growth_at=(50_000, 100_000), growth_seconds=150.0, retries=12)
QUICK = Mode(rounds=1, warmup=0.3, seconds=1.0, max_requests=50_000, esc_rate=20.0, esc_seconds=3.0,
             growth_at=(5_000, 10_000), growth_seconds=30.0, retries=3)
NOISE_RETRY = 0.25  # re-run a phase when other processes took more than this share of a core
RETRIES_PER_PHASE = 2


# -- targets ---------------------------------------------------------------------------

@dataclass
class Target:
    key: str
    label: str
    store: str  # "-" for the baselines
    scenarios: tuple[str, ...]
    argv: list[str]
    env: dict[str, str]
    bot: bool = False
    note: str = ""


@dataclass
class Env:
    """What every target and scenario needs: addresses, the signing key, the token."""

    fakes_base: str
    pem: bytes
    redis_url: str
    teams_in_bot: bool
    token: str
    server_cpu: int
    client_cpu: int
    config_dir: Path = ROOT / "config"
    teams_note: str = ""

    @property
    def service_url(self) -> str:
        return f"{self.fakes_base}/teams/"


def base_env(env: Env) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE")}
    return {
        **keep,
        "PYTHONUNBUFFERED": "1",
        "SLACK_SIGNING_SECRET": payloads.SIGNING_SECRET,
        "SLACK_BOT_TOKEN": payloads.BOT_TOKEN,
        "SLACK_API_URL": f"{env.fakes_base}/api/",
        "MICROSOFT_APP_ID": tokens.APP_ID,
        "MICROSOFT_APP_PASSWORD": tokens.APP_PASSWORD,
        "BOTFRAMEWORK_OPENID_METADATA_URL": f"{env.fakes_base}/openid/.well-known/openidconfiguration",
    }


def make_targets(env: Env) -> list[Target]:
    py = sys.executable
    common = base_env(env)
    bot_env = {
        **common, "HOST": "127.0.0.1", "BOT_CONFIG_DIR": str(env.config_dir), "PUBLIC_URL": "https://bot.example.com",
        # The limiter runs on every turn (its store calls are part of the cost) but never trips.
        "RATE_LIMIT_PER_USER": "1000000000", "RATE_LIMIT_PER_CONVERSATION": "1000000000",
        "RATE_LIMIT_ESCALATIONS": "0",
        # The Bot Connector token comes from the fake, not Azure AD.
        "BOTFRAMEWORK_TOKEN_URL": f"{env.fakes_base}/aad/botframework.com/oauth2/v2.0/token",
    }
    if not env.teams_in_bot:
        for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "BOTFRAMEWORK_OPENID_METADATA_URL"):
            bot_env.pop(name, None)
    bot_scenarios = ("slack.team", "slack.ask", "slack.button") + (("teams.team",) if env.teams_in_bot else ()) + ("esc",)
    return [
        Target("bare", "bare aiohttp", "-", ("slack.team",), [py, "-m", "bench.targets", "bare"], common),
        Target("bolt", "bolt default", "-", ("slack.team",), [py, "-m", "bench.targets", "bolt"], common),
        Target("bolt-pbr", "bolt pbr=True", "-", ("slack.team",), [py, "-m", "bench.targets", "bolt", "--pbr"], common),
        Target("botbuilder", "botbuilder", "-", ("teams.team",), [py, "-m", "bench.targets", "botbuilder", "--auth", "on"], common),
        Target("bot-memory", "bot", "memory", bot_scenarios, [py, "-m", "bench.serve_bot"], bot_env, bot=True),
        Target("bot-redis", "bot", "redis", bot_scenarios, [py, "-m", "bench.serve_bot"], {**bot_env, "REDIS_URL": env.redis_url}, bot=True),
    ]


SCENARIO_LABEL = {
    "slack.team": "/equinix team",
    "slack.ask": "/equinix ask invoices",
    "slack.button": "button gsd.show",
    "teams.team": "Teams @bot team",
    "esc": "escalation submit",
}


def scenario_for(key: str, target: Target, env: Env, tag: str, view: dict[str, Any] | None) -> payloads.Scenario:
    if key == "slack.team":
        if target.bot:
            return payloads.slack_command("slack.team", "team", "in_channel", "Sanne de Vries")
        return payloads.slack_command("slack.team", "team", "ok" if target.key == "bare" else "Sanne de Vries")
    if key == "slack.ask":
        return payloads.slack_command("slack.ask", "ask who handles invoices?", "Lotte Bakker")
    if key == "slack.button":
        return payloads.slack_button(env.fakes_base, tag)
    if key == "teams.team":
        token = None if "auth OFF" in target.note else env.token
        return payloads.teams_mention(env.service_url, token, tokens.APP_ID, tag)
    if key == "esc":
        assert view is not None
        return payloads.escalation_submit(view, tag)
    raise KeyError(key)


# -- measurements ----------------------------------------------------------------------

def proc_stat() -> dict[int, int]:
    """Busy ticks per CPU (everything but idle and iowait)."""
    out: dict[int, int] = {}
    with open("/proc/stat") as handle:
        for line in handle:
            if line.startswith("cpu") and line[3].isdigit():
                fields = line.split()
                values = [int(v) for v in fields[1:9]]
                out[int(fields[0][3:])] = sum(values) - values[3] - values[4]
    return out


@dataclass
class Snap:
    t: float
    server: float
    helpers: float  # fakes + redis: they share the client core
    stat: dict[int, int]


@dataclass
class PhaseResult:
    target: str
    scenario: str
    concurrency: int
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    ok: int
    wrong: int
    failed: int
    cpu_ms_per_req: float
    client_core_busy: float  # load generator + fakes + redis, share of the client core
    foreign_server_core: float  # other processes on the server core (noise)
    foreign_client_core: float
    e2e_p50_ms: float = math.nan
    e2e_p99_ms: float = math.nan
    e2e_missing: int = 0
    first_wrong: str = ""
    hwm_mib: float = math.nan  # the server's VmHWM right after this phase


@dataclass
class Run:
    mode: Mode
    env: Env
    children: Children
    out: Path
    fakes: Child | None = None
    redis: Child | None = None
    phases: list[PhaseResult] = field(default_factory=list)
    cold: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    growth: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    retries_used: int = 0

    def snap(self, server: Child) -> Snap:
        helpers = 0.0
        for child in (self.fakes, self.redis):
            if child is not None and child.alive():
                helpers += cpu_seconds(child.pid)
        return Snap(time.perf_counter(), cpu_seconds(server.pid), helpers, proc_stat())

    def derive(self, a: Snap, b: Snap, client_cpu: float, seconds: float) -> tuple[float, float, float, float]:
        server = b.server - a.server
        helpers = b.helpers - a.helpers
        busy_server = (b.stat.get(self.env.server_cpu, 0) - a.stat.get(self.env.server_cpu, 0)) / CLK_TCK
        busy_client = (b.stat.get(self.env.client_cpu, 0) - a.stat.get(self.env.client_cpu, 0)) / CLK_TCK
        seconds = max(seconds, 1e-9)
        client_busy = (client_cpu + helpers) / seconds
        foreign_server = max(0.0, busy_server - server) / seconds
        foreign_client = max(0.0, busy_client - client_cpu - helpers) / seconds
        return server, client_busy, foreign_server, foreign_client


async def http_get(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with session.get(url) as resp:
        return resp.status, await resp.read()


async def http_post(session: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, bytes]:
    async with session.post(url, **kwargs) as resp:
        return resp.status, await resp.read()


async def wait_http(url: str, timeout: float, child: Child | None = None) -> float:
    """Poll ``url`` until it answers 200; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            try:
                status, _ = await http_get(session, url)
                if status == 200:
                    return time.monotonic()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                pass
            if child is not None and not child.alive():
                raise RuntimeError(f"{child.name} exited with {child.proc.returncode}:\n{child.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout:.0f}s" + (f":\n{child.log_tail()}" if child else ""))
            await asyncio.sleep(0.002)


async def first_success(base: str, scenario: payloads.Scenario, timeout: float, child: Child, run: Run) -> float:
    """Send the scenario's request until one gets the real answer; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    last = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        while True:
            request = scenario.make(next(run.seq))
            try:
                status, body = await http_post(session, base + request.path, data=request.body, headers=request.headers)
                if scenario.check(status, body):
                    return time.monotonic()
                last = f"HTTP {status}: {body[:400]!r}"
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{scenario.name}: no correct answer within {timeout:.0f}s (expected {scenario.probe_detail}); last: {last}")
            await asyncio.sleep(0.01)


async def fakes_call(run: Run, method: str, path: str) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.request(method, f"{run.env.fakes_base}{path}") as resp:
            return await resp.json()


async def settle(run: Run, kind: str, expected: int, timeout: float) -> None:
    """Wait until the fake holds ``expected`` arrivals of ``kind`` or they stop coming."""
    deadline = time.monotonic() + timeout
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        stats = await fakes_call(run, "GET", "/_bench/stats")
        count = int(stats.get(kind, 0))
        if count >= expected:
            return
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since > 0.5:
            return
        await asyncio.sleep(0.02)


def e2e_stats(sends: dict[str, float], arrivals: dict[str, float]) -> tuple[float, float, int, list[float]]:
    latencies = sorted((arrivals[k] - t) * 1000 for k, t in sends.items() if k in arrivals)
    missing = sum(1 for k in sends if k not in arrivals)
    padded = latencies + [math.inf] * missing
    return percentile(padded, 50), percentile(padded, 99), missing, latencies


async def closed_phase(run: Run, target: Target, child: Child, key: str, concurrency: int, round_no: int,
                       base: str, view: dict[str, Any] | None) -> PhaseResult:
    tag = f"r{round_no}{target.key}{key}{concurrency}".replace(".", "").replace("-", "")
    scenario = scenario_for(key, target, run.env, tag, view)
    mode = run.mode
    result: Closed = await closed_loop(base, scenario, concurrency=concurrency, warmup=mode.warmup, seconds=mode.seconds,
                                       max_requests=mode.max_requests, seq=run.seq, snapshot=lambda: run.snap(child))
    a, b = result.snap0, result.snap1
    assert isinstance(a, Snap) and isinstance(b, Snap)
    server, client_busy, foreign_s, foreign_c = run.derive(a, b, result.client_cpu, result.seconds)
    answered = result.ok + result.wrong
    phase = PhaseResult(
        target=target.key, scenario=key, concurrency=concurrency, round=round_no, rps=result.rps,
        p50_ms=result.p(50) * 1000, p99_ms=result.p(99) * 1000, ok=result.ok, wrong=result.wrong, failed=result.failed,
        cpu_ms_per_req=(server / answered * 1000) if answered else math.nan, client_core_busy=client_busy,
        foreign_server_core=foreign_s, foreign_client_core=foreign_c, first_wrong=result.first_wrong,
    )
    if scenario.e2e:
        await settle(run, scenario.e2e, expected=result.sent_total, timeout=5.0)
        arrivals = await fakes_call(run, "POST", f"/_bench/arrivals/{scenario.e2e}")
        phase.e2e_p50_ms, phase.e2e_p99_ms, phase.e2e_missing, _ = e2e_stats(result.sends, arrivals)
    phase.hwm_mib = status_kib(child.pid, "VmHWM") / 1024
    return phase


async def escalation_phase(run: Run, target: Target, child: Child, round_no: int, base: str,
                           view: dict[str, Any]) -> PhaseResult:
    tag = f"{round_no}{target.key.replace('-', '')}"
    scenario = scenario_for("esc", target, run.env, tag, view)
    await fakes_call(run, "POST", "/_bench/arrivals/cards")
    a = run.snap(child)
    cpu0 = _own_cpu()
    result = await open_loop(base, scenario, rate=run.mode.esc_rate, seconds=run.mode.esc_seconds, seq=run.seq)
    await settle(run, "cards", expected=result.sent, timeout=5.0)
    b = run.snap(child)
    server, client_busy, foreign_s, foreign_c = run.derive(a, b, _own_cpu() - cpu0, b.t - a.t)
    arrivals = await fakes_call(run, "POST", "/_bench/arrivals/cards")
    p50, p99, missing, _ = e2e_stats(result.sends, arrivals)
    acks = sorted(result.ack_latencies)
    answered = result.ok + result.wrong
    hwm = status_kib(child.pid, "VmHWM") / 1024
    return PhaseResult(
        hwm_mib=hwm, target=target.key, scenario="esc", concurrency=0, round=round_no, rps=result.ok / result.seconds if result.seconds else 0,
        p50_ms=percentile(acks, 50) * 1000, p99_ms=percentile(acks, 99) * 1000, ok=result.ok, wrong=result.wrong,
        failed=result.failed, cpu_ms_per_req=(server / answered * 1000) if answered else math.nan,
        client_core_busy=client_busy, foreign_server_core=foreign_s, foreign_client_core=foreign_c,
        e2e_p50_ms=p50, e2e_p99_ms=p99, e2e_missing=missing, first_wrong=result.first_wrong,
    )


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def capture_view(run: Run, base: str) -> dict[str, Any]:
    """Open the escalation modal once (``/equinix escalate``) and take the view the bot
    sent to views.open, as tests/bot/test_slack_escalations.py does."""
    body = payloads.command_body("escalate badge")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        status, answer = await http_post(session, base + "/slack/events", data=body, headers=payloads.slack_headers(body))
    if status != 200:
        raise RuntimeError(f"/equinix escalate answered HTTP {status}: {answer[:300]!r}")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        view = (await fakes_call(run, "GET", "/_bench/last/views.open")).get("view")
        if isinstance(view, dict) and view.get("blocks"):
            return view
        await asyncio.sleep(0.02)
    raise RuntimeError("the bot did not call views.open after /equinix escalate")


# -- processes -------------------------------------------------------------------------

def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.flushall()
    finally:
        client.close()


async def fresh_launch(run: Run, target: Target) -> tuple[list[str], dict[str, str], int]:
    """A clean slate for one start of ``target`` (Redis flushed, fakes reset) and the
    command, environment and port to start it with."""
    if target.store == "redis":
        flush_redis(run.env.redis_url)
    await fakes_call(run, "POST", "/_bench/reset")
    port = free_port()
    argv = list(target.argv)
    env = {**target.env, "PORT": str(port)}
    if not target.bot:
        argv += ["--port", str(port)]
    return argv, env, port


async def start_target(run: Run, target: Target, round_no: int) -> tuple[Child, str, float, float]:
    """Spawn the target pinned to the server core; (child, base URL, spawn->/healthz, spawn->first real answer)."""
    argv, env, port = await fresh_launch(run, target)
    if target.key == "botbuilder" and "auth OFF" in target.note:
        argv = [a if a != "on" else "off" for a in argv]
    child = run.children.spawn(f"{target.key}-r{round_no}", argv, cpu=run.env.server_cpu, env=env)
    base = f"http://127.0.0.1:{port}"
    healthy = await wait_http(base + "/healthz", timeout=30, child=child)
    first_key = target.scenarios[0]
    probe = scenario_for(first_key, target, run.env, f"probe{round_no}{target.key.replace('-', '')}", None)
    first = await first_success(base, probe, timeout=15, child=child, run=run)
    return child, base, (healthy - child.started) * 1000, (first - child.started) * 1000


async def run_target(run: Run, target: Target, round_no: int) -> None:
    try:
        child, base, cold_h, cold_first = await start_target(run, target, round_no)
    except RuntimeError as exc:
        if target.key == "botbuilder" and "auth OFF" not in target.note:
            target.note = "auth OFF: the stock bot would not accept the local tokens"
            run.notes.append(f"botbuilder baseline: auth ON failed ({str(exc).splitlines()[0]}); running it with auth OFF")
            await stop_child(run, target)
            child, base, cold_h, cold_first = await start_target(run, target, round_no)
        else:
            raise
    run.cold.setdefault(target.key, []).append((cold_h, cold_first))
    print(f"  {target.key:<11} cold start: /healthz {cold_h:6.0f} ms, first real answer {cold_first:6.0f} ms", flush=True)
    try:
        view = await capture_view(run, base) if "esc" in target.scenarios else None
        for key in target.scenarios:
            if key == "esc":
                continue
            for concurrency in CONCURRENCY:
                phase = await quietest(run, lambda key=key, concurrency=concurrency: closed_phase(run, target, child, key, concurrency, round_no, base, view))
                run.phases.append(phase)
        if view is not None:
            phase = await quietest(run, lambda: escalation_phase(run, target, child, round_no, base, view))
            run.phases.append(phase)
        run.rss.setdefault(target.key, []).append(status_kib(child.pid, "VmHWM") / 1024)
    finally:
        run.children.stop(child)


def noise(p: PhaseResult) -> float:
    return max(p.foreign_server_core, p.foreign_client_core)


async def quietest(run: Run, measure: Callable[[], Any]) -> PhaseResult:
    """Run a phase; while other processes took a large share of a core during it, run it
    again (at most twice, from a budget for the whole run) and keep the quietest attempt."""
    best: PhaseResult = await measure()
    print("    " + phase_line(best), flush=True)
    tries = 0
    while noise(best) > NOISE_RETRY and run.retries_used < run.mode.retries and tries < RETRIES_PER_PHASE:
        tries += 1
        run.retries_used += 1
        await asyncio.sleep(0.5)
        again: PhaseResult = await measure()
        print("    " + phase_line(again) + "  (re-run: noise)", flush=True)
        if noise(again) < noise(best):
            best = again
    return best


async def stop_child(run: Run, target: Target) -> None:
    for child in list(run.children.items):
        if child.name.startswith(target.key + "-"):
            run.children.stop(child)


def phase_line(p: PhaseResult) -> str:
    label = f"{SCENARIO_LABEL[p.scenario]:<22}"
    if p.scenario == "esc":
        text = (f"{label} {p.rps:5.1f}/s  ack p50 {p.p50_ms:6.2f} p99 {p.p99_ms:6.2f} ms  submit->card p50 {p.e2e_p50_ms:6.1f}"
                f" p99 {p.e2e_p99_ms:6.1f} ms  lost {p.e2e_missing}")
    else:
        text = f"{label} c={p.concurrency:<3} {p.rps:8.0f} req/s  p50 {p.p50_ms:7.2f}  p99 {p.p99_ms:7.2f} ms  cpu {p.cpu_ms_per_req:6.3f} ms/req"
        if not math.isnan(p.e2e_p50_ms):
            text += f"  e2e p50 {p.e2e_p50_ms:6.2f} p99 {p.e2e_p99_ms:7.2f} ms (missing {p.e2e_missing})"
    text += f"  client core {p.client_core_busy:4.0%}  noise {max(p.foreign_server_core, p.foreign_client_core):4.0%}  HWM {p.hwm_mib:5.1f} MiB"
    if p.wrong or p.failed:
        text += f"  WRONG {p.wrong} FAILED {p.failed}: {p.first_wrong[:200]}"
    return text


async def growth_run(run: Run, target: Target) -> None:
    """RSS (VmRSS) of a fresh process after N1 and after N2 requests of /equinix team (c=64)."""
    child, base, _, _ = await start_target(run, target, 99)
    try:
        scenario = scenario_for("slack.team", target, run.env, "growth", None)
        done = 0
        readings: dict[str, float] = {}
        deadline = time.monotonic() + run.mode.growth_seconds
        for i, mark in enumerate(run.mode.growth_at, start=1):
            budget = max(1.0, deadline - time.monotonic())
            result = await closed_loop(base, scenario, concurrency=64, warmup=0, seconds=budget,
                                       max_requests=max(1, mark - done), seq=run.seq)
            done += result.ok + result.wrong
            if result.wrong or result.failed:
                run.notes.append(f"{target.key} growth run: {result.wrong} wrong, {result.failed} failed answers ({result.first_wrong[:120]})")
            readings[f"n{i}"] = done
            readings[f"rss{i}_mib"] = status_kib(child.pid, "VmRSS") / 1024
            readings[f"rps{i}"] = result.rps
        if done < run.mode.growth_at[1]:
            run.notes.append(f"{target.key} growth run stopped at its {run.mode.growth_seconds:.0f}s cap after {done:,} requests")
        readings["growth_pct"] = (readings["rss2_mib"] - readings["rss1_mib"]) / readings["rss1_mib"] * 100
        run.growth[target.key] = readings
        print(f"  {target.key:<11} {growth_text(readings)}", flush=True)
    finally:
        run.children.stop(child)


def growth_text(g: dict[str, float]) -> str:
    return (f"RSS {g['rss1_mib']:.1f} MiB after {int(g['n1']):,} requests, {g['rss2_mib']:.1f} MiB after {int(g['n2']):,} "
            f"({g['growth_pct']:+.2f}%)")


# -- report ----------------------------------------------------------------------------

def med(values: list[float]) -> float:
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else math.nan


def spread(values: list[float]) -> float:
    """(max - min) / median, over rounds."""
    values = [v for v in values if not math.isnan(v)]
    if len(values) < 2:
        return math.nan
    m = statistics.median(values)
    return (max(values) - min(values)) / m if m else math.nan


BASELINES = (("bare", "×bare"), ("bolt", "×bolt"), ("bolt-pbr", "×pbr"), ("botbuilder", "×bb"))


def phases_of(run: Run, target: str, scenario: str, concurrency: int) -> list[PhaseResult]:
    return [p for p in run.phases if p.target == target and p.scenario == scenario and p.concurrency == concurrency]


def baseline_scenario(baseline: str) -> str:
    return "teams.team" if baseline == "botbuilder" else "slack.team"


def ratio(run: Run, target: str, scenario: str, baseline: str, concurrency: int = 16) -> float:
    """Median over rounds of (this row's req/s) / (the baseline's req/s in the same round)."""
    mine = {p.round: p.rps for p in phases_of(run, target, scenario, concurrency)}
    theirs = {p.round: p.rps for p in phases_of(run, baseline, baseline_scenario(baseline), concurrency)}
    values = [mine[r] / theirs[r] for r in mine if r in theirs and theirs[r] > 0]
    return med(values)


def cpu_ratio(run: Run, target: str, scenario: str, baseline: str, concurrency: int = 16) -> float:
    """Median over rounds of (baseline CPU per request) / (this row's CPU per request): the
    throughput ratio two CPU-bound servers would have on an otherwise idle core."""
    mine = {p.round: p.cpu_ms_per_req for p in phases_of(run, target, scenario, concurrency)}
    theirs = {p.round: p.cpu_ms_per_req for p in phases_of(run, baseline, baseline_scenario(baseline), concurrency)}
    return med([theirs[r] / mine[r] for r in mine if r in theirs and mine[r] > 0])


def fmt(value: float, digits: int = 0, width: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = "-"
    elif isinstance(value, float) and math.isinf(value):
        text = "inf"
    else:
        text = f"{value:,.{digits}f}"
    return text.rjust(width) if width else text


def table(run: Run, targets: list[Target]) -> str:
    header = ["target", "store", "scenario"]
    for c in CONCURRENCY:
        header += [f"c{c} req/s", f"c{c} p50", f"c{c} p99"]
    header += ["±c16", "CPU ms/req", "1/CPU", "async p50/p99 ms", "peak RSS", "cold /healthz", "cold 1st 200"]
    header += [name for _, name in BASELINES]
    header += ["flags"]
    rows: list[list[str]] = []
    for target in targets:
        cold = run.cold.get(target.key, [])
        cold_h = med([c[0] for c in cold])
        cold_f = med([c[1] for c in cold])
        rss = med(run.rss.get(target.key, []))
        for key in target.scenarios:
            row = [target.label + (" (auth OFF)" if "auth OFF" in target.note else ""), target.store, SCENARIO_LABEL[key]]
            flags: list[str] = []
            if key == "esc":
                ps = phases_of(run, target.key, "esc", 0)
                row += [fmt(med([p.rps for p in ps]), 1), fmt(med([p.p50_ms for p in ps]), 2), fmt(med([p.p99_ms for p in ps]), 2)]
                row += ["", "", ""] + ["", "", ""]
                row += ["", fmt(med([p.cpu_ms_per_req for p in ps]), 3), "",
                        f"{fmt(med([p.e2e_p50_ms for p in ps]), 1)}/{fmt(med([p.e2e_p99_ms for p in ps]), 1)}"]
                lost = sum(p.e2e_missing for p in ps)
                if lost:
                    flags.append(f"{lost} cards lost")
                errors = sum(p.wrong + p.failed for p in ps)
            else:
                errors = 0
                for c in CONCURRENCY:
                    ps = phases_of(run, target.key, key, c)
                    rps = med([p.rps for p in ps])
                    mark = "*" if med([p.client_core_busy for p in ps]) >= 0.95 else ""
                    row += [fmt(rps) + mark, fmt(med([p.p50_ms for p in ps]), 2), fmt(med([p.p99_ms for p in ps]), 2)]
                    errors += sum(p.wrong + p.failed for p in ps)
                ps16 = phases_of(run, target.key, key, 16)
                sp = spread([p.rps for p in ps16])
                row.append(f"{sp:.0%}" if not math.isnan(sp) else "-")
                cpu = med([p.cpu_ms_per_req for p in ps16])
                row.append(fmt(cpu, 3))
                row.append(fmt(1000 / cpu) if cpu and not math.isnan(cpu) else "-")
                if any(not math.isnan(p.e2e_p50_ms) for p in ps16):
                    row.append(f"{fmt(med([p.e2e_p50_ms for p in ps16]), 2)}/{fmt(med([p.e2e_p99_ms for p in ps16]), 2)}")
                    lost = sum(p.e2e_missing for p in ps16)
                    if lost:
                        flags.append(f"{lost} async answers missing")
                else:
                    row.append("")
            row += [fmt(rss, 1) + " MiB" if not math.isnan(rss) else "-", fmt(cold_h) + " ms", fmt(cold_f) + " ms"]
            for baseline, _ in BASELINES:
                if key == "esc" or baseline == target.key:
                    row.append("")
                else:
                    r = ratio(run, target.key, key, baseline)
                    row.append(f"{r:.2f}" if not math.isnan(r) else "-")
            if errors:
                flags.append(f"{errors} wrong/failed")
            noise = max([max(p.foreign_server_core, p.foreign_client_core) for p in run.phases
                         if p.target == target.key and p.scenario == key] or [0.0])
            if noise >= 0.10:
                flags.append(f"noise≤{noise:.0%}")
            row.append(", ".join(flags))
            rows.append(row)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(v.ljust(w) if i < 3 or i == len(r) - 1 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


LEGEND = """\
req/s: answered correctly per second (closed loop, keep-alive, medians of the rounds); '*' = the client core was
  >=95% busy (load generator + fakes + redis): the number is a floor set by the client, not the server.
p50/p99: request latency in ms at the load generator. ±c16: (max-min)/median of c=16 req/s over the rounds.
CPU ms/req: server process utime+stime (/proc/<pid>/stat) per request at c=16, background work included;
  1/CPU: the req/s that CPU cost allows on one idle core (less sensitive to other load than req/s).
async p50/p99: button -> response_url arrival; Teams activity -> reply at the Bot Connector; escalation
  submit -> team card at chat.postMessage(C0ONBOARD01), open loop at {rate}/s; on escalation rows the c1 columns
  are the achieved submits/s and the ack's p50/p99.
peak RSS: VmHWM of the server process at the end of its round. cold: process spawn -> /healthz 200, and ->
  the first correct answer to the row's first scenario. ×base: median over rounds of (row req/s) / (baseline req/s
  in the same round) at c=16 (bare, bolt default, bolt pbr=True: /equinix team; bb = stock botbuilder: Teams).
noise: share of a core used by processes outside the benchmark during the row's phases (max)."""


def peak_rss_notes(run: Run, targets: list[Target]) -> list[str]:
    """For each bot: which phase raised VmHWM most (from one phase to the next), per round."""
    out = []
    for target in targets:
        if not target.bot:
            continue
        rises: list[tuple[str, float]] = []
        for round_no in sorted({p.round for p in run.phases if p.target == target.key}):
            seq = [p for p in run.phases if p.target == target.key and p.round == round_no and not math.isnan(p.hwm_mib)]
            best = max(((f"{SCENARIO_LABEL[b.scenario]}" + (f" c={b.concurrency}" if b.scenario != "esc" else ""), b.hwm_mib - a.hwm_mib)
                        for a, b in zip(seq, seq[1:])), key=lambda x: x[1], default=None)
            if best is not None:
                rises.append(best)
        if rises:
            names = [r[0] for r in rises]
            top = max(set(names), key=names.count)
            mib = med([r[1] for r in rises if r[0] == top])
            first = [p.hwm_mib for p in run.phases if p.target == target.key and not math.isnan(p.hwm_mib)]
            out.append(f"{target.key} peak RSS: VmHWM after its first phase {med(first[:1] or [math.nan]):.1f} MiB; the largest rise "
                       f"came with {top} (+{mib:.1f} MiB) in {names.count(top)}/{len(rises)} rounds")
    return out


def evaluate(run: Run, targets: list[Target]) -> list[tuple[str, str, str]]:
    """(verdict, target, measured) lines."""
    out: list[tuple[str, str, str]] = []

    def verdict(ok: bool | None) -> str:
        return "PASS" if ok else ("MISS" if ok is False else "N/A")

    bots = [t for t in targets if t.bot]
    redis_bot = next((t for t in bots if t.store == "redis"), None)
    if redis_bot is not None:
        r = ratio(run, redis_bot.key, "slack.team", "bolt-pbr")
        rc = cpu_ratio(run, redis_bot.key, "slack.team", "bolt-pbr")
        out.append((verdict(r >= 0.8 if not math.isnan(r) else None), "Slack /equinix team (Redis) >= 0.8x bolt pbr=True req/s at c=16",
                    f"{r:.2f}x (by CPU per request: {rc:.2f}x)"))
        p50 = med([p.p50_ms for p in phases_of(run, redis_bot.key, "slack.team", 1)])
        out.append((verdict(p50 < 1.0 if not math.isnan(p50) else None), "Slack /equinix team (Redis) p50 < 1 ms at c=1", f"{p50:.2f} ms"))
        p99 = med([p.p99_ms for p in phases_of(run, redis_bot.key, "slack.team", 16)])
        out.append((verdict(p99 < 10.0 if not math.isnan(p99) else None), "Slack /equinix team (Redis) p99 < 10 ms at c=16", f"{p99:.2f} ms"))
    for t in bots:
        store = t.store
        if "teams.team" in t.scenarios:
            r = ratio(run, t.key, "teams.team", "botbuilder")
            bb_note = " (baseline auth OFF)" if any("auth OFF" in x.note for x in targets if x.key == "botbuilder") else ""
            rc = cpu_ratio(run, t.key, "teams.team", "botbuilder")
            out.append((verdict(r >= 4.0 if not math.isnan(r) else None), f"Teams @bot team auth on ({store}) >= 4x stock botbuilder at c=16{bb_note}",
                        f"{r:.2f}x (by CPU per request: {rc:.2f}x)"))
        else:
            out.append(("PENDING", f"Teams @bot team auth on ({store}) >= 4x stock botbuilder at c=16", run.env.teams_note or "bot/teams/ not available"))
        ps = phases_of(run, t.key, "esc", 0)
        p99 = med([p.e2e_p99_ms for p in ps])
        out.append((verdict(p99 < 100 if ps and not math.isnan(p99) else None), f"escalation submit -> team card p99 < 100 ms at {run.mode.esc_rate:.0f}/s ({store})", f"{p99:.1f} ms"))
        rss = med(run.rss.get(t.key, []))
        out.append((verdict(rss < 120 if not math.isnan(rss) else None), f"peak RSS < 120 MiB ({store})", f"{rss:.1f} MiB"))
        growth = run.growth.get(t.key)
        if growth:
            g = growth["growth_pct"]
            what = f"RSS growth {int(growth['n1']) // 1000}k -> {int(growth['n2']) // 1000}k requests < 5% ({store})"
            out.append((verdict(g < 5.0), what, f"{g:+.2f}%"))
        else:
            out.append(("N/A", f"RSS growth between 50k and 100k requests < 5% ({store})", "not run"))
        cold = med([c[1] for c in run.cold.get(t.key, [])])
        out.append((verdict(cold < 1000 if not math.isnan(cold) else None), f"cold start to first 200 < 1 s ({store})", f"{cold:.0f} ms"))
    return out


# -- main ------------------------------------------------------------------------------

def bench_config(out: Path, service_url: str) -> Path:
    """The project's config/, with the onboarding team's Teams channel served by the fake
    Bot Connector (its service_url points at Microsoft, unreachable from here)."""
    target = out / "config"
    shutil.copytree(ROOT / "config", target, dirs_exist_ok=True)
    onboarding = target / "onboarding.yaml"
    text = onboarding.read_text(encoding="utf-8")
    patched = re.sub(r"(?m)^(\s+service_url:\s*).*$", lambda m: m.group(1) + service_url, text)
    onboarding.write_text(patched, encoding="utf-8")
    return target


def teams_available() -> tuple[bool, str]:
    if importlib.util.find_spec("bot.teams") is None:
        return False, "bot/teams/ not present yet: Teams scenario pending (code path ready)"
    return True, ""


async def prepare(mode: Mode, out: Path, redis_dir: Path, children: Children, only: str = "") -> tuple[Run, list[Target]]:
    """Pin this process to the client core, start the fakes and redis-server; the run and
    its targets. The caller stops ``run.children`` (in a ``finally``)."""
    server_cpu, client_cpu = cpus()
    os.sched_setaffinity(0, {client_cpu})
    out.mkdir(parents=True, exist_ok=True)
    key_path = tokens.write_key(out / "bench-key.pem")
    pem = key_path.read_bytes()
    fakes_port = free_port()
    fakes_base = f"http://127.0.0.1:{fakes_port}"
    teams_ok, teams_note = teams_available()
    env = Env(fakes_base=fakes_base, pem=pem, redis_url="", teams_in_bot=teams_ok,
              token=tokens.channel_token(pem, service_url=f"{fakes_base}/teams/"),
              server_cpu=server_cpu, client_cpu=client_cpu, teams_note=teams_note)
    env.config_dir = bench_config(out, env.service_url)
    run = Run(mode=mode, env=env, children=children, out=out)
    if server_cpu == client_cpu:
        run.notes.append("only one CPU available: server and client share it")
    if teams_note:
        run.notes.append(teams_note)
    run.fakes = children.spawn("fakes", [sys.executable, "-m", "bench.fakes", "--port", str(fakes_port), "--key", str(key_path)],
                               cpu=client_cpu)
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        run.notes.append("redis-server not found (apt-get install redis-server): the Redis rows are skipped")
    else:
        redis_port = free_port()
        run.redis = children.spawn("redis", [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--dir", str(redis_dir), "--daemonize", "no"],
                                   cpu=client_cpu)
        env.redis_url = f"redis://127.0.0.1:{redis_port}/0"
    await wait_http(fakes_base + "/healthz", timeout=20, child=run.fakes)
    if run.redis is not None:
        await wait_redis(env.redis_url, run.redis)
    targets_all = make_targets(env)
    if run.redis is None:
        targets_all = [t for t in targets_all if t.store != "redis"]
    if only:
        wanted = set(only.split(","))
        targets_all = [t for t in targets_all if t.key in wanted]
    return run, targets_all


async def main_async(args: argparse.Namespace) -> int:
    mode = QUICK if args.quick else FULL
    if args.rounds:
        mode = Mode(**{**asdict(mode), "rounds": args.rounds})
    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / stamp
    started = time.monotonic()
    redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    children = Children(out / "logs")
    try:
        run, targets_all = await prepare(mode, out, redis_dir, children, args.only)
        server_cpu, client_cpu = run.env.server_cpu, run.env.client_cpu
        print(f"bench: {mode.rounds} round(s), server core {server_cpu}, client core {client_cpu}, "
              f"{mode.seconds}s per phase after {mode.warmup}s warm-up; results in {out}", flush=True)
        for round_no in range(1, mode.rounds + 1):
            shift = (round_no - 1) % len(targets_all)
            order = targets_all[shift:] + targets_all[:shift]
            print(f"round {round_no}/{mode.rounds} ({time.monotonic() - started:.0f}s): {', '.join(t.key for t in order)}", flush=True)
            for target in order:
                await run_target(run, target, round_no)
        if not args.skip_growth:
            print(f"RSS growth ({time.monotonic() - started:.0f}s)", flush=True)
            for target in targets_all:
                if target.bot:
                    await growth_run(run, target)
        text = table(run, targets_all)
        verdicts = evaluate(run, targets_all)
        report = [
            "",
            f"bench results ({'quick' if args.quick else 'full'}: {mode.rounds} round(s), medians; "
            f"{time.monotonic() - started:.0f}s; python {sys.version.split()[0]}; server core {server_cpu}, client core {client_cpu})",
            text,
            "",
            LEGEND.format(rate=f"{mode.esc_rate:.0f}"),
            "",
        ]
        if run.growth:
            for key, g in run.growth.items():
                report.append(f"{key} /equinix team at c=64 from a fresh process: {growth_text(g)}")
            report.append("")
        for note in dict.fromkeys(run.notes + peak_rss_notes(run, targets_all)):
            report.append(f"note: {note}")
        report.append("")
        for v, what, measured in verdicts:
            report.append(f"{v:<7} {what}: {measured}")
        output = "\n".join(report)
        print(output, flush=True)
        (out / "table.txt").write_text(output + "\n")
        (out / "results.json").write_text(json.dumps({
            "mode": asdict(mode), "phases": [asdict(p) for p in run.phases], "cold_ms": run.cold,
            "peak_rss_mib": run.rss, "growth": run.growth, "notes": run.notes,
            "verdicts": [{"verdict": v, "target": w, "measured": m} for v, w, m in verdicts],
        }, indent=1, default=lambda o: None if isinstance(o, float) and (math.isnan(o) or math.isinf(o)) else str(o)))
        return 0
    finally:
        children.stop_all()
        shutil.rmtree(redis_dir, ignore_errors=True)


async def wait_redis(url: str, child: Child) -> None:
    import redis.asyncio as aredis

    deadline = time.monotonic() + 10
    client = aredis.Redis.from_url(url, socket_timeout=1)
    try:
        while True:
            try:
                if await client.ping():
                    return
            except (OSError, aredis.ConnectionError):
                pass
            if not child.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{child.log_tail()}")
            await asyncio.sleep(0.02)
    finally:
        await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 short round: a smoke test of the benchmark itself")
    parser.add_argument("--rounds", type=int, default=0, help="override the number of rounds")
    parser.add_argument("--only", default="", help="comma-separated target keys (bare,bolt,bolt-pbr,botbuilder,bot-memory,bot-redis)")
    parser.add_argument("--skip-growth", action="store_true", help="skip the RSS growth run")
    parser.add_argument("--out", default="", help="results directory (default bench/results/<time>)")
    args = parser.parse_args()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C must stop the run even when started from a shell that ignores SIGINT for
    # background jobs (asyncio.run then turns it into a cancellation of the main task).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        print("\ninterrupted: every process the benchmark started was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
