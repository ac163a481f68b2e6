"""Profile one target under one scenario's load with py-spy, and summarize where CPU goes.

    ./dev profile                                             # bot (Redis), /equinix team, c=16
    ./dev profile --target bot-memory --scenario teams.team

The target runs exactly as in ``bench.run`` (pinned to the server core, fakes and Redis on
the client core); py-spy samples it (idle time excluded) while the
load generator drives it. Writes the raw stacks and a speedscope file under
``bench/results/profile-<time>/`` (open the .speedscope.json at speedscope.app offline
copy or any flame-graph viewer), and prints:

- self time by function (``function (file:line)`` of the leaf frame),
- inclusive time by function (each function counted once per sample),
- inclusive time by package (bot/, handlers/, cards/, slack_bolt, botbuilder, ...).

Percentages are shares of the samples in which the server was on CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import instructions
from bench.common import ROOT, Children, cpu_seconds
from bench.loadgen import closed_loop, open_loop
from bench.run import QUICK, Mode, capture_view, prepare, scenario_for, start_target

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")
PACKAGES = (
    ("bot/", "bot (this project)"), ("handlers/", "handlers (this project)"), ("cards/", "cards (this project)"),
    ("slack_bolt/", "slack_bolt"), ("slack_sdk/", "slack_sdk"), ("botbuilder/", "botbuilder"),
    ("botframework/", "botframework"), ("msrest/", "msrest"), ("jwt/", "pyjwt"), ("cryptography/", "cryptography"),
    ("redis/", "redis-py"), ("aiohttp/", "aiohttp"), ("yarl/", "yarl"), ("multidict/", "multidict"),
    ("prometheus_client/", "prometheus_client"), ("pydantic", "pydantic"), ("logging/", "logging"),
    ("asyncio/", "asyncio"), ("json/", "json"), ("urllib/", "urllib"), ("email/", "email"), ("http/", "http"),
)


def short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def parse(raw: Path) -> list[tuple[list[str], int]]:
    """py-spy --format raw: 'frame;frame;...;leaf count', root first; the first frame
    names the process or thread."""
    stacks = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if _FRAME.match(f)]
        stacks.append((frames, int(count)))
    return stacks


def frame_name(frame: str) -> tuple[str, str]:
    """('function (file:line)', file) with site-packages stripped from the file."""
    m = _FRAME.match(frame)
    if not m:
        return frame, ""
    path = short(m.group("file"))
    line = f":{m.group('line')}" if m.group("line") else ""
    return f"{m.group('func')} ({path}{line})", path


def function_key(frame: str) -> str:
    """The function without the sampled line: 'function (file)' (py-spy puts the current
    line, not the definition line, in each frame)."""
    m = _FRAME.match(frame)
    if not m:
        return frame
    return f"{m.group('func')} ({short(m.group('file'))})"


def package_of(path: str) -> str:
    for prefix, name in PACKAGES:
        if path.startswith(prefix) or f"/{prefix}" in path:
            return name
    return "other"


def summarize(stacks: list[tuple[list[str], int]], top: int) -> str:
    total = sum(count for _, count in stacks) or 1
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for frames, count in stacks:
        if not frames:
            continue
        self_time[frame_name(frames[-1])[0]] += count
        for key in set(function_key(f) for f in frames):
            inclusive[key] += count
        for name in set(package_of(frame_name(f)[1]) for f in frames):
            packages[name] += count
    lines = [f"{total} samples on CPU", "", f"self time, top {top}:"]
    lines += [f"  {n / total:6.1%}  {k}" for k, n in self_time.most_common(top)]
    lines += ["", f"inclusive time by function, top {top * 2}:"]
    lines += [f"  {n / total:6.1%}  {k}" for k, n in inclusive.most_common(top * 2)]
    lines += ["", "inclusive time by package (a sample counts once per package on its stack):"]
    lines += [f"  {n / total:6.1%}  {k}" for k, n in packages.most_common()]
    return "\n".join(lines)


def redis_calls(url: str) -> tuple[int, int]:
    """(scripts run, commands run) by Redis so far; commands a script runs count in
    both, the benchmark's own INFO in neither."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        stats = client.info("commandstats")
        scripts = sum(int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))
        return scripts, sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")
    finally:
        client.close()


