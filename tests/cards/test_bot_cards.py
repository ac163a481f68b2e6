"""Every card the bot emits is valid for Slack (slack_sdk models) and Teams (AC 1.5 schema)."""

from __future__ import annotations

import pytest

from tests.cards.bot_cards import collect, render_all
from tests.cards.validate import assert_valid_adaptive, assert_valid_blocks, assert_valid_view


@pytest.fixture(scope="module")
def files():
    import asyncio

    return render_all(asyncio.run(collect()))


def test_all_intents_are_covered(files):
    names = {name.split(".")[0] for name in files}
    for expected in ("help-onboarding-en", "team-complete-fr", "gsd-nodate-en", "ecp-unlinked-fr", "escalate-onboarding-en",
                     "confirmation-fr", "team-open", "team-resolved", "reminder", "resolve-form", "status-detail",
                     "home-member", "home-customer", "update-1-en",
                     "stats-en", "samples-fr", "teach-form-en", "lessons-fr", "digest"):
        assert expected in names
    assert len(files) > 60


def test_every_slack_payload_is_valid(files):
    for name, payload in files.items():
        if not name.endswith(".slack.json"):
            continue
        if payload.get("type") in ("modal", "home"):
            assert_valid_view(payload)
        else:
            assert_valid_blocks(payload)


def test_every_adaptive_card_is_valid(files):
    for name, payload in files.items():
        if name.endswith(".teams.json"):
            assert_valid_adaptive(payload)
