"""Throwaway ``redis-server`` processes for tests.

Tests talk to a real Redis rather than a fake because the properties that matter
(atomic scripts, TTLs, what the client does when the server goes away and comes back)
are exactly the ones a fake would get wrong. Each server gets a random free port on
127.0.0.1 and its own temporary directory, so parallel runs and developer machines
with a Redis of their own never interfere.

The helpers are synchronous on purpose: they are used from synchronous pytest
fixtures. Async tests that stop or restart a server should call them through
``asyncio.to_thread`` so the event loop is never blocked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import redis

DEFAULT_BINARY = "redis-server"
START_TIMEOUT = 10.0
"""Generous: an appendonly restart has to replay its log before it answers PING."""
STOP_TIMEOUT = 5.0


class RedisServerError(RuntimeError):
    """The server did not start or stop as asked; the message carries its log tail."""


def find_redis_server(binary: str = DEFAULT_BINARY) -> str | None:
    """The absolute path of the ``redis-server`` binary, or None when it is not installed."""
    return shutil.which(binary)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it; a race is retried by start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` child process bound to 127.0.0.1 on a random port.

    ``stop``/``kill`` end the process but keep the port and directory, so ``start`` or
    ``restart`` brings back the *same* server address (clients holding a URL reconnect)
    and, with ``appendonly=True``, the same data.
    """

    def __init__(
        self,
        *,
        binary: str | None = None,
        appendonly: bool = False,
        password: str | None = None,
        port: int | None = None,
        directory: str | os.PathLike[str] | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise RedisServerError("redis-server is not on PATH")
        self.binary = found
        self.appendonly = appendonly
        self.password = password
        self.port = port or free_port()
        # Once the server has been up (or the caller chose the port) its address is
        # part of the contract: restart() must come back on the same one.
        self._port_fixed = port is not None
        self._owns_dir = directory is None
        self.dir = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="redis-test-"))
        self.extra_args = list(extra_args or [])
        self._proc: subprocess.Popen[bytes] | None = None

    # -- addresses -------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        """``redis://`` URL including the password (tests check it never leaks from errors)."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.dir / "redis.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle -------------------------------------------------------------------

    def _args(self) -> list[str]:
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.dir),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
            "--save", "",
        ]
        if self.appendonly:
            # fsync on every write so even kill() (SIGKILL) keeps acknowledged data.
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        return args + self.extra_args

    def start(self, timeout: float = START_TIMEOUT) -> RedisServer:
        """Start the process (no-op when running) and wait until it answers PING."""
        if self.running:
            return self
        attempts = 1 if self._port_fixed else 3
        for attempt in range(attempts):
            self._proc = subprocess.Popen(
                self._args(),
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                self._wait_ready(timeout)
            except RedisServerError:
                # Another process may have taken the free port between free_port() and
                # the bind: pick a new one, but only before the address was handed out.
                if attempt + 1 == attempts:
                    raise
                self.port = free_port()
                continue
            self._port_fixed = True
            return self
        raise AssertionError("unreachable")

    def _client(self) -> redis.Redis:
        return redis.Redis(
            host=self.host,
            port=self.port,
            password=self.password,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            retry=None,
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RedisServerError(
                    f"redis-server on port {self.port} exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            client = self._client()
            try:
                if client.ping():
                    return
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # BusyLoadingError (replaying the AOF) is a ConnectionError too: keep waiting.
                last = exc
            finally:
                client.close()
            time.sleep(0.02)
        self.kill()
        raise RedisServerError(f"redis-server on port {self.port} not ready after {timeout}s ({last}):\n{self.log_tail()}")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections stay open but nothing answers,
        which is how a hung or overloaded server looks to a client (timeouts)."""
        if self._proc is not None and self.running:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None and self.running:
            self._proc.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Graceful shutdown (SIGTERM: Redis flushes its AOF); SIGKILL if it hangs."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)  # a paused process would never see SIGTERM
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def kill(self) -> None:
        """Hard crash (SIGKILL): nothing is flushed, like a power cut or an OOM kill."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)

    def restart(self, timeout: float = START_TIMEOUT) -> RedisServer:
        """Stop then start on the same port and directory (AOF data, when enabled, survives)."""
        self.stop()
        # The old socket may linger for a moment after exit; retry the bind briefly.
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start(timeout=max(0.5, deadline - time.monotonic()))
            except RedisServerError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        """Stop for good and remove the temporary directory."""
        self.stop()
        if self._owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def flushall(self) -> None:
        client = self._client()
        try:
            client.flushall()
        finally:
            client.close()

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer 127.0.0.1:{self.port} {state} appendonly={self.appendonly}>"


class RedisSentinel(RedisServer):
    """A ``redis-server --sentinel`` watching one master, for ``from_sentinel`` tests.

    Sentinel rewrites its config file, so it gets its own directory and file.
    """

    def __init__(self, master: RedisServer, *, service: str = "mymaster", binary: str | None = None) -> None:
        super().__init__(binary=binary)
        self.master = master
        self.service = service

    def _args(self) -> list[str]:
        conf = self.dir / "sentinel.conf"
        lines = [
            "bind 127.0.0.1",
            f"port {self.port}",
            f"dir {self.dir}",
            f"logfile {self.log_path}",
            f"sentinel monitor {self.service} {self.master.host} {self.master.port} 1",
            f"sentinel down-after-milliseconds {self.service} 1000",
        ]
        if self.master.password:
            lines.append(f"sentinel auth-pass {self.service} {self.master.password}")
        conf.write_text("\n".join(lines) + "\n")
        return [self.binary, str(conf), "--sentinel"]

    def _client(self) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, socket_timeout=1.0, socket_connect_timeout=1.0, retry=None)
