"""Where escalations are announced and when they are re-announced: the onboarding team's
targets on each platform, the team's language, and the reminder delay by urgency.

Split from ``handlers.escalations``; notifications and the digest read it too.
"""

from __future__ import annotations

import datetime as dt

from handlers.catalog import Catalog
from handlers.context import Services
from handlers.i18n import Translator
from handlers.ports import Target


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def remind_after(catalog: Catalog, urgency: str) -> float:
    return 60.0 * catalog.onboarding.remind_after_minutes.get(urgency, 240)  # type: ignore[call-overload]


def team_targets(catalog: Catalog, platforms: frozenset[str] | None = None) -> list[Target]:
    """Where the onboarding team's cards go: each place ``config/`` names, on the
    platforms this server serves (``platforms``; None: all of them)."""
    return [Target(platform, place.conversation, place.tenant, dict(place.address))
            for platform, place in catalog.onboarding.targets.items() if platforms is None or platform in platforms]


def team_translator(services: Services) -> Translator:
    """The onboarding team reads its cards in its own language, whoever pressed a button."""
    return Translator(services.catalog.onboarding.language, services.catalog.texts, services.strict_texts)
