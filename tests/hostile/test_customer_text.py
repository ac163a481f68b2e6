"""What a customer types reaches the team's cards as text: no disguised link, mention,
formatting or invisible control character, on Slack, on Teams and in plain text.

Through real HTTP: a Teams customer (display name shaped as a markdown link) and a
Slack customer submit escalations; the fake Slack Web API and the fake Bot Connector
record the team cards each platform received.
"""

from __future__ import annotations

import json
import re

from tests.bot.test_cross_platform import TEAM_CONVERSATION, both, sent_to  # noqa: F401 - fixture
from tests.bot.test_slack_escalations import VALUES, submission
from tests.bot.test_slack_http import post_signed
from tests.fakes.botframework import card_action
from tests.fakes.signing import command_body, interaction_body
from tests.fixtures_teams import botframework, post_activity  # noqa: F401 - fixture

DISGUISED = "[https://portal.equinix.com/reset](https://evil.example/phish)"
HOSTILE = f"{DISGUISED} <!channel> <@U0ONBOARD1> @here *bold* _it_ ~gone~ `code`\n> quoted\n# heading\n- item\nfile\u202egpj.exe\u200b\u2066x\u2069\x07"
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\x00-\x08\x0b-\x1f\x7f]")


def _slack_text(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _assert_slack_shows_text(blocks: list) -> None:
    raw = _slack_text(blocks)
    assert "evil.example/phish|" not in raw and "<https://evil" not in raw  # no disguised link
    assert "<!channel>" not in raw and "<@U0ONBOARD1>" not in raw  # no mention
    mrkdwn = json.dumps([el["text"] for el in _walk(blocks) if el.get("type") == "mrkdwn"], ensure_ascii=False)
    for marked in ("*bold*", "_it_", "~gone~", "`code`"):
        assert marked not in mrkdwn, marked  # typed formatting stays literal (plain_text is never formatted)
    assert "evil.example/phish" in raw and "portal.equinix.com/reset" in raw  # shown, not hidden
    visible = raw.replace("\\u200b", "").replace("\u200b", "")
    assert "\u202e" not in visible and "\u2066" not in visible and "\\u0007" not in raw


def _assert_teams_shows_text(card: dict) -> None:
    texts = [el.get("text", "") for el in _walk(card)] + [f.get("value", "") for el in _walk(card) for f in el.get("facts", [])]
    joined = "\n".join(texts)
    assert re.search(r"(?<!\\)\[[^\]\n]*\]\(https://evil", joined) is None, joined  # no [label](url) link
    assert re.search(r"(?<!\\)\*bold(?<!\\)\*", joined) is None
    assert "evil.example/phish" in joined
    assert not INVISIBLE.search(joined)
    for line in joined.split("\n"):
        assert not re.match(r"\s*(#|>|- )", line), line  # no heading, quote or list made of typed text


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


async def test_a_teams_customer_cannot_put_links_or_formatting_on_the_team_cards(both, fake_slack, botframework):  # noqa: F811
    action = card_action(botframework, "escalation.submit", {**VALUES, "subject": f"Help \u202e\u2067{DISGUISED}\u200b", "description": HOSTILE})
    action["from"]["name"] = DISGUISED
    resp = await post_activity(both, action)
    assert "ESC-000001" in str(await resp.json())
    [post] = await fake_slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0ONBOARD01"
    _assert_slack_shows_text(post.args["blocks"])
    header = post.args["blocks"][0]
    assert header["type"] == "header" and DISGUISED in header["text"]["text"]  # the title shows what was typed
    assert "<https://evil" not in post.args["text"]
    calls = await botframework.wait_for(count=1)
    team = [c for c in sent_to(botframework, TEAM_CONVERSATION)] or calls
    for card in team[0].cards:
        _assert_teams_shows_text(card)
        assert "evil.example/phish" in card["body"][0]["text"]  # the title too


async def test_a_slack_customer_cannot_put_links_or_formatting_on_the_team_cards(both, fake_slack, botframework):  # noqa: F811
    await post_signed(both, command_body("escalate"))
    [opened] = await fake_slack.wait_for("views.open")
    await post_signed(both, interaction_body(submission(opened.args["view"], {**VALUES, "description": HOSTILE})))
    posts = await fake_slack.wait_for("chat.postMessage", 2)
    team = [p for p in posts if p.args["channel"] == "C0ONBOARD01"]
    _assert_slack_shows_text(team[0].args["blocks"])
    await botframework.wait_for(count=1)
    for card in sent_to(botframework, TEAM_CONVERSATION)[0].cards:
        _assert_teams_shows_text(card)


def test_plain_text_rendering_shows_typed_text_as_typed():
    from cards.model import Card, Text, user_text
    from cards.text import render_text

    out = render_text(Card(title=user_text(DISGUISED), blocks=(Text(user_text(HOSTILE)),)))
    assert DISGUISED in out and "<https://evil" not in out and not INVISIBLE.search(out)
