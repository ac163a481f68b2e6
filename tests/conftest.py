"""Shared fixtures: the demo catalog, a fixed clock, the fake Slack API, a running app."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import re
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.config import load_catalog
from bot.settings import Settings
from bot.stores.memory import MemoryStore
from handlers.catalog import Catalog
from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-000000000000-abcdefabcdef"
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)


class MovableClock:
    """A clock tests can move forward."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(ROOT / "config")


def _one_matcher_index_per_routing() -> None:
    """Every app the tests build registers the question and escalation handlers, each
    with its own ``IndexCache``, whose first use builds the matcher's tables for the
    routing (a quarter of a second, more than the rest of the app), and many tests load
    their own copy of ``config/``. The tables depend only on the routing's content (the
    models are frozen), so for the test process ``build_index`` keeps what it built per
    content: each app's caches still start empty and still call ``build_index`` (a test
    that forbids building on a customer's turn can still fail), a routing object gets
    tables that name it, with a cold word cache, and an edited routing is built anew.
    Installed before the test modules are imported, so those that import
    ``build_index`` get this one too."""
    import dataclasses
    import sys

    import handlers.matching as matching

    build = matching.build_index
    home = sys.modules[matching.IndexCache.__module__]  # where IndexCache looks build_index up
    by_id: dict[int, tuple[object, matching.Index]] = {}
    by_content: dict[str, list[tuple[tuple[object, ...], matching.Index]]] = {}

    def build_once(routing: Any) -> matching.Index:
        held = by_id.get(id(routing))
        if held is not None and held[0] is routing:
            return held[1]
        content = routing.model_dump_json()
        # Fields left out of the JSON (the trained wording model) are compared as the
        # catalog compares them: two loads of one file are equal, another model is not.
        unserialised = tuple(getattr(routing, name) for name, spec in type(routing).model_fields.items() if spec.exclude)
        built = by_content.setdefault(content, [])
        base = next((index for others, index in built if others == unserialised), None)
        if base is None:
            base = build(routing)
            built.append((unserialised, base))
        index = base if base.routing is routing else dataclasses.replace(base, routing=routing, seen={})
        if len(by_id) >= 64:  # catalogs of temporary copies come and go; keep them from piling up
            by_id.clear()
        by_id[id(routing)] = (routing, index)
        return index

    home.build_index = build_once  # type: ignore[attr-defined]
    matching.build_index = build_once  # type: ignore[assignment]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    yield api
    await api.close()


def slack_settings(fake: FakeSlackApi, **overrides: object) -> Settings:
    base = Settings.from_env({
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake.url,
        "PUBLIC_URL": "https://bot.example.com",
        "BOT_CONFIG_DIR": str(ROOT / "config"),
    })
    return base if not overrides else Settings(**{**base.__dict__, **overrides})


@pytest.fixture
async def slack_client(fake_slack: FakeSlackApi, catalog: Catalog, clock: MovableClock) -> AsyncIterator[TestClient]:
    """The whole app over real HTTP, Slack enabled, talking to the fake Slack API."""
    store = MemoryStore()
    app = create_app(slack_settings(fake_slack), catalog=catalog, store=store, clock=clock, strict_texts=True)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.store = store  # type: ignore[attr-defined]
    yield client
    await client.close()


# -- secrets never logged ---------------------------------------------------------------
# Everything any test logs, at any level, is kept and scanned when the session ends.
# Values that must never appear: the test secrets, and the PINs tests type as users.
NEVER_LOGGED = [SIGNING_SECRET, BOT_TOKEN, "test-app-password-never-logged"]
TYPED_PINS = re.compile(r"(?<!\d)(?:4821|7395)(?!\d)")
"""As whole numbers: a random port such as 34821 in a logged URL is not a PIN."""
_CAPTURED: list[str] = []


class _Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is still worth keeping raw
            text = str(record.msg)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            text += record.exc_text
        _CAPTURED.append(f"{record.name}: {text}")


_KEEP = _Keep(level=logging.DEBUG)


def _every_logger_at_debug() -> None:
    """Every logger, the libraries' included, writes DEBUG records where ``_Keep`` sees
    them: a level a library or ``bot.logs.configure`` set is lowered again, and a
    logger that does not propagate gets the handler itself."""
    logging.getLogger().setLevel(logging.DEBUG)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger):
            continue
        if logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)
        if not logger.propagate and _KEEP not in logger.handlers:
            logger.addHandler(_KEEP)
    if _KEEP not in logging.getLogger().handlers:
        logging.getLogger().addHandler(_KEEP)


def pytest_configure(config: pytest.Config) -> None:
    _every_logger_at_debug()
    _one_matcher_index_per_routing()


@pytest.fixture(autouse=True)
def _log_everything() -> None:
    _every_logger_at_debug()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (pyproject.toml): the suite or a folder runs on one worker per core,
    since most of its time is spent waiting on servers and processes; a run of named
    files stays in this process, where starting workers (seconds each) would cost more
    than it saves. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` or ``-n N`` decide otherwise."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    named = [arg.split("::", 1)[0] for arg in config.args]
    if named and all(Path(config.invocation_params.dir, arg).is_file() for arg in named):
        return 0
    return None


_WORKER_LEAKS: list[str] = []
"""With pytest-xdist, the log lines with a secret that each worker found (controller side)."""


def _leaks() -> list[str]:
    return [line for line in _CAPTURED if any(secret in line for secret in NEVER_LOGGED) or TYPED_PINS.search(line)]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """An xdist worker finished: keep what its log scan found, for the controller's verdict."""
    _WORKER_LEAKS.extend(getattr(node, "workeroutput", {}).get("secret_leaks", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its logs are scanned here, judged by the controller
        workeroutput["secret_leaks"] = _leaks()
        return
    leaks = _leaks() + _WORKER_LEAKS
    if leaks:
        session.config.pluginmanager.get_plugin("terminalreporter").write_line(
            f"SECRET LEAK: {len(leaks)} log lines contain a secret or a typed PIN, e.g.: {leaks[0][:300]}", red=True
        )
        session.exitstatus = 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, parameters, the session's catalogs) lives until the
    end: moved out of the collector's sight, it is not walked again at every full
    collection of the run (a few per cent of the quick loop's CPU)."""
    gc.collect()
    gc.freeze()


_REAL_PROCESSES = {"bots", "fake_slack_proc", "sentinel_cluster"}
"""Fixtures that start bot, fake Slack or Sentinel processes (seconds each)."""
_SLOW_FILES = ("bot/test_cli.py",)
"""The CLI as processes; the quick loop runs the same commands in tests/bot/test_config.py
and tests/bot/test_console.py."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``./dev test -m "not slow"`` leaves out what is slow and covered in kind by a quick
    test: real bot processes (chaos, replicas, restarts, Sentinel failover: the same
    paths run in-process in the quick loop), the CLI as processes, and every hypothesis
    test (hundreds of generated cases each; the same functions get fixed cases in the
    quick loop). Single slow tests elsewhere carry ``@pytest.mark.slow``."""
    tests = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath)).relative_to(tests).as_posix()
        generated = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
        processes = _REAL_PROCESSES & set(getattr(item, "fixturenames", ()))
        if generated or processes or path in _SLOW_FILES:
            item.add_marker(pytest.mark.slow)
