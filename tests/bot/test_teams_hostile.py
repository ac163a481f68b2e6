"""Teams requests that try the adapter's limits: start-up races, double submits, floods,
costly unauthenticated bodies, other tenants and other channels. Each goes through real
HTTP with tokens signed by the fake Bot Framework."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.botframework import personal_message
from tests.fixtures_teams import botframework, post_activity, settle, teams_adapter, teams_client  # noqa: F401 - fixtures


async def _until(condition: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_requests_arriving_while_the_first_key_fetch_is_in_flight_wait_for_it(teams_client):
    fake = teams_client.fake
    keys = teams_adapter(teams_client).authentication.keys
    fake.keys_gate = asyncio.Event()
    entered = 0
    real_get = keys.get

    async def counting_get(key_id: str | None) -> Any:
        nonlocal entered
        entered += 1
        return await real_get(key_id)

    keys.get = counting_get
    posts = [asyncio.create_task(post_activity(teams_client, personal_message(fake, "help"))) for _ in range(10)]
    # Every request is at the key lookup while the one fetch is held open.
    await _until(lambda: entered == 10 or any(p.done() for p in posts))
    fake.keys_gate.set()
    statuses = [r.status for r in await asyncio.gather(*posts)]
    assert statuses == [200] * 10
    assert fake.metadata_requests == 1 and fake.jwks_requests == 1
    await settle(teams_client)
    assert len(fake.calls) == 10
