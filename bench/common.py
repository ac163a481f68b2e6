"""Process plumbing for the benchmark: spawning pinned children, /proc readings, cleanup.

Every child is started in its own process group, pinned to one CPU with
``sched_setaffinity`` and asked to die with its parent (``PR_SET_PDEATHSIG``), so a
benchmark that is interrupted, crashes or is killed leaves nothing running.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        raw = handle.read()
    rest = raw[raw.rindex(b")") + 2 :].split()
    # fields 14 and 15 of stat(5); ``rest`` starts at field 3 (state)
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def status_kib(pid: int, name: str) -> int:
    """A ``Vm*`` line of /proc/<pid>/status in KiB (VmHWM = peak RSS, VmRSS = now)."""
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise KeyError(name)


def _child_setup(cpu: int | None) -> None:
    os.setpgid(0, 0)  # Ctrl-C in the terminal reaches us only; we stop the children
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    started: float  # time.monotonic() just before the spawn
    log_path: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Children:
    """Every process the benchmark started; ``stop_all`` ends them (SIGTERM, then SIGKILL)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.items: list[Child] = []

    def spawn(self, name: str, argv: Sequence[str], *, cpu: int | None, env: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")
        started = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            cwd=str(cwd or ROOT),
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: _child_setup(cpu),  # noqa: PLW0108 - runs in the child
        )
        child = Child(name, proc, started, log_path, log)
        self.items.append(child)
        return child

    def stop(self, child: Child, timeout: float = 5.0) -> int | None:
        proc = child.proc
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=timeout)
        if child._log is not None:
            child._log.close()
            child._log = None
        if child in self.items:
            self.items.remove(child)
        return proc.returncode

    def stop_all(self) -> None:
        for child in list(reversed(self.items)):
            try:
                self.stop(child, timeout=3.0)
            except Exception:  # noqa: BLE001 - keep killing the others
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def cpus() -> tuple[int, int]:
    """(server CPU, client CPU): two different cores when the machine has two."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) >= 2:
        return available[0], available[1]
    return available[0], available[0]
