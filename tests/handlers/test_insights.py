"""Insights without a platform: retention of the masked samples, the settings that keep
none, the digest's schedule and its config, and the routing export."""

from __future__ import annotations

import datetime as dt
from typing import AsyncIterator

import pytest
from pydantic import ValidationError

from bot.settings import Settings, SettingsError
from bot.stores.memory import MemoryStore
from handlers.catalog import Catalog, Digest
from handlers.context import Services
from handlers.insights.counts import COUNT_TTL, count_key
from handlers.insights.digest import scheduled_before
from handlers.insights.lessons import Lessons, export_yaml, phrase_of
from handlers.insights.options import InsightsOptions
from handlers.insights.samples import INDEX, Samples, mask
from handlers.router import Dispatcher
from handlers.app import build_router
from handlers.turn import ConversationKind, Turn, TurnKind, Where
from handlers.ports import Store
from tests.conftest import NOW, MovableClock
from tests.fixtures_redis import redis_server, redis_url  # noqa: F401 - fixtures

ODD = "my zorglub wobbles again, code 4821"


@pytest.fixture(params=["memory", "redis"])
async def any_store(request) -> AsyncIterator[Store]:
    """The embedded store, then a real Redis: retention must hold on both."""
    if request.param == "memory":
        yield MemoryStore()
        return
    from bot.stores.redis import RedisStore

    store = RedisStore.from_url(request.getfixturevalue("redis_url"))
    yield store
    await store.close()


def dispatcher(catalog: Catalog, clock: MovableClock, store: Store, days: int = 30) -> Dispatcher:
    services = Services(catalog=catalog, store=store, clock=clock, strict_texts=True,
                        insights=InsightsOptions(sample_days=days))
    return Dispatcher(build_router(), services)


def question(text: str, conversation: str = "C0DEMO00001") -> Turn:
    return Turn(TurnKind.MESSAGE, Where("slack", "T0DEMO", conversation, ConversationKind.CHANNEL), "U0CUSTOMER", text=text)


def test_masking_hides_every_code_and_cuts_long_text():
    assert mask("code 4821 please, or 1234") == "code #### please, or ####"
    assert len(mask("x" * 1000)) == 300
    assert phrase_of("My  Zorglub, CODE 9999!") == phrase_of("my zorglub code 1111")


async def test_samples_expire_after_the_retention_even_if_the_store_keeps_them(catalog, clock, any_store):
    store = any_store
    bot = dispatcher(catalog, clock, store)
    await bot.dispatch(question(ODD))
    assert [s.text for s in await Samples(store, 30).recent(clock())] == ["my zorglub wobbles again, code ####"]
    clock.advance(minutes=5)
    await bot.dispatch(question(ODD.upper().replace("4821", "1111")))  # asked again: shown once, the newest
    [again] = await Samples(store, 30).recent(clock())
    assert again.text == "MY ZORGLUB WOBBLES AGAIN, CODE ####"
    kept = [member for member, _ in await store.index_range(INDEX)]
    clock.advance(days=30, minutes=1)
    assert await Samples(store, 30).recent(clock()) == []
    assert await store.index_range(INDEX) == []  # dropped from the store, not only hidden
    assert await store.get_many([f"ins:sample:{each}" for each in kept]) == [None] * len(kept)
    assert "zorglub" not in await _everything_in(store)


async def _everything_in(store: Store) -> str:
    """Every key and value the store holds, lower-cased; on Redis read raw with SCAN."""
    if isinstance(store, MemoryStore):
        return repr((store._state.values, store._state.indexes)).lower()
    client = store._client  # type: ignore[attr-defined]
    out = []
    async for key in client.scan_iter(count=1000):
        kind = await client.type(key)
        value = await client.get(key) if kind == "string" else await client.zrange(key, 0, -1) if kind == "zset" else kind
        out.append(f"{key} {value!r}")
    assert out or isinstance(store, MemoryStore)
    return " ".join(out).lower()


async def test_counts_live_forty_days(catalog, clock):
    store = MemoryStore(clock=lambda: 0.0)
    await dispatcher(catalog, clock, store).dispatch(question("who handles our invoices?"))
    assert await store.get(count_key(NOW.date(), "acme-logistics", "asked")) == "1"
    assert COUNT_TTL == 40 * 86400


@pytest.mark.parametrize("days, keep, kept", [(0, True, 0), (30, False, 0), (30, True, 1)])
async def test_what_is_kept_follows_the_setting_and_the_account(catalog, clock, days, keep, kept, any_store):
    accounts = tuple(a.model_copy(update={"keep_question_samples": keep}) if a.id == "acme-logistics" else a
                     for a in catalog.accounts)
    store = any_store
    await dispatcher(catalog.model_copy(update={"accounts": accounts}), clock, store, days).dispatch(question(ODD))
    assert len(await store.index_range(INDEX)) == kept
    assert len(await Samples(store, max(days, 1)).recent(clock())) == kept  # nothing readable either
    assert await store.get(count_key(NOW.date(), "acme-logistics", "not_sure")) == "1"  # counted all the same


