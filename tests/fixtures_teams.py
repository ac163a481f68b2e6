"""Fixtures for the Teams adapter tests: the fake Bot Framework and the whole app over HTTP.

Import them explicitly where used::

    from tests.fixtures_teams import botframework, teams_client  # noqa: F401

``teams_client`` runs the real app (``bot.app.create_app``) with Teams enabled, auth on,
signing keys and tokens from the fake, and its replies going to the fake Bot Connector.
When a test ends, every Adaptive Card the bot sent (to the connector or in an invoke
response seen through ``post_activity``) is validated against the Adaptive Card 1.5
schema, so no test can forget to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import BACKGROUND, RUNNING, create_app
from bot.settings import Secret, Settings
from bot.stores.memory import MemoryStore
from handlers.catalog import Catalog
from handlers.router import Router
from tests.cards.validate import assert_valid_adaptive
from tests.fakes.botframework import APP_ID, APP_PASSWORD, FakeBotFramework

ROOT = Path(__file__).resolve().parent.parent


def teams_settings(fake: FakeBotFramework, **overrides: object) -> Settings:
    base = Settings.from_env({
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
        "MICROSOFT_APP_TYPE": "MultiTenant",
        "BOTFRAMEWORK_OPENID_METADATA_URL": fake.openid_url,
        "BOTFRAMEWORK_TOKEN_URL": fake.token_url,
        "PUBLIC_URL": "https://bot.example.com",
        "BOT_CONFIG_DIR": str(ROOT / "config"),
    })
    values = dict(base.__dict__)
    values.update(overrides)
    return Settings(**values)


def refuse_blocking_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything uses ``requests`` or msal's token call: both block the
    event loop, and the SDK's stock auth uses them."""
    import msal
    import requests

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("blocking HTTP call (requests/msal) made by the Teams adapter")

    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(msal.ConfidentialClientApplication, "acquire_token_for_client", refuse)


@pytest.fixture
async def botframework(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeBotFramework]:
    refuse_blocking_http(monkeypatch)
    fake = FakeBotFramework()
    await fake.start()
    yield fake
    await fake.close()


async def _client(settings: Settings, catalog: Catalog, clock: Any, fake: FakeBotFramework, router: Router | None = None) -> TestClient:
    store = MemoryStore()
    app = create_app(settings, catalog=catalog, store=store, clock=clock, strict_texts=True, router=router)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.store = store  # type: ignore[attr-defined]
    client.fake = fake  # type: ignore[attr-defined]
    client.invoke_cards = []  # type: ignore[attr-defined]
    return client


def _validate_everything_sent(client: TestClient, fake: FakeBotFramework) -> None:
    for call in fake.calls:
        for card in call.cards:
            assert_valid_adaptive(card)
    for card in client.invoke_cards:  # type: ignore[attr-defined]
        assert_valid_adaptive(card)


@pytest.fixture
async def teams_client(botframework: FakeBotFramework, catalog: Catalog, clock: Any) -> AsyncIterator[TestClient]:
    """The whole app over real HTTP, Teams enabled with auth on, talking to the fake."""
    client = await _client(teams_settings(botframework), catalog, clock, botframework)
    yield client
    await client.app[BACKGROUND].drain()
    await client.close()
    _validate_everything_sent(client, botframework)


@pytest.fixture
async def teams_noauth_client(botframework: FakeBotFramework, catalog: Catalog, clock: Any) -> AsyncIterator[TestClient]:
    """Teams for the Emulator: no app id, ``TEAMS_DEV_NO_AUTH=1``."""
    botframework.require_token = False  # the Emulator's connector takes anonymous calls
    settings = teams_settings(botframework, microsoft_app_id="", microsoft_app_password=Secret(""), teams_dev_no_auth=True)
    client = await _client(settings, catalog, clock, botframework)
    yield client
    await client.app[BACKGROUND].drain()
    await client.close()


@pytest.fixture
async def make_teams_client(botframework: FakeBotFramework, catalog: Catalog, clock: Any) -> AsyncIterator[Any]:
    """``await make_teams_client(**settings_overrides)``: the app as ``teams_client`` runs
    it, with other settings (tenants, app type, limits), another catalog or a router of
    the test's own."""
    clients: list[TestClient] = []

    async def make(*, catalog_override: Catalog | None = None, router: Router | None = None, **overrides: object) -> TestClient:
        client = await _client(teams_settings(botframework, **overrides), catalog_override or catalog, clock, botframework, router)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.app[BACKGROUND].drain()
        await client.close()
        _validate_everything_sent(client, botframework)


def team_on_fake(catalog: Catalog, fake: FakeBotFramework) -> Catalog:
    """The catalog with the onboarding team's Teams channel served by the fake connector
    (the demo config's points at Microsoft's), so team cards stay on loopback."""
    from handlers.catalog import Place

    target = Place(conversation="19:demo-onboarding@thread.tacv2", address={"service_url": fake.service_url})
    targets = {**catalog.onboarding.targets, "teams": target}
    return catalog.model_copy(update={"onboarding": catalog.onboarding.model_copy(update={"targets": targets})})


def teams_adapter(client: TestClient) -> Any:
    return client.app[RUNNING].platform("teams")


async def settle(client: TestClient) -> None:
    """Wait for the replies the bot sends after answering (background tasks)."""
    await client.app[BACKGROUND].drain()


async def post_activity(client: TestClient, activity: dict[str, Any] | str | bytes, *, token: str | None = None,
                        auth: str | None = None, content_type: str = "application/json") -> Any:
    """POST an activity to /api/messages with a valid token unless told otherwise.

    ``auth`` is the raw Authorization header (``""`` sends none); ``token`` a bearer token.
    Cards in an invoke response are kept for the end-of-test validation.
    """
    fake: FakeBotFramework = client.fake  # type: ignore[attr-defined]
    if auth is None:
        auth = f"Bearer {token if token is not None else fake.make_token()}"
    headers = {"Content-Type": content_type}
    if auth:
        headers["Authorization"] = auth
    data = activity if isinstance(activity, (str, bytes)) else json.dumps(activity)
    resp = await client.post("/api/messages", data=data, headers=headers)
    if resp.status == 200 and resp.content_type == "application/json":
        body = await resp.json()
        if isinstance(body, dict) and body.get("type") == "application/vnd.microsoft.card.adaptive":
            client.invoke_cards.append(body["value"])  # type: ignore[attr-defined]
    return resp
