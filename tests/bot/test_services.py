"""``serve`` and the console build the handlers' services in one place, from the settings."""

from __future__ import annotations

from bot.services import build_services
from bot.settings import Settings
from bot.stores.memory import MemoryStore
from handlers.limits import Limits


def settings(**env: str) -> Settings:
    return Settings.from_env({"SLACK_SIGNING_SECRET": "s" * 32, "SLACK_BOT_TOKEN": "xoxb-1", "QUESTION_SAMPLE_DAYS": "7",
                              "RATE_LIMIT_PER_USER": "11", "RATE_LIMIT_PER_CONVERSATION": "22", "RATE_LIMIT_ESCALATIONS": "3", **env})


def test_the_server_takes_limits_platforms_and_sample_days_from_the_settings(catalog, clock):
    services = build_services(settings(), catalog, MemoryStore(), clock)
    assert services.platforms == frozenset({"console", "slack"})  # bot.platforms: the console is always there
    assert services.limits == Limits(11, 22, 3)
    assert services.insights.sample_days == 7
    assert services.command_formats["slack"] == f"`{settings().slack_command} {{words}}`"
    assert services.command_formats["teams"] == "**{words}**"


def test_the_console_keeps_the_sample_days_but_no_limits_and_queues_for_every_team_channel(catalog, clock):
    services = build_services(settings(QUESTION_SAMPLE_DAYS="0"), catalog, MemoryStore(), clock, console=True)
    assert services.platforms is None
    assert services.limits == Limits(0, 0, 0)
    assert services.insights.sample_days == 0
