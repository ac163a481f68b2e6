"""The store failing for one call at the worst moment (a Redis restart or failover lands
between two writes of one operation), made deterministic with a store that fails on cue.

What the chaos test can only hit by luck, this pins down: an escalation or a state
change whose record was written but whose notifications were not, a delivery that
reached Slack but could not be recorded, and a submit that fails (or whose replica
dies, or stalls) at any step of creating its escalation while the same request arrives
again.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from bot.config import load_catalog
from bot.delivery import Deliverer
from bot.metrics import Metrics
from bot.stores.memory import MemoryStore
from handlers.app import build_router
from handlers.context import Services
from handlers.escalation_records import Escalations
from handlers.escalations import ACK, SUBMIT
from handlers.ports import StoreUnavailable
from handlers.router import Dispatcher
from handlers.turn import FormErrors, Reply, Turn, TurnKind, Where
from tests.conftest import MovableClock
from tests.fakes.notifier import RecordingNotifier
from tests.reliability.slack_client import STORE_DOWN, VALUES

ACME = Where("slack", "T0DEMO", "C0DEMO00001")
TEAM = Where("slack", "T0DEMO", "C0ONBOARD01")
MEMBER = "U0ONBOARD1"


class FlakyStore:
    """A store that raises ``StoreUnavailable`` on the calls a test names, once each.

    Besides ``fail_next`` (by method and key), ``fail_call(n, after=...)`` fails the
    ``n``-th call from now whatever it is, before it reaches the store or after the
    store did it (a write applied whose acknowledgement was lost), and ``hold_next``
    stops one call until the test lets it go on or kills the request under it.
    ``calls`` lists every call made, as ``method(key)``.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.faults: list[tuple[str, Callable[[str], bool]]] = []
        self.tripped: list[str] = []
        self.calls: list[str] = []
        self.fail_at: tuple[int, bool] | None = None
        self.holds: list[tuple[Callable[[str, str], bool], bool, asyncio.Event, asyncio.Event]] = []

    def fail_next(self, method: str, key: Callable[[str], bool]) -> None:
        self.faults.append((method, key))

    def fail_call(self, n: int, *, after: bool) -> None:
        self.fail_at = (len(self.calls) + n, after)

    def hold_next(self, match: Callable[[str, str], bool], *, after: bool = False) -> tuple[asyncio.Event, asyncio.Event]:
        """The next call ``match(method, key)`` accepts waits, before or after the store
        did it; returns (set when it is waiting, set this to let it go on)."""
        waiting, go_on = asyncio.Event(), asyncio.Event()
        self.holds.append((match, after, waiting, go_on))
        return waiting, go_on

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            key = str(args[0]) if args else ""
            number = len(self.calls)
            self.calls.append(f"{name}({key})")
            hold = next((h for h in self.holds if h[0](name, key)), None)
            if hold is not None:
                self.holds.remove(hold)
            for fault in self.faults:
                if fault[0] == name and fault[1](key):
                    self.faults.remove(fault)
                    self.tripped.append(f"{name}({key})")
                    raise StoreUnavailable(f"injected: {name}({key})")
            fail = self.fail_at is not None and self.fail_at[0] == number
            if fail and not self.fail_at[1]:  # type: ignore[index]
                self.tripped.append(f"{name}({key})")
                raise StoreUnavailable(f"injected before: {name}({key})")
            if hold is not None and not hold[1]:
                hold[2].set()
                await hold[3].wait()
            result = await attr(*args, **kwargs)
            if hold is not None and hold[1]:
                hold[2].set()
                await hold[3].wait()
            if fail:
                self.tripped.append(f"{name}({key})")
                raise StoreUnavailable(f"injected after: {name}({key})")
            return result

        return call


@functools.lru_cache(maxsize=4)
def _catalog(config_dir: str) -> Any:
    """One load per test's config copy (the catalog is frozen): the sweeps below build a
    world per store call, and loading the config with its wording model takes a tenth of
    a second each time."""
    return load_catalog(Path(config_dir))


