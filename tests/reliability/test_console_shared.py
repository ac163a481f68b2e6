"""The console on REDIS_URL shares state with running servers: an escalation typed at the
console reaches the team's Slack channel through the server's delivery loop, and a
member at another console sees it and acknowledges it, which the server then shows on
the team's Slack card."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.reliability.procs import _get
from tests.reliability.slack_client import TEAM_CHANNEL, ok_posts

MEMBER = "iris.onboarding@example.com"
ESCALATE = "escalate\nConsole badge problem\n5\n\nTwo engineers could not enter the IBX.\n"


def console(stdin: str, config: Path, redis_url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "REDIS_"))}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "console", *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, input=stdin, env={**env, "REDIS_URL": redis_url, "BOT_CONFIG_DIR": str(config)})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


async def test_console_and_server_share_one_redis(redis_url, bots, fake, config_dir):
    server = await bots("a", REDIS_URL=redis_url)
    typed = await asyncio.to_thread(console, ESCALATE, config_dir, redis_url)
    assert "Sent to the onboarding team · ESC-000001" in typed

    # The server's delivery loop posts the team card the console's submit queued.
    [card] = await fake.wait_for(lambda calls: ok_posts(calls, channel=TEAM_CHANNEL, esc="ESC-000001"),
                                 method="chat.postMessage", what="the team card in Slack")
    assert "Acme Logistics" in card["text"] and "Open" in card["text"]

    # A member at another console sees it among the open escalations, and acknowledges it.
    member = await asyncio.to_thread(console, "ack ESC-000001\n", config_dir, redis_url, "--user", MEMBER)
    assert "Open requests (1)" in member and "ESC-000001 · Console badge problem" in member
    assert "Iris Onboarding acknowledged it" in member

    # The server updates the Slack card to the new state.
    await fake.wait_for(lambda calls: [c for c in calls if c["method"] == "chat.update" and c["ok"]
                                       and "ESC-000001" in c["esc"]],
                        what="the team card updated in Slack")
    # The update owed to the console requester is left to the console (its status),
    # not parked as undeliverable where /readyz would report it.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        status, body = await asyncio.to_thread(_get, server.url + "/readyz")
        outbox = json.loads(body)["checks"]["outbox"]
        if outbox["pending"] == 0 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert status == 200 and outbox == {"pending": 0, "undeliverable": 0}, body
