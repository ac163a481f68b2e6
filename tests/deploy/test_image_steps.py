"""The Dockerfile's steps, run outside Docker (no image can be built here).

The `uv` commands are read from the Dockerfile itself and run with its ENV into a
temporary folder standing for the image's /app; only what the final stage copies
(the virtual environment and config/) is kept; then the bot is started the way the
image's CMD starts it, as a non-root user, and must answer /healthz and /readyz and stop
cleanly on SIGTERM. A step that breaks the image (a missing COPY, an editable install,
a dependency missing from the lock file) breaks this test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tests.deploy.tools import ROOT
from tests.wait import wait_until

pytestmark = pytest.mark.slow

DOCKERFILE = ROOT / "Dockerfile"
NOBODY = 65534


@dataclass
class Stage:
    base: str
    steps: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> list[Stage]:
    """Instructions per stage, continuation lines joined, comments dropped."""
    stages: list[Stage] = []
    logical = re.sub(r"\\\n\s*", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    for line in logical.splitlines():
        if not line.strip():
            continue
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append(Stage(rest.strip()))
        else:
            stages[-1].steps.append((instruction.upper(), rest.strip()))
    return stages


def env_pairs(rest: str) -> list[tuple[str, str]]:
    return [tuple(word.split("=", 1)) for word in shlex.split(rest)]  # type: ignore[misc]


def test_dockerfile_pins_uv_caches_dependencies_installs_non_editable_and_runs_as_non_root() -> None:
    build, final = parse(DOCKERFILE.read_text(encoding="utf-8"))
    uv_image = [rest for kind, rest in build.steps if kind == "COPY" and "astral-sh/uv" in rest]
    assert uv_image and re.search(r"astral-sh/uv:\d+\.\d+\.\d+ ", uv_image[0]), "uv pinned by version"
    runs = [rest for kind, rest in build.steps if kind == "RUN"]
    assert runs and all(r.startswith("--mount=type=cache,target=/root/.cache/uv ") for r in runs)
    assert runs[-1].endswith("uv sync --frozen --no-dev --no-editable")
    user = [rest for kind, rest in final.steps if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    dev_pin = re.search(r"UV_VERSION=(\S+)", (ROOT / "dev").read_text(encoding="utf-8"))
    assert dev_pin and f"astral-sh/uv:{dev_pin.group(1)} " in uv_image[0], "./dev and the image use one uv"


def _python_for(uid: int | None) -> str:
    """An interpreter the unprivileged user can run (root's own may sit in /root)."""
    for candidate in (sys.executable, os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"):
        if not Path(candidate).exists():
            continue
        if uid is None or subprocess.run(
            _as(uid, [candidate, "-c", "pass"]), capture_output=True, check=False
        ).returncode == 0:
            return candidate
    pytest.skip("no Python interpreter the unprivileged user can run")


def _as(uid: int | None, argv: list[str]) -> list[str]:
    if uid is None:
        return argv
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *argv]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return 0


@pytest.fixture
def image_root() -> Iterator[Path]:
    # Not under pytest's tmp_path: that one is private to root, and the bot runs as nobody.
    root = Path(tempfile.mkdtemp(prefix="bot-image-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_image_steps_build_a_bot_that_serves_as_a_non_root_user(image_root: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv on PATH (./dev puts it there)"
    uid = NOBODY if os.geteuid() == 0 else None
    if uid is not None and not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to drop root")
    build, final = parse(DOCKERFILE.read_text(encoding="utf-8"))

    def local(path: str, cwd: Path) -> Path:
        return image_root / path.lstrip("/") if path.startswith("/") else cwd / path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env.update(UV_OFFLINE="1", UV_PYTHON=_python_for(uid), UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")))
    cwd = image_root
    for kind, rest in build.steps:
        if kind == "ENV":
            env.update({k: str(local(v, cwd)) if v.startswith("/") else v for k, v in env_pairs(rest)})
        elif kind == "WORKDIR":
            cwd = local(rest, cwd)
            cwd.mkdir(parents=True, exist_ok=True)
        elif kind == "COPY" and not rest.startswith("--from="):
            *sources, dest = shlex.split(rest)
            for source in sources:
                target = local(dest, cwd)
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / source, target / Path(source).name)
        elif kind == "RUN":
            command = re.sub(r"^(--mount=\S+\s+)+", "", rest)
            assert command.startswith("uv "), command
            done = subprocess.run([uv, *shlex.split(command)[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"

    # The final stage: only what it copies from the build stage, plus its own COPY and ENV.
    app = local("/app", image_root)
    for entry in app.iterdir():
        if entry.name != ".venv":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    cmd: list[str] = []
    for kind, rest in final.steps:
        if kind == "WORKDIR":
            cwd = local(rest, image_root)
        elif kind == "COPY" and not rest.startswith("--from="):
            source, dest = shlex.split(rest)
            shutil.copytree(ROOT / source, local(dest, cwd))
        elif kind == "ENV":
            for k, v in env_pairs(rest):
                v = v.replace("$PATH", run_env.get("PATH", ""))
                run_env[k] = ":".join(str(local(p, cwd)) if p.startswith("/") and not p.startswith(("/usr", "/bin", "/root")) else p
                                      for p in v.split(":")) if k in ("PATH", "BOT_CONFIG_DIR") else v
        elif kind == "CMD":
            cmd = json.loads(rest)
    assert cmd == ["onboarding-bot", "serve"]
    assert not (app / "bot").exists() and (app / ".venv").is_dir() and (app / "config").is_dir()

    port = _free_port()
    run_env.update(PORT=str(port), HOST="127.0.0.1", LOG_FORMAT="text")
    executable = shutil.which(cmd[0], path=run_env["PATH"])
    assert executable and executable.startswith(str(app)), executable
    proc = subprocess.Popen(_as(uid, [executable, *cmd[1:]]), cwd=app, env=run_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _status(f"{base}/healthz") == 200 or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert _status(f"{base}/readyz") == 200
        status = Path(f"/proc/{proc.pid}/status").read_text()
        expected = uid if uid is not None else os.getuid()
        assert re.search(rf"^Uid:\s+{expected}\b", status, re.M), status
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert "stopped" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
