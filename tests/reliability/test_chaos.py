"""Chaos, bounded: two replicas on Redis (appendonly), Slack failing ~20% of posts and
updates, one replica SIGKILLed and restarted mid-way, Redis down and back once.

The customers and the member behave like people: a customer whose submit got no
answer (the replica died under it) clicks Submit again on the same modal (same view
id and hash), one told "cannot reach my storage" fills the form in again; the member
presses Acknowledge on the team card and presses again when the press was not
answered or answered with an error.

Afterwards every escalation must exist exactly once, have exactly one team card that
Slack accepted, and every acknowledged one exactly one "picked up" message to its
requester, with every state change in the record's history and on the card.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.signing import interaction_body
from tests.reliability.procs import BotProcess, _get
from tests.reliability.redis_peek import Peek
from tests.wait import eventually, quiet_for
from tests.reliability.slack_client import (
    MEMBER,
    STORE_DOWN,
    TEAM_CHANNEL,
    FakeSlack,
    SlackSender,
    ack_button,
    press,
    submission,
)

SUBMITS = 150
WORKLOAD_SECONDS = 20.0
KILL_AT = 7.0  # seconds into the workload: SIGKILL replica a, then start it again
REDIS_DOWN_AT = 13.0  # seconds into the workload: Redis stopped for REDIS_DOWN_FOR, then started
REDIS_DOWN_FOR = 1.5  # longer than the client's retry budget (~0.7 s), so the outage is felt
FAULT_RATE = 0.2
DRAIN_TIMEOUT = 45.0
REFUSALS_ARRIVE = 1.0
"""A refusal is posted (ephemeral) after the submit's answer: the window in which the last
ones reach the fake before the test reads who was refused."""
CHANNELS = ("C0DEMO00001", "C0DEMO00002", "C0DEMO00003")
_TOKEN = re.compile(r"CHAOS-(\d+)(?:-r(\d+))?")


def _bugs(answer: tuple[int, bytes]) -> dict[str, float]:
    """The ``bot_errors_total`` samples above zero in a /metrics answer."""
    status, body = answer
    assert status == 200, status
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("bot_errors_total{"):
            labels, _, value = line.partition("} ")
            if float(value):
                out[labels.removeprefix("bot_errors_total{")] = float(value)
    return out


@dataclass
class Submit:
    token: str
    number: int
    channel: str
    user: str
    view_id: str
    outcome: str = "pending"  # accepted | refused | failed
    answered_by: str = ""
    answered_at: float = 0.0
    tries: int = 0


@dataclass
class Figures:
    requests: int = 0
    connection_errors: int = 0
    http_5xx: int = 0
    slow_answers: int = 0
    max_answer: float = 0.0
    presses: int = 0
    press_retries: int = 0
    resubmits: int = 0
    events: list[tuple[str, float]] = field(default_factory=list)


class Chaos:
    def __init__(self, bots: list[BotProcess], redis: Any, fake: FakeSlack, sender: SlackSender, fake_base: str) -> None:
        self.bots = bots
        self.redis = redis
        self.fake = fake
        self.sender = sender
        self.fake_base = fake_base
        self.rng = random.Random(7)
        self.views: dict[str, dict[str, Any]] = {}
        self.submits: dict[str, Submit] = {}
        self.figures = Figures()
        self.acks: dict[str, str] = {}  # esc -> outcome
        self.press_log: dict[str, list[tuple[int, str, float, str]]] = defaultdict(list)
        self.ack_tasks: list[asyncio.Task[None]] = []
        self.responses: dict[str, dict[str, Any]] = {}
        self.seen_seq = -1
        self.team_cards: dict[str, dict[str, Any]] = {}  # esc -> first successful post
        self.token_of: dict[str, str] = {}  # esc -> token
        self.stop_polling = asyncio.Event()
        self.kill_time = 0.0
        self.killed_incarnation = ""
        self.redis_down = (0.0, 0.0)
        self.stale_leases: dict[str, tuple[str, float]] = {}
        self.poller: asyncio.Future[None] | None = None
        self.janitor_task: asyncio.Future[None] | None = None

    # -- sending --------------------------------------------------------------------------
    async def send(self, body: str, prefer: int, keep: list[str] | None = None) -> tuple[bool, str]:
        """POST to the preferred replica, failing over to the other as Slack's retry would
        (a connection error or no answer). Returns (answered 200, incarnation)."""
        for attempt in range(8):
            bot = self.bots[(prefer + attempt) % 2]
            incarnation = bot.incarnation
            self.figures.requests += 1
            try:
                answer = await self.sender.post(bot.url, body)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                self.figures.connection_errors += 1
                await asyncio.sleep(0.1)
                continue
            self.figures.max_answer = max(self.figures.max_answer, answer.seconds)
            if answer.seconds > 3.0:
                self.figures.slow_answers += 1
            if answer.status >= 500:
                self.figures.http_5xx += 1
                await asyncio.sleep(0.1)
                continue
            if keep is not None:
                keep.append(answer.body if answer.status == 200 else "")
            return answer.status == 200, incarnation
        return False, ""

    async def submit(self, number: int, retry: int = 0) -> None:
        token = f"CHAOS-{number:04d}" + (f"-r{retry}" if retry else "")
        channel = CHANNELS[number % len(CHANNELS)]
        # One user per attempt, so the bot's ephemeral answers can be told apart.
        entry = Submit(token, number, channel, f"U0CH{number:04d}" + (f"R{retry}" if retry else ""), f"V0{token}")
        self.submits[token] = entry
        values = {"subject": f"{token} cannot badge in", "category": "site_access",
                  "urgency": "urgent" if number % 3 == 0 else "normal",
                  "description": f"Engineers of {token} could not enter the IBX this morning."}
        body = interaction_body(submission(self.views[channel], values, user=entry.user, view_id=entry.view_id,
                                           hash_=f"h-{token}"))
        # No answer (the replica died under the request): Slack's modal lets the user
        # press Submit again, which sends the same view id and hash.
        answers: list[str] = []
        ok, incarnation = await self.send(body, prefer=number % 2, keep=answers)
        entry.tries += 1
        # Redis down: the modal stays open with "cannot reach my storage" under the
        # details, and the user presses Submit again a moment later (same view id/hash).
        while ok and answers and '"errors"' in answers[-1] and entry.tries < 10:
            self.figures.resubmits += 1
            await asyncio.sleep(1.0)
            ok, incarnation = await self.send(body, prefer=(number + entry.tries) % 2, keep=answers)
            entry.tries += 1
        entry.outcome = "answered" if ok else "failed"
        entry.answered_by, entry.answered_at = incarnation, time.time()

    # -- the member -----------------------------------------------------------------------
    async def poll(self) -> None:
        """Follow the fake's record: team cards (to press) and answers to presses."""
        while not self.stop_polling.is_set():
            try:
                calls = await self.fake.calls(since=self.seen_seq)
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
                continue
            for call in calls:
                self.seen_seq = max(self.seen_seq, call["seq"])
                if call["method"] == "response_url":
                    self.responses[call["name"]] = call
                elif (call["method"] == "chat.postMessage" and call["channel"] == TEAM_CHANNEL and call["ok"]
                      and call["esc"] and call["tokens"]):
                    esc = call["esc"][0]
                    self.token_of.setdefault(esc, call["tokens"][0])
                    if esc not in self.team_cards:
                        self.team_cards[esc] = call
                        number = int(_TOKEN.match(call["tokens"][0]).group(1))  # type: ignore[union-attr]
                        if number % 2 == 0:
                            self.ack_tasks.append(asyncio.ensure_future(self.acknowledge(esc, call)))
            await asyncio.sleep(0.2)

    async def acknowledge(self, esc: str, card: dict[str, Any]) -> None:
        await asyncio.sleep(self.rng.uniform(0.0, 1.5))  # the member reads the card first
        for attempt in range(10):
            name = f"ack-{esc}-{attempt}"
            payload = press(ack_button(card), user=MEMBER, channel=TEAM_CHANNEL, message_ts=card["ts"],
                            response_url=f"{self.fake_base}/respond/{name}", action_ts=f"{time.time():.6f}")
            self.figures.presses += 1
            if attempt:
                self.figures.press_retries += 1
            sent_at = time.time()
            _, incarnation = await self.send(interaction_body(payload), prefer=self.rng.randrange(2))
            deadline = time.monotonic() + 5.0
            while name not in self.responses and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            answer = self.responses.get(name)
            self.press_log[esc].append((attempt, incarnation, round(sent_at - self.kill_time, 2) if self.kill_time else 0.0,
                                        "no answer" if answer is None else answer["text"][:80]))
            if answer is None:
                continue  # the replica died with the press: press again
            if answer["replace_original"]:
                self.acks[esc] = "acknowledged"
                return
            if "already" in answer["blob"] and "acknowledged" in answer["blob"]:
                self.acks[esc] = "already acknowledged"
                return
            await asyncio.sleep(0.5)  # "cannot reach my storage" / "try again": the member tries again
        self.acks[esc] = "gave up"

    # -- faults ---------------------------------------------------------------------------
    async def kill_and_restart(self) -> None:
        bot = self.bots[0]
        self.killed_incarnation = bot.incarnation
        self.kill_time = time.time()
        bot.kill()
        self.figures.events.append((f"SIGKILL {self.killed_incarnation}", self.kill_time))
        await asyncio.to_thread(bot.start)
        self.figures.events.append((f"started {bot.incarnation}", time.time()))

    async def janitor(self) -> None:
        """Stand-in for the outbox lease expiry (LEASE_SECONDS = 60 s), to keep the test bounded.

        A live replica holds a lease only while it sends one item (milliseconds here: the
        fake answers at once). A lease held by the same owner for 3 s is one nobody will
        release: its replica was SIGKILLed, or could not release it while Redis was down.
        Each one is counted and reported, with what it followed; the item it blocked is
        then delivered as it would be 60 s later.
        """
        peek = Peek(self.redis.url)
        seen: dict[tuple[str, str], float] = {}
        while not self.stop_polling.is_set():
            try:
                leases = await asyncio.to_thread(peek.leases)
            except Exception:  # noqa: BLE001 - Redis is down right now
                await asyncio.sleep(0.5)
                continue
            now = time.time()
            current = {(item, owner) for item, (owner, _) in leases.items()}
            seen = {k: v for k, v in seen.items() if k in current}
            for key in current:
                seen.setdefault(key, now)
            stuck = [k for k, since in seen.items() if now - since >= 3.0]
            for item, owner in stuck:
                after = "other"
                if self.kill_time and 0 <= seen[(item, owner)] - self.kill_time < 10:
                    after = "SIGKILL"
                if self.redis_down[0] and 0 <= seen[(item, owner)] - self.redis_down[0] < 10:
                    after = "Redis outage"
                self.stale_leases[item] = (after, round(seen[(item, owner)] - self.kill_time, 2))
                del seen[(item, owner)]
            if stuck:
                await asyncio.to_thread(peek.expire, [item for item, _ in stuck])
            await asyncio.sleep(0.5)

    async def redis_outage(self) -> None:
        down = time.time()
        await asyncio.to_thread(self.redis.stop)
        await asyncio.sleep(REDIS_DOWN_FOR)
        await asyncio.to_thread(self.redis.start)
        self.redis_down = (down, time.time())
        self.figures.events.append(("redis down", down))
        self.figures.events.append(("redis up", self.redis_down[1]))

    # -- the run --------------------------------------------------------------------------
    async def run(self) -> None:
        for channel in CHANNELS:
            self.views[channel] = await self.fake.open_modal(self.sender, self.bots[0].url, channel=channel,
                                                            trigger=f"trig-{channel}")
        await self.fake.chaos(rate=FAULT_RATE, methods=["chat.postMessage", "chat.update"], statuses=[500, 429],
                              retry_after=1, seed=1234)
        self.poller = asyncio.ensure_future(self.poll())
        self.janitor_task = asyncio.ensure_future(self.janitor())
        started = time.monotonic()
        faults = [
            asyncio.ensure_future(self._at(started + KILL_AT, self.kill_and_restart())),
            asyncio.ensure_future(self._at(started + REDIS_DOWN_AT, self.redis_outage())),
        ]
        tasks = []
        for number in range(SUBMITS):
            await asyncio.sleep(max(0.0, started + number * WORKLOAD_SECONDS / SUBMITS - time.monotonic()))
            tasks.append(asyncio.ensure_future(self.submit(number)))
        await asyncio.gather(*tasks)
        await asyncio.gather(*faults)
        # Customers told "cannot reach my storage" (or "try again") fill the form in again.
        await quiet_for(REFUSALS_ARRIVE)
        refused = await self.refused_users()
        again = []
        for entry in list(self.submits.values()):
            if entry.user in refused:
                entry.outcome = "refused"
                self.figures.resubmits += 1
                again.append(self.submit(entry.number, retry=1))
        await asyncio.gather(*again)
        await quiet_for(REFUSALS_ARRIVE)
        refused = await self.refused_users()
        for entry in self.submits.values():
            if entry.user in refused:
                entry.outcome = "refused"
            elif entry.outcome == "answered":
                entry.outcome = "accepted"

    async def refused_users(self) -> dict[str, str]:
        """Users whose submit was answered with an error (ephemeral), and the answer."""
        refused: dict[str, str] = {}
        for call in await self.fake.calls("chat.postEphemeral"):
            if call["user"].startswith("U0CH") and (STORE_DOWN in call["text"] or "went wrong" in call["text"]):
                refused[call["user"]] = call["text"]
        return refused

    @staticmethod
    async def _at(when: float, work: Any) -> None:
        await asyncio.sleep(max(0.0, when - time.monotonic()))
        await work


