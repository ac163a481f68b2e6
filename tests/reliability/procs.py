"""Real processes for the reliability tests: ``python -m bot.cli serve`` and the fake Slack API.

Every process listens on 127.0.0.1 on a random free port, logs to a file under the
test's temporary directory (kept across restarts, with a header line per start), and
is ended by the test that started it (by pid, never by name). The helpers are
synchronous; async tests call the slow ones (``start``, ``wait_exit``) through
``asyncio.to_thread`` so the event loop keeps serving the test's own HTTP clients.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import weakref
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping

import yaml

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "reliability-signing-secret-0123456789"
BOT_TOKEN = "xoxb-reliability-000000000000-abcdefabcdef"
START_TIMEOUT = 20.0

# Variables of the developer's own shell that would change what a bot process does.
_SCRUB_PREFIXES = ("REDIS_", "SLACK_", "MICROSOFT_", "BOTFRAMEWORK_", "TEAMS_", "RATE_LIMIT_")
_SCRUB = {"PORT", "HOST", "PUBLIC_URL", "BOT_CONFIG_DIR", "LOG_LEVEL", "LOG_FORMAT", "STATE_DIR", "SHUTDOWN_DRAIN_SECONDS"}


_LIVE: "weakref.WeakSet[Proc]" = weakref.WeakSet()


@atexit.register
def _close_leftovers() -> None:
    """Processes run in their own session (so a Ctrl-C reaches only the test run); if a
    run dies without its fixtures' teardown, end what it started rather than leave it."""
    for proc in list(_LIVE):
        with contextlib.suppress(Exception):
            proc.close()


class ProcessError(RuntimeError):
    """A process did not start, answer or stop as asked; the message carries its log tail."""


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def _get(url: str, timeout: float = 1.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback only
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def write_config(dest: Path, *, slack_only: bool = True, remind_minutes: Mapping[str, int] | None = None) -> Path:
    """A copy of ``config/`` for a test.

    ``slack_only`` drops the onboarding team's Teams conversation: these tests run the
    bot with Slack only, and the demo config's Teams target would otherwise park one
    undeliverable Teams item per escalation ("teams is not enabled on this server").
    """
    shutil.copytree(ROOT / "config", dest)
    path = dest / "onboarding.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if slack_only:
        data.get("targets", {}).pop("teams", None)
    if remind_minutes:
        data["remind_after_minutes"] = {**data.get("remind_after_minutes", {}), **remind_minutes}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


class Proc:
    """A child process with a log file, started and stopped on demand."""

    name = "proc"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0
        self.exit_codes: list[int] = []

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.running and self.proc is not None else None

    def _spawn(self, args: list[str], env: Mapping[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts + 1} of {self.name} on port {self.port}: {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the test's terminal is not sent to it
            )
        self.starts += 1
        _LIVE.add(self)

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, like an OOM kill or a node dying."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL)
        self.exit_codes.append(proc.wait(timeout=10))

    def terminate(self) -> None:
        """SIGTERM only; ``wait_exit`` says how it ended."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int | None:
        """The exit code, or None if still running after ``timeout`` seconds."""
        if self.proc is None:
            return None
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.exit_codes.append(code)
        return code

    def close(self) -> None:
        """End the process for good (SIGTERM, then SIGKILL after 5 s)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=5)


class FakeSlackProcess(Proc):
    """``tests/reliability/fake_slack_server.py`` as a process that outlives bot restarts."""

    name = "fake-slack"

    def start(self, timeout: float = START_TIMEOUT) -> FakeSlackProcess:
        for _ in range(3):
            self.port = free_port()
            self._spawn([sys.executable, "-m", "tests.reliability.fake_slack_server", "--port", str(self.port)], _clean_env({}))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.running:
                if "READY" in self.log_text().rsplit("===== start", 1)[-1]:
                    return self
                time.sleep(0.05)
            self.close()
        raise ProcessError(f"fake Slack server did not start:\n{self.log_tail()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_url(self, who: str) -> str:
        """The ``SLACK_API_URL`` for the bot incarnation labelled ``who``."""
        return f"{self.base}/{who}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/respond/{name}"


class BotProcess(Proc):
    """``python -m bot.cli serve`` with Slack on (talking to the fake) and the given store.

    ``label`` names the replica (``a``); each start gets the incarnation label
    ``a1``, ``a2``... in its ``SLACK_API_URL`` so the fake knows who called.
    """

    def __init__(self, label: str, log_dir: Path, *, fake: FakeSlackProcess, config_dir: Path,
                 env: Mapping[str, str] | None = None) -> None:
        super().__init__(log_dir / f"bot-{label}.log")
        self.name = f"bot-{label}"
        self.label = label
        self.fake = fake
        self.config_dir = config_dir
        self.extra_env = dict(env or {})

    @property
    def incarnation(self) -> str:
        return f"{self.label}{self.starts}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return _clean_env({
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "PUBLIC_URL": self.url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": self.fake.api_url(f"{self.label}{self.starts + 1}"),
            "BOT_CONFIG_DIR": str(self.config_dir),
            # The embedded store's shutdown snapshot, per replica and per test.
            "STATE_DIR": str(self.log_path.parent / f"state-{self.label}"),
            "LOG_LEVEL": "INFO",
            # The chaos test has one member acknowledge dozens of escalations a minute.
            "RATE_LIMIT_PER_USER": "0",
            "RATE_LIMIT_PER_CONVERSATION": "0",
            **self.extra_env,
        })

    def start(self, timeout: float = START_TIMEOUT, *, same_port: bool = True) -> BotProcess:
        """Start (or restart after a kill) and wait until ``/healthz`` answers 200."""
        if self.running:
            return self
        if not self.port or not same_port:
            self.port = free_port()
        self._spawn([sys.executable, "-m", "bot.cli", "serve"], self.env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessError(f"{self.name} exited with {self.proc.returncode if self.proc else '?'}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                status, _ = _get(f"{self.url}/healthz", timeout=0.5)
                if status == 200:
                    return self
            time.sleep(0.05)
        self.close()
        raise ProcessError(f"{self.name} did not answer /healthz within {timeout}s:\n{self.log_tail()}")

    def restart(self, timeout: float = START_TIMEOUT) -> BotProcess:
        """SIGKILL (if running) and start again on the same port."""
        self.kill()
        # The killed process's listening socket is gone with it; the port is free again.
        return self.start(timeout)
