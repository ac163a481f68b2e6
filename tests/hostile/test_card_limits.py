"""Every escalation card the bot builds fits each platform's limits, for every input the
forms accept (hypothesis, at and near the forms' limits): Slack's block, text and field
limits, and Teams' ~28 KB per card. A card that does not fit is a card that is lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import load_catalog
from cards import slack, teams
from handlers.context import Context, Services
from handlers.escalation_records import ACKNOWLEDGED, OPEN, RESOLVED, Escalation, Event, Requester
from handlers.escalation_cards import confirmation_card, detail_card, reminder_card, requester_card, team_card_for
from handlers.i18n import Translator
from bot.stores.memory import MemoryStore
from tests.cards.validate import assert_valid_adaptive, assert_valid_blocks

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(ROOT / "config")
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)

# What makes text expensive on each platform: escapes (& < > * [ ...), multi-byte
# characters, and many short lines; plus ordinary letters and digits.
_ALPHABET = st.sampled_from(list("ab1 &<>*_~`[]()#\\\n") + ["€", "😀", "é", "\u202e"])


def _text(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(_ALPHABET, min_size=low, max_size=high),
        st.integers(min_value=max(low, high - 8), max_value=high).flatmap(
            lambda n: st.sampled_from(["1234\n", "😀", "&", "[", "x" * 5 + "\n", "ab "]).map(lambda s: (s * n)[:n])),
    )


def slack_limit_problems(message: dict[str, Any], max_blocks: int = slack.MAX_MESSAGE_BLOCKS) -> list[str]:
    blocks = message["blocks"]
    problems = [f"{len(blocks)} blocks"] if len(blocks) > max_blocks else []
    if len(message.get("text", "")) > slack.MAX_FALLBACK_TEXT:
        problems.append("fallback text")
    for b in blocks:
        if b["type"] == "section":
            if "text" in b and len(b["text"]["text"]) > slack.MAX_SECTION_TEXT:
                problems.append(f"section text {len(b['text']['text'])}")
            fields = b.get("fields", [])
            if len(fields) > slack.MAX_FIELDS or any(len(f["text"]) > slack.MAX_FIELD_TEXT for f in fields):
                problems.append("fields")
        elif b["type"] == "context":
            if len(b["elements"]) > 10 or any(len(e.get("text", "")) > slack.MAX_CONTEXT_TEXT for e in b["elements"]):
                problems.append("context")
        elif b["type"] == "header" and len(b["text"]["text"]) > slack.MAX_HEADER:
            problems.append("header")
    return problems


def teams_size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


@st.composite
def escalations(draw: st.DrawFn) -> Escalation:
    state = draw(st.sampled_from([OPEN, ACKNOWLEDGED, RESOLVED]))
    who = draw(_text(1, 256))
    events = [Event(NOW.isoformat(), who, "created")]
    for _ in range(draw(st.integers(0, 12))):
        events.append(Event(NOW.isoformat(), draw(_text(1, 100)), draw(st.sampled_from(["acknowledged", "assigned", "resolved", "reopened"])),
                            draw(_text(0, 1000))))
    return Escalation(
        id="ESC-000001", account="acme-logistics",
        requester=Requester(draw(st.sampled_from(["slack", "teams"])), "T0DEMO", "C0DEMO00001", "channel", "U0X", who),
        subject=draw(_text(3, 150)), category="site_access", urgency=draw(st.sampled_from(["normal", "urgent"])),
        description=draw(_text(10, 3000)), lang="en", created_at=NOW.isoformat(),
        link=draw(st.sampled_from(["", "https://demo.slack.com/archives/C0DEMO00001/p1700000000000100"])),
        state=state, assignee=draw(_text(0, 100)), history=tuple(events),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(esc=escalations(), lang=st.sampled_from(["en", "fr"]))
def test_every_escalation_card_fits_slack_and_teams(esc: Escalation, lang: str) -> None:
    t = Translator(lang, CATALOG.texts, True)
    services = Services(catalog=CATALOG, store=MemoryStore(), clock=lambda: NOW, strict_texts=True)
    ctx = Context(services, lang, CATALOG.account("acme-logistics"), None, "slack")  # type: ignore[arg-type]
    cards = {
        "team": team_card_for(CATALOG, t, esc),
        "detail": detail_card(ctx, esc),
        "confirmation": confirmation_card(ctx, esc),
        "requester": requester_card(CATALOG, t, esc, len(esc.history) - 1),
        "reminder": reminder_card(CATALOG, t, esc, NOW + dt.timedelta(hours=3)),
    }
    for name, card in cards.items():
        message = slack.render_message(card)
        assert not slack_limit_problems(message), (name, slack_limit_problems(message))
        assert_valid_blocks(message)
        adaptive = teams.render_card(card)
        assert teams_size(adaptive) <= teams.MAX_CARD_BYTES, (name, teams_size(adaptive))


def test_a_description_of_600_short_lines_fits_teams_with_every_line() -> None:
    esc = Escalation(id="ESC-000001", account="acme-logistics", requester=Requester("teams", "t", "c", "channel", "u", "Chris"),
                     subject="Many lines", category="site_access", urgency="normal", description="1234\n" * 600,
                     lang="en", created_at=NOW.isoformat(), history=(Event(NOW.isoformat(), "Chris", "created"),))
    card = teams.render_card(team_card_for(CATALOG, Translator("en", CATALOG.texts, True), esc))
    print(f"600-line description: team card of {teams_size(card)} bytes on Teams")
    assert teams_size(card) <= teams.MAX_CARD_BYTES
    assert_valid_adaptive(card)
    shown = "\n".join(b.get("text", "") for b in card["body"])
    assert shown.count("1234") == 600  # folded, not cut