def test_question_sample_days_setting():
    assert Settings.from_env({}).question_sample_days == 30
    assert Settings.from_env({"QUESTION_SAMPLE_DAYS": "0"}).question_sample_days == 0
    with pytest.raises(SettingsError, match="QUESTION_SAMPLE_DAYS"):
        Settings.from_env({"QUESTION_SAMPLE_DAYS": "-1"})


def test_digest_config_is_validated():
    Digest(weekday="friday", hour=16, timezone="Europe/Amsterdam")
    for bad in ({"weekday": "funday", "hour": 9}, {"weekday": "monday", "hour": 24},
                {"weekday": "monday", "hour": 9, "timezone": "Mars/Olympus"}):
        with pytest.raises(ValidationError):
            Digest(**bad)


def test_digest_schedule_follows_the_local_clock_across_daylight_saving():
    digest = Digest(weekday="monday", hour=9, timezone="Europe/Amsterdam")
    winter = scheduled_before(digest, dt.datetime(2026, 12, 2, 12, tzinfo=dt.timezone.utc))
    assert winter.isoformat() == "2026-11-30T09:00:00+01:00"
    summer = scheduled_before(digest, dt.datetime(2026, 6, 1, 7, 0, tzinfo=dt.timezone.utc))
    assert summer.isoformat() == "2026-06-01T09:00:00+02:00"
    before = scheduled_before(digest, dt.datetime(2026, 6, 1, 6, 59, tzinfo=dt.timezone.utc))
    assert before.date() == dt.date(2026, 5, 25)


async def test_export_lists_taught_phrasings_under_their_topic(catalog):
    import yaml

    store = MemoryStore()
    lessons = Lessons(store)
    await lessons.teach(phrase_of(ODD), "network_services", "Iris Onboarding", "en", NOW)
    await lessons.teach(phrase_of("mon zorglub clignote"), "network_services", "Iris Onboarding", "fr", NOW)
    await lessons.teach(phrase_of("gone topic"), "no_such_topic", "Iris Onboarding", "en", NOW)
    exported = yaml.safe_load(export_yaml(await lessons.all(), {"network_services"}))
    assert exported == {"routes": [{"id": "network_services", "keywords": {
        "en": ["my zorglub wobbles again code"], "fr": ["mon zorglub clignote"]}}]}


class _DownStore(MemoryStore):
    """A store that cannot be reached at all."""

    def __getattribute__(self, name: str):  # noqa: ANN204
        from handlers.ports import StoreUnavailable

        if name in ("get", "get_many", "set", "add", "replace", "delete", "incr", "read_and_count",
                    "index_put", "index_remove", "index_range"):
            async def down(*args: object, **kwargs: object) -> None:
                raise StoreUnavailable("down")
            return down
        return super().__getattribute__(name)


async def test_a_question_is_answered_when_the_store_is_down(catalog, clock):
    outcome = await dispatcher(catalog, clock, _DownStore()).dispatch(question("who handles our invoices?"))
    assert outcome.response.card is not None and "Lotte Bakker" in str(outcome.response.card)


async def test_bad_input_to_the_team_commands_gets_a_clear_answer(catalog, clock):
    store = MemoryStore()
    bot = dispatcher(catalog, clock, store)
    team = Where("slack", "T0DEMO", "C0ONBOARD01", ConversationKind.CHANNEL)
    member = dict(where=team, user_id="U0ONBOARD1")
    for text in ("forget lesson", "forget lesson 7", "forget lesson abc"):
        reply = (await bot.dispatch(Turn(TurnKind.COMMAND, text=text, **member))).response
        assert "Say which lesson to remove" in reply.text and "There are 0 lessons" in reply.text
    stale = (await bot.dispatch(Turn(TurnKind.ACTION, action="ins.teach", data={"sample": "gone"}, **member))).response
    assert "no longer kept" in stale.text
    await bot.dispatch(question(ODD))
    [sample] = await Samples(store, 30).recent(clock())
    wrong = (await bot.dispatch(Turn(TurnKind.SUBMIT, action="ins.teach.submit",
                                     data={"sample": sample.id, "topic": "no_such_topic"}, **member))).response
    assert wrong.errors == {"topic": "Pick one of the topics."}
    assert await Lessons(store).all() == [] and await Samples(store, 30).recent(clock()) != []
