"""Two replicas on one Redis, no load balancer: Slack's duplicates land on both.

Slack retries a request it thinks was lost, and with several replicas behind DNS or a
naive balancer the retry may reach another replica at the same moment. Whatever the
interleaving, one submit is one escalation and one team card; one event is one answer;
one overdue escalation is one reminder per interval.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.config import load_catalog
from bot.delivery import Deliverer
from bot.metrics import Metrics
from bot.stores.redis import RedisStore
from handlers.app import build_router
from handlers.context import Services
from handlers.escalations import SUBMIT
from handlers.router import Dispatcher
from handlers.turn import Reply, Turn, TurnKind, Where
from tests.conftest import MovableClock
from tests.fakes.notifier import RecordingNotifier
from tests.reliability.redis_peek import Peek
from tests.reliability.slack_client import ACME_CHANNEL, TEAM_CHANNEL, VALUES, submission
from tests.fakes.signing import interaction_body
from tests.wait import eventually, quiet_for

ACME = Where("slack", "T0DEMO", ACME_CHANNEL)


async def test_same_view_submission_on_both_replicas_is_one_escalation(redis_server_factory, bots, fake, sender):
    redis = redis_server_factory(appendonly=True)
    a, b = await asyncio.gather(bots("a", REDIS_URL=redis.url), bots("b", REDIS_URL=redis.url))
    view = await fake.open_modal(sender, a.url)
    payload = submission(view, VALUES, view_id="V0DUP", hash_="1700000000.dup")
    body = interaction_body(payload)

    # The very same signed bytes, at the same moment, to both replicas, then once more to each.
    first = await asyncio.gather(sender.post(a.url, body), sender.post(b.url, body))
    again = await asyncio.gather(sender.post(b.url, body), sender.post(a.url, body))
    assert [r.status for r in first + again] == [200] * 4

    await fake.wait_for(lambda cs: [c for c in cs if c["ok"]], method="chat.postMessage", channel=TEAM_CHANNEL,
                        what="the team card")
    # Nothing left to deliver, then one delivery pass (0.5 s) more for a second card to show up.
    assert await eventually(lambda: Peek(redis.url).outbox()["due"] == [], timeout=10)
    await quiet_for(0.6)
    peek = Peek(redis.url)
    # One record; the replica that lost the race may have taken a number it did not use.
    [esc] = list(peek.escalations())
    assert esc in ("ESC-000001", "ESC-000002") and peek.sequence() <= 2
    team_posts = await fake.calls("chat.postMessage", TEAM_CHANNEL)
    assert [(c["esc"], c["ok"]) for c in team_posts] == [([esc], True)], team_posts
    # Every answer the customer got names the same escalation (each replica confirms it).
    confirmations = await fake.calls("chat.postMessage", ACME_CHANNEL)
    assert confirmations and {tuple(c["esc"]) for c in confirmations} == {(esc,)}
    assert peek.outbox()["due"] == [] and peek.outbox()["dead"] == []


async def test_same_event_on_both_replicas_is_answered_once(redis_server_factory, bots, fake, sender):
    redis = redis_server_factory(appendonly=True)
    a, b = await asyncio.gather(bots("a", REDIS_URL=redis.url), bots("b", REDIS_URL=redis.url))
    event = {"type": "app_mention", "user": "U0CUSTOMER", "text": "<@U0BOT> team", "ts": "1700000100.000100",
             "channel": ACME_CHANNEL, "event_ts": "1700000100.000100"}

    # The first delivery and Slack's retries (X-Slack-Retry-Num), racing on two replicas.
    answers = await asyncio.gather(
        sender.event(a.url, event, event_id="Ev0DUPLICATE"),
        sender.event(b.url, event, event_id="Ev0DUPLICATE", retry_num=1),
        sender.event(b.url, event, event_id="Ev0DUPLICATE", retry_num=2),
        sender.event(a.url, event, event_id="Ev0DUPLICATE", retry_num=3),
    )
    assert [r.status for r in answers] == [200] * 4

    def answers_in_channel(calls):
        return [c for c in calls if c["method"] in ("chat.postMessage", "chat.postEphemeral") and c["channel"] == ACME_CHANNEL]

    await fake.wait_for(answers_in_channel, what="the answer to the mention")
    await quiet_for(0.5)  # a duplicate would be answered as fast as the first one was
    posted = answers_in_channel(await fake.calls())
    assert len(posted) == 1, posted
    assert posted[0]["ok"] and "account team of Acme Logistics" in posted[0]["text"], posted


async def test_reminder_is_announced_once_per_interval_across_replicas(redis_url, config_dir):
    """Three delivery loops (three replicas) on one Redis, running their passes at the same
    moments, with a clock moved past each reminder interval."""
    catalog = load_catalog(config_dir)
    clock = MovableClock(dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc))
    store = RedisStore.from_url(redis_url)
    try:
        services = Services(catalog=catalog, store=store, clock=clock)
        dispatcher = Dispatcher(build_router(), services)
        count = 12
        for i in range(count):
            turn = Turn(TurnKind.SUBMIT, ACME, f"U0CUST{i:04d}", locale="en-US", action=SUBMIT,
                        data={**VALUES, "urgency": "urgent"}, dedupe_key=f"rem-{i}")
            outcome = await dispatcher.dispatch(turn)
            assert isinstance(outcome.response, Reply) and outcome.response.card is not None
        notifiers = [RecordingNotifier("slack") for _ in range(3)]
        replicas = [Deliverer(services, {"slack": n}, Metrics()) for n in notifiers]
        await asyncio.gather(*(d.run_once() for d in replicas))  # the team cards

        def reminders() -> dict[str, int]:
            seen: dict[str, int] = {}
            for notifier in notifiers:
                for _, card, _ in notifier.posts:
                    if card.title.startswith("Still waiting"):
                        esc = card.title.split(" · ")[1]
                        seen[esc] = seen.get(esc, 0) + 1
            return seen

        minutes = catalog.onboarding.remind_after_minutes["urgent"]
        for interval in (1, 2, 3):
            clock.advance(minutes=minutes + 1)
            for _ in range(3):  # several passes per interval, all replicas at once
                await asyncio.gather(*(d.run_once() for d in replicas))
            per_esc = reminders()
            assert per_esc == {f"ESC-{n:06d}": interval for n in range(1, count + 1)}, (
                f"after interval {interval}: reminders per escalation {per_esc}"
            )
        team_cards = [p for n in notifiers for p in n.posts if not p[1].title.startswith("Still waiting")]
        assert len(team_cards) == count
    finally:
        await store.close()


async def test_a_link_or_language_set_on_one_replica_is_used_by_the_other_at_once(redis_server_factory, bots, sender):
    """Each replica keeps links and language choices in memory (bot.stores.near_cache);
    a change made through one must reach the other's next answer, not after a TTL."""
    redis = redis_server_factory()
    a, b = await asyncio.gather(bots("a", REDIS_URL=redis.url, REDIS_CACHE_SECONDS="60"),
                                bots("b", REDIS_URL=redis.url, REDIS_CACHE_SECONDS="60"))
    new_channel = "C0NEWCHAN01"
    before = (await sender.command(b.url, "team", channel=new_channel)).json()
    assert "not linked" in before["text"]  # b has now read (and keeps) "no link here"
    again = (await sender.command(b.url, "team", channel=new_channel)).json()
    assert "not linked" in again["text"]

    linked = await sender.command(a.url, "link globex-media", channel=new_channel, user="U0ONBOARD1")
    assert linked.status == 200 and "Globex" in linked.body
    started = asyncio.get_running_loop().time()
    while True:  # the announcement travels through Redis: a few milliseconds
        answer = (await sender.command(b.url, "team", channel=new_channel)).json()
        if "Globex Media" in str(answer):
            break
        assert asyncio.get_running_loop().time() - started < 2.0, answer
        await asyncio.sleep(0.02)

    english = (await sender.command(b.url, "team", channel=ACME_CHANNEL)).json()
    assert "Account Manager" in str(english)
    assert (await sender.command(a.url, "lang fr", channel=ACME_CHANNEL)).status == 200
    started = asyncio.get_running_loop().time()
    while True:
        answer = (await sender.command(b.url, "team", channel=ACME_CHANNEL)).json()
        if "Gestionnaire de compte" in str(answer):
            break
        assert asyncio.get_running_loop().time() - started < 2.0, answer
        await asyncio.sleep(0.02)
