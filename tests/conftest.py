"""Shared fixtures: the demo catalog, a fixed clock, the fake Slack API, a running app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import AsyncIterator

import aiohttp
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
