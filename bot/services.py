"""The handlers' long-lived services, built the same way for ``serve`` and the console.

One place decides how settings become ``handlers.context.Services``, so the server and
the console cannot drift apart (a setting honoured by one and forgotten by the other).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.settings import Settings
from handlers.catalog import Catalog
from handlers.context import Services
from handlers.insights.options import InsightsOptions, NoMeter, UsageMeter
from handlers.limits import Limits
from handlers.ports import Clock, Store


def build_services(
    settings: Settings,
    catalog: Catalog,
    store: Store,
    clock: Clock,
    *,
    console: bool = False,
    strict_texts: bool = False,
    wake_outbox: Callable[[], None] = lambda: None,
    report_error: Callable[[str, str], None] = lambda platform, where: None,
    meter: UsageMeter | None = None,
    platforms: frozenset[str] | None = None,
) -> Services:
    """The services of one process.

    ``console``: the bot talks to one person in a terminal. Nobody there floods a
    channel, so no per-minute or escalation limit applies; and the console posts to no
    platform itself, so team cards are queued for every team channel configured, for a
    server sharing the store to post.

    ``platforms``: the names of the platforms this server serves (``bot.platforms``),
    where it can post; by default those the settings switch on. How a command is typed
    on each platform comes from the platforms too (``bot.platforms.command_formats``).
    """
    from bot.platforms import command_formats, names

    if not console and platforms is None:
        platforms = names(settings)
    return Services(
        catalog=catalog,
        store=store,
        clock=clock,
        command_formats={} if console else command_formats(settings),
        strict_texts=strict_texts,
        wake_outbox=wake_outbox,
        limits=Limits(0, 0, 0) if console else Limits(
            settings.rate_limit_per_user, settings.rate_limit_per_conversation, settings.rate_limit_escalations),
        report_error=report_error,
        platforms=None if console else platforms,
        insights=InsightsOptions(settings.question_sample_days, meter or NoMeter()),
    )