def _window(chaos: Chaos, first: dict[str, Any]) -> str:
    """Which fault the first of two successful sends belongs to (see the module's asserts)."""
    if first["who"] == chaos.killed_incarnation and chaos.kill_time - 2.0 <= (first["ended"] or 0) <= chaos.kill_time + 0.5:
        return "killed replica: sent, then SIGKILLed before the item was marked done"
    down, up = chaos.redis_down
    if down - 1.0 <= (first["ended"] or 0) <= up + 1.0:
        return "Redis outage: sent, then could not record it"
    return "other"


async def test_chaos_nothing_lost_nothing_duplicated(redis_server_factory, bots, fake, sender, fake_slack_proc, tmp_path):
    redis = redis_server_factory(appendonly=True)
    a, b = await asyncio.gather(bots("a", REDIS_URL=redis.url), bots("b", REDIS_URL=redis.url))
    chaos = Chaos([a, b], redis, fake, sender, fake_slack_proc.base)
    began = time.monotonic()
    await chaos.run()
    workload_done = time.monotonic()

    # Drain (bounded): the member's presses answered, the outbox empty.
    peek = Peek(redis.url)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while True:
        outbox = await asyncio.to_thread(peek.outbox)
        items = await asyncio.to_thread(peek.outbox_items)
        presses_done = all(t.done() for t in chaos.ack_tasks)
        acks_expected = {e for e, c in chaos.team_cards.items() if int(_TOKEN.match(c["tokens"][0]).group(1)) % 2 == 0}  # type: ignore[union-attr]
        if presses_done and not outbox["due"] and not items and set(chaos.acks) >= acks_expected:
            break
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    drained = time.monotonic()
    chaos.stop_polling.set()
    await asyncio.gather(chaos.poller, chaos.janitor_task)  # type: ignore[arg-type]
    for task in chaos.ack_tasks:
        task.cancel()

    calls = await fake.calls()
    # Exceptions in the bot's own code, as each replica counts them (the killed one: since
    # its restart; its log before the kill is in "tracebacks in bot logs").
    bugs = {bot.incarnation: _bugs(await asyncio.to_thread(_get, bot.url + "/metrics")) for bot in (a, b)}
    stats = await fake.stats()
    (tmp_path / "logs" / "slack-calls.json").write_text(json.dumps(calls, indent=1))
    records = await asyncio.to_thread(peek.escalations)
    sequence = await asyncio.to_thread(peek.sequence)
    outbox = await asyncio.to_thread(peek.outbox)
    items = await asyncio.to_thread(peek.outbox_items)
    blank_items = await asyncio.to_thread(lambda: peek.outbox_items(empty=True))
    leases = await asyncio.to_thread(peek.leases)

    # -- escalations vs. accepted submits ---------------------------------------------------
    by_token: dict[str, list[str]] = defaultdict(list)
    for esc_id, record in records.items():
        match = _TOKEN.match(record["subject"])
        assert match, record["subject"]
        by_token[match.group(0)].append(esc_id)
    accepted = {t for t, e in chaos.submits.items() if e.outcome == "accepted"}
    refused = {t for t, e in chaos.submits.items() if e.outcome == "refused"}
    failed = {t for t, e in chaos.submits.items() if e.outcome == "failed"}
    lost = sorted(accepted - set(by_token))
    duplicates = {t: ids for t, ids in by_token.items() if len(ids) > 1}
    orphans = {t: ids for t, ids in by_token.items() if t not in accepted}  # told "failed", yet stored

    # -- team cards ---------------------------------------------------------------------------
    team_ok: dict[str, list[dict[str, Any]]] = defaultdict(list)
    team_writes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in calls:
        if call["channel"] == TEAM_CHANNEL and call["ok"] and call["method"] in ("chat.postMessage", "chat.update"):
            for esc in call["esc"]:
                team_writes[esc].append(call)
                if call["method"] == "chat.postMessage":
                    team_ok[esc].append(call)
    no_team_card = sorted(e for e in records if not team_ok.get(e))
    team_dups = {e: _window(chaos, sorted(cs, key=lambda c: c["started"])[0]) for e, cs in team_ok.items() if len(cs) > 1}
    stale_cards = sorted(
        e for e, r in records.items() if team_writes.get(e)
        and ("Being handled" if r["state"] == "acknowledged" else "Open, waiting")
        not in max(team_writes[e], key=lambda c: c["ended"])["text"]
    )

    # -- requesters told -----------------------------------------------------------------------
    picked: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in calls:
        if call["method"] == "chat.postMessage" and call["ok"] and "picked up" in call["text"]:
            for esc in call["esc"]:
                picked[esc].append(call)
    acknowledged = {e for e, r in records.items() if r["state"] == "acknowledged"}
    pressed_ok = {e for e, outcome in chaos.acks.items() if outcome != "gave up"}
    not_told = sorted(e for e in acknowledged if not picked.get(e))
    told_wrong_channel = sorted(e for e in acknowledged for c in picked.get(e, [])
                                if c["channel"] != records[e]["requester"]["conversation"])
    picked_dups = {e: _window(chaos, sorted(cs, key=lambda c: c["started"])[0]) for e, cs in picked.items() if len(cs) > 1}
    told_but_open = sorted(set(picked) - acknowledged)
    bad_history = sorted(
        e for e, r in records.items()
        if [h["what"] for h in r["history"]] != (["created", "acknowledged"] if e in acknowledged else ["created"])
    )

    confirmations = {e for c in calls if c["method"] == "chat.postMessage" and c["ok"] and c["channel"] in CHANNELS
                     and "was sent to the onboarding team" in c["text"] for e in c["esc"]}
    tracebacks = sum(bot.log_text().count("Traceback") for bot in (a, b))
    figures = chaos.figures
    report = {
        "requests tried (HTTP to the bots)": figures.requests,
        "  connection errors (replica down)": figures.connection_errors,
        "  HTTP 5xx from the bots": figures.http_5xx,
        "  answers slower than 3 s": figures.slow_answers,
        "  slowest answer (s)": round(figures.max_answer, 2),
        "submits (first tries)": SUBMITS,
        "  accepted": len(accepted),
        "  refused (store down / try again), re-submitted": len(refused),
        "  no answer at all": len(failed),
        "member presses (incl. retries)": f"{figures.presses} ({figures.press_retries} retries)",
        "Slack calls recorded": stats["calls"],
        "faults injected by the fake Slack": stats["faults"],
        "restarts": "1 bot SIGKILL+start, 1 Redis stop/start",
        "events": [(name, round(t - chaos.kill_time, 2)) for name, t in figures.events],
        "stuck leases expired by the test (item: after what, s after the kill)": chaos.stale_leases,
        "escalation records": len(records),
        "ESC sequence": sequence,
        "escalations lost (accepted, no record)": lost,
        "duplicate records for one submit": duplicates,
        "orphans (answered 'failed' yet stored)": orphans,
        "escalations without a team card": no_team_card,
        "duplicate team cards": team_dups,
        "team cards not showing the final state": stale_cards,
        "acknowledged": len(acknowledged),
        "acknowledged but requester not told (with the member's presses: try, replica, s after kill, answer)":
            {e: chaos.press_log.get(e, []) for e in not_told},
        "duplicate 'picked up' messages": picked_dups,
        "history mismatches": bad_history,
        "confirmations lost to Slack faults (fire-and-forget, not retried)": len(accepted) - len(confirmations & set(records)),
        "blank outbox items left behind (delivered; delete failed)": blank_items,
        "tracebacks in bot logs": tracebacks,
        "bot_errors_total above zero, per replica": bugs,
        "workload / drain seconds": (round(workload_done - began, 1), round(drained - workload_done, 1)),
    }
    (tmp_path / "logs" / "chaos-figures.json").write_text(json.dumps(report, indent=1, default=str))
    print("\n=== chaos figures ===\n" + "\n".join(f"{k}: {json.dumps(v) if not isinstance(v, str) else v}"
                                                 for k, v in report.items()))

    assert a.running and b.running, "a replica crashed"
    assert figures.http_5xx == 0
    assert bugs == {bot.incarnation: {} for bot in (a, b)}, f"exceptions in the bot's own code: {bugs}"
    assert lost == [], f"escalations lost: {lost}"
    assert not {t: ids for t, ids in duplicates.items()}, f"one submit stored twice: {duplicates}"
    assert orphans == {}, f"customers told their submit failed, yet it was stored: {orphans}"
    assert len(records) == len(accepted) and sequence >= len(records)
    assert outbox == {"due": [], "dead": []} and items == [], f"outbox not drained: {outbox}, items {items}"
    assert not leases, leases
    assert no_team_card == [], f"escalations the team never saw: {no_team_card}"
    # The one duplicate the design allows (at-least-once delivery): the killed replica had
    # sent the card and died before marking it done; the next replica sent it again.
    # Only that window is tolerated; any other duplicate fails.
    assert {e: w for e, w in team_dups.items() if not w.startswith("killed replica")} == {}, team_dups
    assert stale_cards == [], f"team cards left showing an old state: {stale_cards}"
    assert {e for e, o in chaos.acks.items() if o == "gave up"} == set(), chaos.acks
    assert acknowledged == pressed_ok, (sorted(acknowledged - pressed_ok), sorted(pressed_ok - acknowledged))
    assert not_told == [] and told_wrong_channel == [] and told_but_open == []
    assert {e: w for e, w in picked_dups.items() if not w.startswith("killed replica")} == {}, picked_dups
    assert bad_history == []


