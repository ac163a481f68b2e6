"""The store failing for one call at the worst moment (a Redis restart or failover lands
between two writes of one operation), made deterministic with a store that fails on cue.

What the chaos test can only hit by luck, this pins down: an escalation or a state
change whose record was written but whose notifications were not, and a delivery that
reached Slack but could not be recorded.
"""

from __future__ import annotations

from typing import Any, Callable

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
from handlers.turn import FormErrors, Platform, Reply, Turn, TurnKind, Where
from tests.conftest import MovableClock
from tests.fakes.notifier import RecordingNotifier
from tests.reliability.slack_client import STORE_DOWN, VALUES

ACME = Where(Platform.SLACK, "T0DEMO", "C0DEMO00001")
TEAM = Where(Platform.SLACK, "T0DEMO", "C0ONBOARD01")
MEMBER = "U0ONBOARD1"


class FlakyStore:
    """A store that raises ``StoreUnavailable`` on the calls a test names, once each."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.faults: list[tuple[str, Callable[[str], bool]]] = []
        self.tripped: list[str] = []

    def fail_next(self, method: str, key: Callable[[str], bool]) -> None:
        self.faults.append((method, key))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            key = str(args[0]) if args else ""
            for fault in self.faults:
                if fault[0] == name and fault[1](key):
                    self.faults.remove(fault)
                    self.tripped.append(f"{name}({key})")
                    raise StoreUnavailable(f"injected: {name}({key})")
            return await attr(*args, **kwargs)

        return call


class World:
    def __init__(self, config_dir: Any) -> None:
        self.ticks = [1000.0]
        self.store = FlakyStore(MemoryStore(clock=lambda: self.ticks[0]))
        self.clock = MovableClock()
        self.services = Services(catalog=load_catalog(config_dir), store=self.store, clock=self.clock)
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
