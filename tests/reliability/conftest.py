"""Fixtures for the reliability tests: real bot processes, a real Redis, a fake Slack process.

Everything listens on 127.0.0.1 on random ports. Each fixture ends what it started
(by pid) and, when a test fails, the processes' log tails are in its captured output.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest

from tests.fixtures_redis import redis_server, redis_server_factory, redis_url  # noqa: F401 - fixtures
from tests.reliability.procs import BOT_TOKEN, SIGNING_SECRET, BotProcess, FakeSlackProcess, write_config
from tests.reliability.slack_client import FakeSlack, SlackSender


_REDIS_FIXTURES = {"redis_server", "redis_url", "redis_server_factory", "sentinel_cluster"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and _REDIS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A Slack-only copy of ``config/`` (see ``write_config``)."""
    return write_config(tmp_path / "config")


@pytest.fixture
def fake_slack_proc(tmp_path: Path) -> Iterator[FakeSlackProcess]:
    proc = FakeSlackProcess(tmp_path / "logs" / "fake-slack.log").start()
    try:
        yield proc
    finally:
        proc.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        yield session


@pytest.fixture
async def fake(http: aiohttp.ClientSession, fake_slack_proc: FakeSlackProcess) -> FakeSlack:
    return FakeSlack(http, fake_slack_proc.base)


@pytest.fixture
def sender(http: aiohttp.ClientSession) -> SlackSender:
    return SlackSender(http)


BotFactory = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def bots(tmp_path: Path, fake_slack_proc: FakeSlackProcess, config_dir: Path) -> AsyncIterator[BotFactory]:
    """``await bots("a", REDIS_URL=...)`` -> a started ``python -m bot.cli serve``."""
    started: list[BotProcess] = []

    async def make(label: str, *, config: Path | None = None, **env: Any) -> BotProcess:
        bot = BotProcess(label, tmp_path / "logs", fake=fake_slack_proc, config_dir=config or config_dir,
                         env={k: str(v) for k, v in env.items()})
        started.append(bot)
        return await asyncio.to_thread(bot.start)

    try:
        yield make
    finally:
        for bot in started:
            await asyncio.to_thread(bot.close)
        for bot in started:
            print(f"--- {bot.name} log tail ({bot.log_path}) ---\n{bot.log_tail(25)}")
        # What the real server processes logged (at LOG_LEVEL as configured) must not hold
        # the signing secret or the bot token, whatever was done to them.
        for bot in started:
            text = bot.log_text()
            assert SIGNING_SECRET not in text and BOT_TOKEN not in text, f"{bot.name} logged a secret"

