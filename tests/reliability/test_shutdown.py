"""Graceful shutdown: SIGTERM while requests and deliveries are in flight.

The bot (``bot/cli.py``) stops accepting, lets in-flight requests finish, then stops
the delivery loop and drains background work. With Slack slow (every call takes a
while), SIGTERM must still: answer the requests already received with 200, exit 0
within a bound an orchestrator allows (Kubernetes waits 30 s by default, then
SIGKILLs), and lose no outbox item: each one is delivered or still pending in Redis,
where the next replica picks it up.
"""

from __future__ import annotations

import asyncio
import time

from tests.reliability.redis_peek import Peek
from tests.reliability.slack_client import ACME_CHANNEL, TEAM_CHANNEL, VALUES, submission

SLOW = 1.0  # seconds every chat.postMessage and users.info takes while the bot shuts down
ESCALATIONS = 20
EXIT_BOUND = 10.0
"""Seconds from SIGTERM to exit: the in-flight requests (~SLOW), the Slack call in
flight (~SLOW) and background replies (~SLOW), with a wide margin; not one Slack call
per queued item (that would be ~ESCALATIONS x SLOW, unbounded as the queue grows)."""


async def test_sigterm_finishes_inflight_requests_exits_0_and_loses_no_outbox_item(redis_server_factory, bots, fake,
                                                                                   sender):
    redis = redis_server_factory(appendonly=True)
    # Twenty escalations from one person: more than one user's allowance, on purpose.
    bot = await bots("a", REDIS_URL=redis.url, RATE_LIMIT_ESCALATIONS="0")
    view = await fake.open_modal(sender, bot.url)
    await fake.delay("chat.postMessage", SLOW)
    await fake.delay("users.info", SLOW)

    # Escalations whose team cards (and confirmations) are now slow to post.
    for i in range(ESCALATIONS):
        values = {**VALUES, "subject": f"{VALUES['subject']} ({i})"}  # twenty different forms, not one sent twenty times
        answer = await sender.interaction(bot.url, submission(view, values, view_id=f"V0S{i}", hash_=f"h-s{i}"))
        assert answer.status == 200
    assert Peek(redis.url).sequence() == ESCALATIONS
    # SIGTERM during a delivery pass that has most of the team cards still to post.
    await fake.wait_for(lambda cs: len(cs) >= 2, method="chat.postMessage", channel=TEAM_CHANNEL,
                        what="the second team card on its way")

    # Requests in flight at SIGTERM: each looks up a new user's locale (users.info, slow).
    inflight = [asyncio.ensure_future(sender.command(bot.url, "team", user=f"U0INFLIGHT{i}")) for i in range(3)]
    await fake.wait_for(lambda cs: len([c for c in cs if c["user"].startswith("U0INFLIGHT")]) == 3,
                        method="users.info", what="the in-flight requests reaching Slack")
    sigterm_at = time.monotonic()
    bot.terminate()
    answers = await asyncio.gather(*inflight, return_exceptions=True)
    code = await asyncio.to_thread(bot.wait_exit, 40.0)
    took = time.monotonic() - sigterm_at
    print(f"SIGTERM -> exit {code} in {took:.1f}s; in-flight answers: "
          f"{[a.status if not isinstance(a, BaseException) else type(a).__name__ for a in answers]}")

    for answer in answers:
        assert not isinstance(answer, BaseException), answer
        assert answer.status == 200 and "Sanne de Vries" in answer.body
    assert code == 0, f"exit code {code} after SIGTERM:\n{bot.log_tail()}"

    # Nothing vanished: every team card was posted, or its item is still pending in Redis.
    peek = Peek(redis.url)
    posted = {e for c in await fake.calls("chat.postMessage", TEAM_CHANNEL) if c["ok"] for e in c["esc"]}
    pending = {m.split(":")[0] for m, _ in peek.outbox()["due"]}
    items = {i.split(":")[0] for i in peek.outbox_items()}
    expected = {f"ESC-{n:06d}" for n in range(1, ESCALATIONS + 1)}
    print(f"team cards posted before exit: {len(posted)}, still pending in Redis: {len(pending)}")
    assert posted | pending == expected, f"lost: {sorted(expected - posted - pending)}"
    assert pending <= items, "a pending id without its item"
    assert not peek.leases(), f"leases left behind by a graceful exit: {peek.leases()}"
    confirmations = {e for c in await fake.calls("chat.postMessage", ACME_CHANNEL) if c["ok"] for e in c["esc"]}
    assert confirmations == expected, "a confirmation being posted at SIGTERM was dropped"

    # The next replica delivers what is left, each card once.
    await fake.delay("chat.postMessage", 0)
    await fake.delay("users.info", 0)
    await bots("b", REDIS_URL=redis.url)
    await fake.wait_for(lambda cs: {e for c in cs if c["ok"] for e in c["esc"]} == expected, method="chat.postMessage",
                        channel=TEAM_CHANNEL, timeout=15, what="every team card")
    per_esc: dict[str, int] = {}
    for call in await fake.calls("chat.postMessage", TEAM_CHANNEL):
        if call["ok"]:
            for esc in call["esc"]:
                per_esc[esc] = per_esc.get(esc, 0) + 1
    assert per_esc == {e: 1 for e in expected}, per_esc
    assert took < EXIT_BOUND, (
        f"SIGTERM to exit took {took:.1f}s with {ESCALATIONS} team cards queued and Slack answering in {SLOW}s: "
        "shutdown waits for the whole delivery pass, not just the item in flight"
    )