async def main_async(args: argparse.Namespace) -> int:
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("py-spy not found: run this as `./dev profile ...`", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"profile-{stamp}"
    redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    children = Children(out / "logs")
    mode = Mode(**{**QUICK.__dict__, "rounds": 1})
    try:
        run, targets = await prepare(mode, out, redis_dir, children, args.target)
        if not targets:
            print(f"unknown or unavailable target {args.target!r}", file=sys.stderr)
            return 2
        target = targets[0]
        if args.scenario != "esc" and args.scenario not in target.scenarios:
            target.scenarios = (args.scenario, *target.scenarios)
        child, base, cold_h, cold_first = await start_target(run, target, 1)
        print(f"{target.key}: pid {child.pid}, cold start /healthz {cold_h:.0f} ms, first answer {cold_first:.0f} ms", flush=True)
        view = await capture_view(run, base) if args.scenario == "esc" else None
        scenario = scenario_for(args.scenario, target, run.env, "prof", view)
        # Warm up first so the profile shows the steady state, not imports and first calls.
        await closed_loop(base, scenario, concurrency=args.concurrency, warmup=0, seconds=2.0, max_requests=10**9, seq=run.seq)
        raw = out / f"{target.key}-{args.scenario}.raw.txt"
        speedscope = out / f"{target.key}-{args.scenario}.speedscope.json"
        spy = [py_spy, "record", "--pid", str(child.pid), "--duration", str(int(args.seconds)), "--rate", str(args.rate),
               "--format", "raw", "--output", str(raw)]
        proc = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cpu0 = cpu_seconds(child.pid)
        calls0 = redis_calls(run.env.redis_url) if target.store == "redis" else (0, 0)
        try:
            await asyncio.sleep(0.5)  # py-spy attaches
            if args.scenario == "esc":
                result = await open_loop(base, scenario, rate=20.0, seconds=args.seconds - 1, seq=run.seq)
                done = result.ok
            else:
                closed = await closed_loop(base, scenario, concurrency=args.concurrency, warmup=0, seconds=args.seconds - 1,
                                           max_requests=10**9, seq=run.seq)
                done = closed.ok
                print(f"load: {closed.rps:.0f} req/s at c={args.concurrency} while sampled, p50 {closed.p(50) * 1000:.2f} ms, "
                      f"p99 {closed.p(99) * 1000:.2f} ms, {closed.wrong} wrong", flush=True)
            cpu = cpu_seconds(child.pid) - cpu0
            print(f"server CPU {cpu * 1000 / max(done, 1):.3f} ms/request over {done} requests (sampling included)", flush=True)
            if target.store == "redis":
                scripts, commands = (b - a for a, b in zip(calls0, redis_calls(run.env.redis_url), strict=True))
                print(f"Redis: {scripts / max(done, 1):.2f} scripts and {commands / max(done, 1):.2f} commands per request "
                      "(commands run by scripts included)", flush=True)
            _, err = await asyncio.to_thread(proc.communicate, timeout=args.seconds + 30)
        finally:
            if proc.poll() is None:
                proc.kill()
        if proc.returncode != 0 or not raw.exists():
            print(f"py-spy failed ({proc.returncode}): {err.decode(errors='replace')[-800:]}", file=sys.stderr)
            return 1
        text = summarize(parse(raw), args.top)
        (out / f"{target.key}-{args.scenario}.summary.txt").write_text(text + "\n")
        print(text)
        print(f"\nraw stacks: {raw}")
        if args.speedscope:
            # a second short recording in speedscope format, for a flame graph
            subprocess.run([py_spy, "record", "--pid", str(child.pid), "--duration", "3", "--rate", str(args.rate),
                            "--format", "speedscope", "--output", str(speedscope)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return 0
    finally:
        children.stop_all()
        shutil.rmtree(redis_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="bot-redis", help="bot-redis, bot-memory, bolt-pbr, botbuilder, ...")
    parser.add_argument("--scenario", default="slack.team", choices=("slack.team", "slack.ask", "slack.button", "teams.team", "esc"))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--speedscope", action="store_true", help="also write a speedscope flame graph")
    parser.add_argument("--out", default="")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per request under callgrind instead of sampling (bench/instructions.py)")
    instructions.add_arguments(parser)
    args = parser.parse_args()
    try:
        return asyncio.run(instructions.measure(args) if args.instructions else main_async(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
