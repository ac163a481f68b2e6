"""Instructions per request under ``valgrind --tool=callgrind``: a cost that other
processes on a shared machine cannot move.

    ./dev profile --instructions --target bot-redis --scenario slack.team
    ./dev profile --instructions --target bot-memory --scenario esc --requests 200

The target starts as in ``bench.run`` but under callgrind with instrumentation off;
after a warm-up, counting is switched on (``callgrind_control -i on``) for a fixed
number of requests and off again, and the program's instruction count (``Ir``) is
divided by the requests answered. The toggles cut at most the requests in flight
(``--concurrency``). Background work the server does per wall-clock second (the
delivery loop, the near cache's batches) runs about 50 times more often per request
under valgrind than natively, so the same wall time is then counted again with no
requests, and the difference is what the requests themselves cost. Compare figures
measured the same way, never with ``CPU ms/req``.

``--cold`` counts from the start, and also prints the instructions from spawn to the
first correct answer (the cold start's cost).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Children
from bench.loadgen import closed_loop
from bench.run import QUICK, Mode, capture_view, first_success, fresh_launch, prepare, scenario_for, wait_http


def total_ir(dump: Path) -> int:
    """The ``totals:`` line of a callgrind dump (its first event is Ir)."""
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump}")


def control(target_env: dict[str, str], *args: str) -> None:
    """``callgrind_control`` finds the target by files vgdb names after the USER and HOST
    variables of the target's environment (the bot's HOST is its listening address)."""
    env = {**os.environ, **{k: target_env.get(k, "") for k in ("USER", "HOST")}}
    env = {k: v for k, v in env.items() if v}
    done = subprocess.run(["callgrind_control", *args], check=False, capture_output=True, text=True, env=env)
    if done.returncode != 0 or "Error" in done.stdout or "error" in done.stderr:
        raise RuntimeError(f"callgrind_control {' '.join(args)}: {done.stdout}{done.stderr}")


async def dump_total(env: dict[str, str], pid: int, out: Path) -> int:
    """Dump what was counted since the last zero or dump, and its instruction total."""
    before = set(out.glob("callgrind.out*"))
    control(env, "-d", str(pid))
    for _ in range(100):
        new = set(out.glob("callgrind.out*")) - before
        if new:
            await asyncio.sleep(0.5)  # let the file be written out
            return total_ir(max(new, key=lambda p: p.stat().st_mtime))
        await asyncio.sleep(0.1)
    raise RuntimeError("callgrind wrote no dump")


async def measure(args: argparse.Namespace) -> int:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (callgrind) is not installed: apt-get install valgrind", flush=True)
        return 2
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"instructions-{stamp}"
    redis_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    children = Children(out / "logs")
    mode = Mode(**{**QUICK.__dict__, "rounds": 1})
    try:
        run, targets = await prepare(mode, out, redis_dir, children, args.target)
        if not targets:
            print(f"unknown or unavailable target {args.target!r}", flush=True)
            return 2
        target = targets[0]
        argv, env, port = await fresh_launch(run, target)
        dump = out / "callgrind.out"
        wrapped = ["valgrind", "--tool=callgrind", f"--instr-atstart={'yes' if args.cold else 'no'}",
                   f"--callgrind-out-file={dump}", *argv]
        child = run.children.spawn(f"{target.key}-callgrind", wrapped, cpu=run.env.server_cpu, env=env)
        base = f"http://127.0.0.1:{port}"
        await wait_http(base + "/healthz", timeout=600, child=child)
        first = scenario_for(target.scenarios[0], target, run.env, "cgprobe", None)
        await first_success(base, first, timeout=300, child=child, run=run)
        if args.cold:
            control(env, "-d", str(child.pid))
            await asyncio.sleep(1)
            dumps = sorted(out.glob("callgrind.out*"), key=lambda p: p.stat().st_mtime)
            print(f"{target.key}: {total_ir(dumps[-1]) / 1e6:,.0f} M instructions from spawn to the first correct answer", flush=True)
            control(env, "-i", "off", str(child.pid))
        view = await capture_view(run, base) if args.scenario == "esc" else None
        scenario = scenario_for(args.scenario, target, run.env, "cg", view)
        await closed_loop(base, scenario, concurrency=args.concurrency, warmup=0, seconds=600,
                          max_requests=args.warmup, seq=run.seq)
        control(env, "-z", str(child.pid))  # zero what warm-up and start-up counted
        control(env, "-i", "on", str(child.pid))
        started = time.monotonic()
        result = await closed_loop(base, scenario, concurrency=args.concurrency, warmup=0, seconds=1200,
                                   max_requests=args.requests, seq=run.seq)
        if scenario.e2e:
            await asyncio.sleep(args.settle)  # the asynchronous answers (team cards, replies) are part of the cost
        control(env, "-i", "off", str(child.pid))
        loaded = time.monotonic() - started
        answered = max(result.ok + result.wrong, 1)
        ir = await dump_total(env, child.pid, out)
        # The same wall time without requests: what the server's timers cost meanwhile.
        control(env, "-z", str(child.pid))
        control(env, "-i", "on", str(child.pid))
        await asyncio.sleep(loaded)
        control(env, "-i", "off", str(child.pid))
        idle = await dump_total(env, child.pid, out)
        print(f"{target.key} {args.scenario} c={args.concurrency}: {ir / answered / 1e6:.3f} M instructions/request over "
              f"{answered} requests in {loaded:.0f}s ({result.wrong} wrong, {result.failed} failed); the same time idle: "
              f"{idle / answered / 1e6:.3f} M/request; without it: {(ir - idle) / answered / 1e6:.3f} M/request", flush=True)
        return 0
    finally:
        children.stop_all()
        shutil.rmtree(redis_dir, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=300, help="requests counted (--instructions)")
    parser.add_argument("--warmup", type=int, default=100, help="requests before counting (--instructions)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait for asynchronous answers (--instructions)")
    parser.add_argument("--cold", action="store_true", help="also count start-up to the first answer (--instructions)")
