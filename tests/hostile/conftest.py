"""Hostile input must not only stay clear of 5xx: it must not reach a bug either.

After every test that uses these fixtures, ``bot_errors_total`` on /metrics (exceptions
in the bot's own code, each logged with its traceback) must still be zero, background
replies included: a listener that crashes on a strange payload is answered politely,
so the status code alone would not show it.
"""

from __future__ import annotations

from typing import Any, AsyncIterator

import pytest

from bot.app import BACKGROUND


async def assert_no_bug_reached(client: Any) -> None:
    await client.app[BACKGROUND].drain()
    metrics = await (await client.get("/metrics")).text()
    bugs = [line for line in metrics.splitlines() if line.startswith("bot_errors_total{") and not line.endswith(" 0.0")]
    assert bugs == [], f"exceptions in the bot's own code (see the log for their tracebacks): {bugs}"


@pytest.fixture
async def no_bug_in_slack(slack_client: Any) -> AsyncIterator[None]:
    yield
    await assert_no_bug_reached(slack_client)


@pytest.fixture
async def no_bug_in_teams(teams_client: Any) -> AsyncIterator[None]:
    yield
    await assert_no_bug_reached(teams_client)
