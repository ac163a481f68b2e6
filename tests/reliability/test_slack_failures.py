"""The Slack Web API failing under a running bot: transient errors are retried until the
team card is delivered exactly once; a permanent error is parked and shown on /readyz."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from bot.config import load_catalog
from bot.delivery import Deliverer
from bot.metrics import Metrics
from bot.stores.redis import RedisStore
from handlers.app import build_router
from handlers.context import Services
from handlers.escalations import SUBMIT
from handlers.ports import DeliveryError
from handlers.router import Dispatcher
from handlers.turn import Turn, TurnKind, Where
from tests.conftest import MovableClock
from tests.fakes.notifier import RecordingNotifier
from tests.reliability.redis_peek import Peek
from tests.reliability.slack_client import TEAM_CHANNEL, VALUES, submission
from tests.wait import eventually, quiet_for

SLACK_API_TIMEOUT = 2.0
"""The bot's Slack client timeout for these tests (10 s by default): the same timeout path, sooner."""
HANG = SLACK_API_TIMEOUT + 1.0  # longer than the bot's Slack client timeout: the call times out on the bot's side


async def test_team_card_survives_500_429_and_a_timeout_then_is_delivered_once(redis_server_factory, bots, fake, sender):
    redis = redis_server_factory(appendonly=True)
    bot = await bots("a", REDIS_URL=redis.url, SLACK_API_TIMEOUT=SLACK_API_TIMEOUT)
    await fake.fail(
        "chat.postMessage",
        {"status": 500, "error": "internal_error", "channel": TEAM_CHANNEL},
        {"status": 429, "error": "ratelimited", "retry_after": 1, "channel": TEAM_CHANNEL},
        {"status": 504, "error": "timeout", "delay": HANG, "channel": TEAM_CHANNEL},
    )
    view = await fake.open_modal(sender, bot.url)
    started = time.monotonic()
    assert (await sender.interaction(bot.url, submission(view, VALUES, view_id="V0F", hash_="h-f"))).status == 200

    # While Slack fails, the card is owed: pending in the outbox, in Redis.
    await fake.wait_for(lambda cs: len(cs) >= 2, method="chat.postMessage", channel=TEAM_CHANNEL, what="two attempts")
    ready = (await sender.get(bot.url, "/readyz")).json()
    assert ready["checks"]["outbox"]["pending"] == 1 and ready["checks"]["outbox"]["undeliverable"] == 0
    assert [m for m, _ in Peek(redis.url).outbox()["due"]] == ["ESC-000001:team:slack"]

    attempts = await fake.wait_for(lambda cs: cs if any(c["ok"] for c in cs) else None, method="chat.postMessage",
                                   channel=TEAM_CHANNEL, timeout=40, what="a successful team card")
    print(f"team card delivered {time.monotonic() - started:.1f}s after the submit, attempt {len(attempts)}")
    assert await eventually(lambda: Peek(redis.url).outbox() == {"due": [], "dead": []}, timeout=5)
    await quiet_for(0.6)  # one delivery pass (0.5 s) for a stray extra attempt
    attempts = await fake.calls("chat.postMessage", TEAM_CHANNEL)
    assert [c["fault"].split(":")[1] if c["fault"] else "ok" for c in attempts] == ["500", "429", "504", "ok"], attempts
    assert all(c["esc"] == ["ESC-000001"] for c in attempts)
    # The 429's Retry-After (1 s) was honoured before the next try.
    assert attempts[2]["started"] - attempts[1]["ended"] >= 0.9
    peek = Peek(redis.url)
    assert peek.outbox() == {"due": [], "dead": []} and peek.outbox_items() == []
    ready = (await sender.get(bot.url, "/readyz")).json()
    assert ready["checks"]["outbox"] == {"pending": 0, "undeliverable": 0}
    assert peek.escalations()["ESC-000001"]["team_refs"] == {"slack": f"{TEAM_CHANNEL}:{attempts[-1]['ts']}"}


