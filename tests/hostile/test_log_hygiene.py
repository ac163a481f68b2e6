"""What a stranger sends never reaches the server's log: a real ``serve`` process at DEBUG.

Requests that fail Slack's signature (a wrong secret, a stale or non-numeric timestamp,
an oversized body, a body with line breaks shaped like log lines), then signed ones that
carry a PIN; afterwards everything the process logged is scanned.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import aiohttp

from tests.fakes.signing import command_body, slack_headers
from tests.reliability.conftest import bots, config_dir, fake, fake_slack_proc, http, sender  # noqa: F401 - fixtures
from tests.reliability.procs import SIGNING_SECRET
from tests.fixtures_teams import botframework, teams_client  # noqa: F401 - fixtures

PIN = "4821"
FORGED = "2026-12-02 09:00:00,000 WARNING bot.forged: ADMIN LOGIN OK"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


async def _post(http: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str]) -> int:
    async with http.post(f"{url}/slack/events", data=body.encode(), headers=headers) as resp:
        await resp.read()
        return resp.status


async def test_unauthenticated_bodies_pins_and_forged_lines_never_reach_the_log(bots, http, sender):  # noqa: F811
    bot = await bots("a", LOG_LEVEL="DEBUG", LOG_FORMAT="text")
    before = len(bot.log_text())
    pin_body = command_body(f"my PIN is {PIN}")
    forged_body = command_body(f"hello\n{FORGED}\r\n{FORGED}") + "\n" + FORGED + "\n"
    big = command_body(f"PIN {PIN} " + "x" * 900_000)

    stale = slack_headers(SIGNING_SECRET, pin_body, timestamp=int(time.time()) - 400)
    wrong = slack_headers("a-rotated-secret-0123456789", pin_body)
    non_numeric = {**slack_headers(SIGNING_SECRET, pin_body), "X-Slack-Request-Timestamp": f"12ab{PIN}"}
    statuses = [
        await _post(http, bot.url, pin_body, stale),
        await _post(http, bot.url, pin_body, wrong),
        await _post(http, bot.url, pin_body, non_numeric),
        await _post(http, bot.url, forged_body, slack_headers("wrong-secret-0123456789", forged_body)),
        await _post(http, bot.url, forged_body, {**slack_headers(SIGNING_SECRET, forged_body), "X-Slack-Request-Timestamp": "x\ty"}),
    ]
    for _ in range(3):
        statuses.append(await _post(http, bot.url, big, slack_headers("wrong-secret-0123456789", big)))

    # Signed requests that carry a PIN, a forged line and a payload bolt cannot parse.
    assert (await sender.command(bot.url, f"my PIN is {PIN}")).status == 200
    assert (await sender.command(bot.url, f"status\n{FORGED}")).status == 200
    assert (await sender.post(bot.url, urlencode({"payload": f"{{not json {PIN}\n{FORGED}"}))).status in (200, 400)
    assert (await sender.get(bot.url, "/healthz")).status == 200

    logged = bot.log_text()[before:]
    print(f"logged {len(logged)} characters for {len(statuses)} refused and 3 signed requests")
    assert PIN not in logged, [line for line in logged.splitlines() if PIN in line][:3]
    forged = [line for line in logged.splitlines() if line.startswith(FORGED[:20]) or "bot.forged:" in line.split(" ", 4)[3:4]]
    assert not forged, forged[:3]
    assert "Traceback" not in logged
    assert len(logged) < 40_000, f"{len(logged)} characters logged for eight refused requests"
    assert statuses == [401] * len(statuses)


def test_the_log_filter_masks_codes_escapes_lines_and_bounds_every_record():
    import io
    import logging

    from bot.logs import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    try:
        logger.info("body: %s", f"text=my+PIN+is+{PIN}&x=%20{PIN}\n{FORGED}")
        try:
            raise ValueError(f"bad value {PIN}\n{FORGED}")
        except ValueError:
            logger.exception("failed for %r", "x" * 100_000)
        logger.info("listening on 127.0.0.1:3978 since 2026-12-02; ids 48213 and 14821")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert PIN not in out.replace("48213", "").replace("14821", "")
    assert "127.0.0.1:3978" in out and "2026-12-02" in out and "48213" in out
    assert not any(line.startswith(FORGED[:10]) for line in out.splitlines())
    assert len(out) < 12_000


async def test_unauthenticated_teams_requests_leave_nothing_of_theirs_in_the_log(teams_client):  # noqa: F811
    import logging as _logging

    from tests.conftest import _CAPTURED
    from tests.fakes.botframework import channel_message
    from tests.fixtures_teams import post_activity

    fake = teams_client.fake
    start = len(_CAPTURED)
    _logging.getLogger().setLevel(_logging.DEBUG)
    body = channel_message(fake, f"<at>AM11 Onboarding</at> my PIN is {PIN}\n{FORGED}")
    auths = [
        "", f"Bearer {PIN}.{PIN}.{PIN}", f"Bearer not-a-token-{PIN}\t{FORGED}",
        f"Bearer {fake.make_token(issuer=f'https://sts.windows.net/{PIN}/')}",
        f"Bearer {fake.make_token(service_url=f'https://evil.example.com/{PIN}/')}",
    ]
    for auth in auths:
        resp = await post_activity(teams_client, body, auth=auth)
        assert resp.status == 401
    logged = "\n".join(_CAPTURED[start:])
    assert PIN not in logged, [line for line in _CAPTURED[start:] if PIN in line][:3]
    assert "ADMIN LOGIN OK" not in logged
