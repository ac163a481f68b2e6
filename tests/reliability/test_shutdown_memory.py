"""SIGTERM with the embedded store: escalations customers were told were sent are not lost.

A real ``serve`` process on the embedded store, Slack slow (0.4 s per post), submits at
about 10 a second, SIGTERM two seconds in. The process delivers what it can within
``SHUTDOWN_DRAIN_SECONDS`` and saves the rest to ``STATE_DIR``; the next start delivers
it. Every acknowledged submit ends with its team card posted, once.
"""

from __future__ import annotations

import asyncio
import time

from tests.reliability.slack_client import TEAM_CHANNEL, VALUES, submission

SLOW = 0.4
SUBMITS = 40


async def test_sigterm_on_the_embedded_store_loses_no_acknowledged_escalation(bots, fake, sender, tmp_path):
    state = tmp_path / "state"
    bot = await bots("a", STATE_DIR=state, SHUTDOWN_DRAIN_SECONDS=1, RATE_LIMIT_ESCALATIONS="0")
    view = await fake.open_modal(sender, bot.url)
    await fake.delay("chat.postMessage", SLOW)

    acknowledged = 0
    started = time.monotonic()

    async def submit(i: int) -> bool:
        try:
            values = {**VALUES, "subject": f"{VALUES['subject']} ({i})"}  # forty different forms, not one sent forty times
            answer = await sender.interaction(bot.url, submission(view, values, view_id=f"V0M{i}", hash_=f"h-m{i}"))
        except Exception:  # noqa: BLE001 - the server stopped listening: not acknowledged
            return False
        return answer.status == 200

    tasks = []
    for i in range(SUBMITS):
        if i == 20:
            bot.terminate()  # two seconds in
        tasks.append(asyncio.ensure_future(submit(i)))
        await asyncio.sleep(max(0.0, started + (i + 1) * 0.1 - time.monotonic()))
    acknowledged = sum(await asyncio.gather(*tasks))
    code = await asyncio.to_thread(bot.wait_exit, 30.0)
    assert code == 0, bot.log_tail()
    posted_before = {e for c in await fake.calls("chat.postMessage", TEAM_CHANNEL) if c["ok"] for e in c["esc"]}
    print(f"acknowledged {acknowledged}; team cards posted before exit: {len(posted_before)}")
    assert acknowledged >= 15
    assert (state / "memory-store.json").exists()
    assert "still owed, saved with everything else" in bot.log_text()

    await fake.delay("chat.postMessage", 0)
    await asyncio.to_thread(bot.start)
    expected = {f"ESC-{n:06d}" for n in range(1, acknowledged + 1)}
    await fake.wait_for(lambda cs: expected <= {e for c in cs if c["ok"] for e in c["esc"]}, method="chat.postMessage",
                        channel=TEAM_CHANNEL, timeout=20, what="every acknowledged escalation's team card")
    per_esc: dict[str, int] = {}
    for call in await fake.calls("chat.postMessage", TEAM_CHANNEL):
        if call["ok"]:
            for esc in call["esc"]:
                per_esc[esc] = per_esc.get(esc, 0) + 1
    assert set(per_esc) == expected and all(n == 1 for n in per_esc.values()), per_esc
    # The restored store knows the escalations: a status lookup finds the last one.
    answer = await sender.command(bot.url, f"status ESC-{acknowledged:06d}")
    assert answer.status == 200 and f"ESC-{acknowledged:06d}" in answer.body and "not find" not in answer.body