class World:
    def __init__(self, config_dir: Any, inner: Any = None) -> None:
        self.ticks = [1000.0]
        self.store = FlakyStore(inner if inner is not None else MemoryStore(clock=lambda: self.ticks[0]))
        self.clock = MovableClock()
        self.services = Services(catalog=_catalog(str(config_dir)), store=self.store, clock=self.clock)
        self.dispatcher = Dispatcher(build_router(), self.services)
        self.notifier = RecordingNotifier("slack")
        self.deliverer = Deliverer(self.services, {"slack": self.notifier}, Metrics())

    def advance(self, seconds: float) -> None:
        self.ticks[0] += seconds
        self.clock.advance(seconds=seconds)

    async def submit(self, dedupe: str = "slack:view:V1:h1") -> Reply | FormErrors:
        outcome = await self.dispatcher.dispatch(Turn(TurnKind.SUBMIT, ACME, "U0CUSTOMER", locale="en-US",
                                                      action=SUBMIT, data=dict(VALUES), dedupe_key=dedupe))
        assert isinstance(outcome.response, (Reply, FormErrors))
        return outcome.response

    async def ack(self, esc: str = "ESC-000001") -> Reply:
        outcome = await self.dispatcher.dispatch(Turn(TurnKind.ACTION, TEAM, MEMBER, locale="en-US", action=ACK,
                                                      data={"id": esc}))
        assert isinstance(outcome.response, Reply)
        return outcome.response

    async def drain(self, passes: int = 5) -> None:
        """Delivery passes, each after the longest backoff the outbox could have asked for here."""
        for _ in range(passes):
            try:
                await self.deliverer.run_once()
            except StoreUnavailable:
                pass  # Deliverer.run logs and waits for the next pass
            self.advance(5)

    def team_posts(self) -> list[Any]:
        return [p for p in self.notifier.posts if p[0].conversation == "C0ONBOARD01"]

    def requester_posts(self) -> list[Any]:
        return [p for p in self.notifier.posts if p[0].conversation == "C0DEMO00001"]


@pytest.fixture
def world(config_dir: Any) -> World:
    return World(config_dir)


async def test_submit_whose_team_card_could_not_be_queued_still_reaches_the_team(world):
    """The record is written, the store fails on the outbox write: the customer is told
    "cannot reach my storage" and submits the same modal again (same view id and hash)."""
    world.store.fail_next("set", lambda key: key.startswith("outbox:item:"))
    first = await world.submit()
    assert isinstance(first, FormErrors) and STORE_DOWN in first.errors["description"]  # the form stays open
    again = await world.submit()
    assert again.card is not None and "ESC-000001" in again.card.title  # the idempotency key found the record
    await world.drain()
    assert len(world.team_posts()) == 1, (
        "ESC-000001 exists and its customer holds a confirmation, but no team card was ever queued"
    )


async def test_acknowledge_whose_notifications_could_not_be_queued_still_tells_the_requester(world):
    """The state change is written, the store fails on the outbox write: the member is
    told "cannot reach my storage" and presses Acknowledge again."""
    await world.submit()
    await world.drain()
    assert len(world.team_posts()) == 1
    world.store.fail_next("set", lambda key: key.startswith("outbox:item:"))
    first = await world.ack()
    assert STORE_DOWN in first.text
    again = await world.ack()
    record = await Escalations(world.store).get("ESC-000001")
    assert record is not None and record.state == "acknowledged"
    print(f"second press answered: {again.text or again.card}")
    await world.drain()
    assert len(world.requester_posts()) == 1, "the requester was never told their escalation was picked up"
    assert len(world.notifier.updates) >= 1, "the team card still shows the escalation as open"


@pytest.mark.parametrize("step", ["team card reference", "outbox done"])
async def test_a_send_slack_accepted_is_not_repeated_after_a_store_blip(world, step):
    """Slack accepted the team card, then the store failed on the bookkeeping after it
    (saving the message reference, or marking the item done) and on releasing the lease."""
    await world.submit()
    if step == "team card reference":
        world.store.fail_next("replace", lambda key: key == "esc:ESC-000001")
    else:
        world.store.fail_next("replace", lambda key: key == "outbox:item:ESC-000001:team:slack")
    world.store.fail_next("delete", lambda key: key.startswith("outbox:lease:"))
    try:
        await world.deliverer.run_once()
    except StoreUnavailable:
        pass
    assert len(world.store.tripped) == 2, world.store.tripped
    assert len(world.team_posts()) == 1
    await world.drain(passes=3)  # the store is back: 15 s of passes
    pending = await world.deliverer.outbox.pending_count()
    world.advance(61)  # past LEASE_SECONDS: whatever lease was left behind has expired
    await world.drain(passes=3)
    assert len(world.team_posts()) == 1, f"after a blip at '{step}' the team card was posted twice"
    assert pending == 0, (
        f"after a blip at '{step}' the item stayed leased and undelivered with the store back "
        "(its lease could not be released; it waits LEASE_SECONDS = 60 s)"
    )


