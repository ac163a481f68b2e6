"""The notification policy on its own: which card an outbox item sends, what a state
means for reminders, when the next one is due. No store, no platform."""

from __future__ import annotations

import datetime as dt

import pytest

from cards.text import render_text
from handlers.escalation_records import ACKNOWLEDGED, OPEN, RESOLVED, Escalation, Event, Requester
from handlers.i18n import Translator
from handlers.notifications import (
    REMINDER,
    REQUESTER,
    TEAM,
    awaits_acknowledgement,
    delivery_for,
    next_reminder,
    reminder_items,
)
from handlers.outbox import OutboxItem
from handlers.ports import Target
from tests.handlers.helpers import spaces

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone.utc)
SLACK = Target("slack", "C0ONBOARD01")


def escalation(state: str = OPEN, urgency: str = "normal", lang: str = "en", **kw) -> Escalation:
    return Escalation(
        id="ESC-000007", account="acme-robotics", requester=Requester("slack", "T0DEMO", "C0DEMO00001", "channel", "U0CUSTOMER", "Chris"),
        subject="Cannot badge in", category="site_access", urgency=urgency, description="The badge reader refuses us.",
        lang=lang, created_at="2026-11-26T09:00:00+00:00", state=state,
        history=(Event("2026-11-26T09:00:00+00:00", "Chris", "created"), Event("2026-11-26T09:30:00+00:00", "Iris", "acknowledged")),
        **kw,
    )


@pytest.fixture
def team_t(catalog) -> Translator:
    return Translator(catalog.onboarding.language, catalog.texts, True)


@pytest.mark.parametrize("state, awaits", [(OPEN, True), (ACKNOWLEDGED, False), (RESOLVED, False)])
def test_only_an_open_escalation_awaits_acknowledgement(state, awaits):
    assert awaits_acknowledgement(escalation(state)) is awaits


def test_the_team_card_is_posted_once_then_updated_in_place(catalog, team_t):
    item = OutboxItem("ESC-000007:team:slack", TEAM, "ESC-000007", SLACK)

    first = delivery_for(catalog, team_t, escalation(), item, NOW)
    later = delivery_for(catalog, team_t, escalation(team_refs={"slack": "C0ONBOARD01:1700.1"}), item, NOW)

    assert first is not None and (first.update, first.keep_ref) == ("", True)
    assert later is not None and (later.update, later.keep_ref) == ("C0ONBOARD01:1700.1", False)
    assert "ESC-000007" in first.card.title and "Acknowledge" in render_text(first.card)
    # the reference is the target platform's: a Teams item of the same escalation posts anew
    teams_item = OutboxItem("ESC-000007:team:teams", TEAM, "ESC-000007", Target("teams", "19:x"))
    on_teams = delivery_for(catalog, team_t, escalation(team_refs={"slack": "C0ONBOARD01:1700.1"}), teams_item, NOW)
    assert on_teams is not None and on_teams.update == "" and on_teams.keep_ref


def test_the_requester_reads_the_update_in_the_language_they_escalated_in(catalog, team_t):
    item = OutboxItem("ESC-000007:requester:1", REQUESTER, "ESC-000007", Target("slack", "C0DEMO00001"), event=1)

    french = delivery_for(catalog, team_t, escalation(lang="fr"), item, NOW)
    unknown = delivery_for(catalog, team_t, escalation(lang="de"), item, NOW)

    assert french is not None and unknown is not None
    assert render_text(french.card) != render_text(unknown.card)
    assert "a pris connaissance" in spaces(render_text(french.card))
    assert unknown.card == delivery_for(catalog, team_t, escalation(lang="en"), item, NOW).card  # type: ignore[union-attr]
    assert not french.update and not french.keep_ref


@pytest.mark.parametrize("state", [ACKNOWLEDGED, RESOLVED])
def test_a_reminder_for_an_escalation_acknowledged_meanwhile_sends_nothing(catalog, team_t, state):
    item = OutboxItem("ESC-000007:reminder:1:slack", REMINDER, "ESC-000007", SLACK, event=1)
    assert delivery_for(catalog, team_t, escalation(state), item, NOW) is None


def test_a_reminder_says_how_long_the_customer_has_waited(catalog, team_t):
    item = OutboxItem("ESC-000007:reminder:1:slack", REMINDER, "ESC-000007", SLACK, event=1)
    sent = delivery_for(catalog, team_t, escalation(), item, NOW)
    assert sent is not None and "60" in render_text(sent.card)


def test_an_unknown_kind_sends_nothing(catalog, team_t):
    assert delivery_for(catalog, team_t, escalation(), OutboxItem("x", "postcard", "ESC-000007", SLACK), NOW) is None


def test_the_next_reminder_follows_the_configured_interval_per_urgency(catalog):
    minutes = catalog.onboarding.remind_after_minutes
    assert next_reminder(catalog, escalation(urgency="normal"), 1000.0) == 1000.0 + 60 * minutes["normal"]
    assert next_reminder(catalog, escalation(urgency="urgent"), 1000.0) == 1000.0 + 60 * minutes["urgent"]
    assert minutes["urgent"] < minutes["normal"]


def test_a_reminder_goes_to_every_team_channel_the_bot_can_post_to(catalog):
    everywhere = reminder_items(catalog, escalation(), 2, None)
    slack_only = reminder_items(catalog, escalation(), 2, frozenset({"slack"}))

    assert [(i.id, i.kind, i.event) for i in everywhere] == [
        ("ESC-000007:reminder:2:slack", REMINDER, 2), ("ESC-000007:reminder:2:teams", REMINDER, 2)]
    assert [i.target.platform for i in slack_only] == ["slack"]