async def test_channel_not_found_is_parked_and_shown_on_readyz(redis_server_factory, bots, fake, sender):
    redis = redis_server_factory(appendonly=True)
    bot = await bots("a", REDIS_URL=redis.url)
    await fake.fail("chat.postMessage", {"status": 200, "error": "channel_not_found", "channel": TEAM_CHANNEL})
    view = await fake.open_modal(sender, bot.url)
    assert (await sender.interaction(bot.url, submission(view, VALUES, view_id="V0P", hash_="h-p"))).status == 200

    async def something_parked() -> bool:
        return bool((await sender.get(bot.url, "/readyz")).json()["checks"]["outbox"].get("undeliverable", 0))

    assert await eventually(something_parked, timeout=10), "nothing parked after 10 s"
    ready = await sender.get(bot.url, "/readyz")
    parked = ready.json()["checks"]["outbox"]["undeliverable"]
    # /readyz is unauthenticated: a count, no ids and no error texts; those are in the log.
    assert parked == 1 and "ESC-000001" not in ready.body and "channel_not_found" not in ready.body
    assert "delivery of ESC-000001:team:slack to slack failed for good: slack error channel_not_found" in bot.log_text()
    assert "bot_outbox_undeliverable 1.0" in (await sender.get(bot.url, "/metrics")).body
    assert ready.status == 200  # parked items are reported; restarting the replica would not help
    await quiet_for(1.5)  # past the first retry's backoff (1 s, jitter up to 1.2 s): none may come
    attempts = await fake.calls("chat.postMessage", TEAM_CHANNEL)
    assert len(attempts) == 1, "a permanent error must not be retried"
    peek = Peek(redis.url)
    assert [m for m, _ in peek.outbox()["dead"]] == ["ESC-000001:team:slack"] and peek.outbox()["due"] == []
    assert "ESC-000001:team:slack" in peek.outbox_items()  # kept, never dropped


@pytest.mark.parametrize(
    "error",
    [DeliveryError("rate limited", retry_after=30), DeliveryError("channel_not_found", permanent=True)],
    ids=["429-retry-after-30s", "permanent-channel_not_found"],
)
async def test_an_item_another_replica_just_failed_is_not_resent_before_its_time(redis_url, config_dir, error):
    """Replica B lists the due items, replica A then fails the same item (429 with
    Retry-After 30 s, or a permanent error), and B goes on through the list it read: B
    must not send the item again at once, ignoring Retry-After or a parked item.

    Two replicas polling every 0.5 s meet this interleaving whenever their passes
    overlap; here it is made deterministic by running the steps in that order.
    """
    catalog = load_catalog(config_dir)
    clock = MovableClock(dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc))
    store = RedisStore.from_url(redis_url)
    try:
        services = Services(catalog=catalog, store=store, clock=clock)
        dispatcher = Dispatcher(build_router(), services)
        await dispatcher.dispatch(Turn(TurnKind.SUBMIT, Where("slack", "T0DEMO", "C0DEMO00001"), "U0R1",
                                       locale="en-US", action=SUBMIT, data=dict(VALUES), dedupe_key="resend"))
        notifier_a, notifier_b = RecordingNotifier("slack"), RecordingNotifier("slack")
        a = Deliverer(services, {"slack": notifier_a}, Metrics())
        b = Deliverer(services, {"slack": notifier_b}, Metrics())
        listed_by_b = await b.outbox.due(b.now())
        assert listed_by_b == ["ESC-000001:team:slack"]
        notifier_a.failures.append(error)
        await a.run_once()  # A's try fails: retry in 30 s, or parked
        for item_id in listed_by_b:  # B's pass, working through the list it read before
            await b.deliver(item_id)
        assert notifier_b.posts == [], f"replica B re-sent {listed_by_b} right after A's {error.reason!r}"
    finally:
        await store.close()