async def test_sigkill_while_a_team_card_is_in_flight(redis_server_factory, bots, fake, sender):
    """The delivery loop's at-least-once window, measured: Slack (slow here) has the team
    card and posts it, but the replica that sent it is SIGKILLed before the answer is back,
    so neither the message reference nor "done" is recorded.

    Expected with the code as it is: the item stays leased by the dead replica for
    LEASE_SECONDS (60 s), then the survivor posts the card a second time. This test
    pins down both figures; it fails if a card is lost, or posted more than twice.
    """
    redis = redis_server_factory(appendonly=True)
    a, b = await asyncio.gather(bots("a", REDIS_URL=redis.url), bots("b", REDIS_URL=redis.url))
    view = await fake.open_modal(sender, a.url)
    await fake.delay("chat.postMessage", 2.0)
    assert (await sender.interaction(a.url, submission(view, {"subject": "Killed mid-send", "category": "other",
                                                              "urgency": "normal",
                                                              "description": "A card in flight at SIGKILL."},
                                                       view_id="V0K", hash_="h-k"))).status == 200
    inflight = await fake.wait_for(lambda cs: next((c for c in cs if c["ended"] is None), None), method="chat.postMessage",
                                   channel=TEAM_CHANNEL, what="the team card in flight")
    victim, survivor = (a, b) if inflight["who"].startswith("a") else (b, a)
    victim.kill()
    killed = time.time()
    await fake.delay("chat.postMessage", 0)
    # Slack completes the post; the survivor must not re-send while the lease is held.
    await fake.wait_for(lambda cs: [c for c in cs if c["ok"] and c["ended"] is not None], method="chat.postMessage",
                        channel=TEAM_CHANNEL, what="the post in flight, completed")
    await quiet_for(1.0)  # two of the survivor's delivery passes
    posts = [c for c in await fake.calls("chat.postMessage", TEAM_CHANNEL) if c["ok"]]
    assert len(posts) == 1 and posts[0]["who"] == inflight["who"], posts
    peek = Peek(redis.url)
    leases = await asyncio.to_thread(peek.leases)
    assert list(leases) == ["ESC-000001:team:slack"], leases
    held_for = leases["ESC-000001:team:slack"][1] / 1000

    await asyncio.to_thread(peek.expire, list(leases))  # stand-in for the remaining lease time
    # The survivor takes the item over: wait until its outbox is empty.
    await eventually(lambda: not peek.outbox()["due"], timeout=5)
    await quiet_for(0.6)  # one delivery pass for a stray second post
    posts = [c for c in await fake.calls("chat.postMessage", TEAM_CHANNEL) if c["ok"]]
    print(f"\nSIGKILL of {inflight['who']} with its team card in flight: {len(posts)} successful team card posts "
          f"({[p['who'] for p in posts]}); the item stayed blocked by the dead replica's lease, "
          f"{held_for:.0f}s of lease left 3s after the kill (re-sent {posts[-1]['started'] - killed:.1f}s after the kill "
          f"only because the test expired the lease)")
    # Relaxed on purpose, for this window only: at-least-once delivery posts the card a
    # second time (the dead replica never recorded that Slack accepted the first).
    assert 1 <= len(posts) <= 2, posts
    record = (await asyncio.to_thread(peek.escalations))["ESC-000001"]
    assert record["team_refs"] == {"slack": f"{TEAM_CHANNEL}:{posts[-1]['ts']}"}
    assert (await asyncio.to_thread(peek.outbox)) == {"due": [], "dead": []}
    assert survivor.running