# -- one submit, one escalation, whatever happens while it is created ---------------------


async def _escalations(store: Any) -> list[str]:
    """The ids of every escalation record in ``store`` (numbers are handed out in order)."""
    last = int(await store.get("seq:esc") or 0)
    records = Escalations(store)
    return [f"ESC-{n:06d}" for n in range(1, last + 1) if await records.get(f"ESC-{n:06d}") is not None]


def _confirmed(reply: Reply | FormErrors) -> str:
    """The escalation id a confirmation names; "" for a form sent back."""
    if isinstance(reply, FormErrors) or reply.card is None:
        return ""
    return reply.card.title.rsplit(" ", 1)[-1].strip("()")


@pytest.mark.parametrize("after", [False, True], ids=["call lost", "answer lost"])
async def test_whichever_store_call_of_a_submit_fails_sending_it_again_stores_one_escalation(config_dir, after):
    """Every store call a submit makes, failed in turn: before it reaches the store, or
    after the store did it but before its answer came back (a Redis restart or a
    timeout between a write and its acknowledgement). The customer is told "cannot
    reach my storage" and sends the same modal again: one escalation, the one the
    second answer names, and one team card."""
    clean = World(config_dir)
    await clean.submit()
    steps = list(clean.store.calls)
    assert any("esc:ESC-000001" in step for step in steps), steps
    wrong: dict[str, str] = {}
    for n, step in enumerate(steps):
        world = World(config_dir)
        world.store.fail_call(n, after=after)
        first = await world.submit()
        assert world.store.tripped, f"call {n} ({step}) was not made this time"
        again = await world.submit()
        stored = await _escalations(world.store.inner)
        await world.drain()
        cards = len(world.team_posts())
        if len(stored) != 1 or _confirmed(again) != stored[0] or _confirmed(first) not in ("", stored[0]) or cards != 1:
            wrong[f"{n}: {step}"] = (f"stored {stored}, first answer {_confirmed(first) or 'form back'}, "
                                     f"second {_confirmed(again) or 'form back'}, {cards} team cards")
    assert not wrong, f"a failed call at these steps, then the same modal sent again: {wrong}"


def _record_write(method: str, key: str) -> bool:
    """The call that writes an escalation record."""
    return method.startswith("add") and "esc:ESC-" in key


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis),
                        pytest.param("near", marks=pytest.mark.redis)])
async def create_world(request: pytest.FixtureRequest, config_dir: Any) -> AsyncIterator[World]:
    """A world on the embedded store, on a real Redis, and on Redis behind the near cache."""
    if request.param == "memory":
        yield World(config_dir)
        return
    from bot.stores.near_cache import NearCache
    from bot.stores.redis import RedisStore
    from handlers.accounts import TURN_KEY_PREFIXES

    redis = RedisStore.from_url(request.getfixturevalue("redis_url"))
    store: Any = redis
    if request.param == "near":
        store = NearCache(redis, prefixes=TURN_KEY_PREFIXES)
        await store.start()
    try:
        yield World(config_dir, inner=store)
    finally:
        await store.close()


@pytest.mark.parametrize("first_fate", ["stalls before writing, then goes on", "writes, then dies"])
async def test_the_same_submit_on_two_replicas_at_once_stores_one_escalation(create_world, first_fate):
    """Two replicas get the same request (Slack's retry, a client failing over): the
    first stalls at its record write (a slow store, a loaded machine) for longer than
    the second takes, then goes on; or it writes and its replica is killed before
    answering, and the client sends the request again. One escalation, and every answer
    names it."""
    world = create_world
    after = first_fate == "writes, then dies"
    waiting, go_on = world.store.hold_next(_record_write, after=after)
    first = asyncio.ensure_future(world.submit())
    await asyncio.wait_for(waiting.wait(), 5)
    second = await asyncio.wait_for(world.submit(), 10)
    if after:
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        answers = [second, await asyncio.wait_for(world.submit(), 10)]
    else:
        go_on.set()
        answers = [second, await asyncio.wait_for(first, 10)]
    stored = await _escalations(world.store.inner)
    assert len(stored) == 1, f"one request stored as {stored}"
    assert [_confirmed(a) for a in answers] == stored * 2, answers
