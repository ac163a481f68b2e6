"""Every card the bot itself can emit, produced through the real handlers.

The renderer tests cover samples; this covers what customers and the onboarding team
actually see: each intent, in both languages, for each onboarding state, plus the
escalation form, confirmation, team card in every state, updates, reminders and homes.

    uv run --frozen python -m tests.cards.bot_cards OUTDIR   # for cardcheck and screenshots
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import load_catalog
from cards import slack, teams
from cards.model import Card, Form, filled
from handlers.escalation_records import Escalations
from handlers.escalation_cards import ACK, RESOLVE_SUBMIT, SUBMIT, reminder_card, requester_card, team_card_for
from handlers.i18n import Translator
from handlers.turn import ConversationKind, FormErrors, Home, OpenForm, Reply, Turn, TurnKind, Where
from tests.handlers.helpers import ACME, GLOBEX, ONBOARDING, UNLINKED, Bot

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)
INITECH = Where("slack", "T0DEMO", "C0DEMO00003")
ESCALATION = {"subject": "Badge access for two engineers", "category": "site_access", "urgency": "urgent",
              "description": "Two of our engineers need access to the IBX on Monday for a rack install."}


@dataclass(frozen=True)
class FormWithErrors:
    """A form shown again after a refused submit (on Teams, a card; Slack shows the
    errors in the open modal itself)."""

    form: Form
    errors: dict[str, str]


async def collect() -> dict[str, Any]:
    """name -> the neutral card, form or home the bot produced."""
    catalog = load_catalog(ROOT / "config")
    bot = Bot(catalog, lambda: NOW)
    out: dict[str, Any] = {}

    def keep(name: str, response: object) -> None:
        if isinstance(response, Reply) and response.card is not None:
            out[name] = response.card
        elif isinstance(response, OpenForm):
            out[name] = response.form
        elif isinstance(response, Home):
            out[name] = response.cards

    for lang in ("en", "fr"):
        for label, where in (("onboarding", ACME), ("complete", GLOBEX), ("nodate", INITECH), ("unlinked", UNLINKED)):
            for command in ("help", "team", "gsd", "ecp", "escalate"):
                keep(f"{command}-{label}-{lang}", (await bot.say(command, where=where, locale=lang)).response)
        typed = {"subject": "x", "category": "billing", "urgency": "normal", "description": ""}
        refused = (await bot.submit(SUBMIT, typed, locale=lang)).response
        form = out[f"escalate-onboarding-{lang}"]
        if isinstance(refused, FormErrors) and isinstance(form, Form):
            out[f"form-errors-{lang}"] = FormWithErrors(filled(form, typed), dict(refused.errors))
        reply = (await bot.submit(SUBMIT, ESCALATION, locale=lang, dedupe_key=f"cards-{lang}")).response
        keep(f"confirmation-{lang}", reply)
        keep(f"status-{lang}", (await bot.say("status", locale=lang)).response)
    keep("resolve-form", (await bot.press("esc.resolve", {"id": "ESC-000001"}, where=ONBOARDING, user="U0ONBOARD1")).response)
    records = Escalations(bot.store)
    esc = await records.get("ESC-000001")
    t = Translator("en", catalog.texts)
    out["team-open"] = team_card_for(catalog, t, esc)
    out["reminder"] = reminder_card(catalog, t, esc, NOW + dt.timedelta(minutes=45))
    await bot.press(ACK, {"id": "ESC-000001"}, where=ONBOARDING, user="U0ONBOARD1")
    await bot.submit(RESOLVE_SUBMIT, {"id": "ESC-000001", "note": "Access registered for both engineers."},
                     where=ONBOARDING, user="U0ONBOARD1")
    esc = await records.get("ESC-000001")
    out["team-resolved"] = team_card_for(catalog, t, esc)
    for number in range(1, len(esc.history)):
        out[f"update-{number}-{esc.lang}"] = requester_card(catalog, Translator(esc.lang, catalog.texts), esc, number)
    keep("status-detail", (await bot.say("status ESC-000001")).response)
    await _insights(bot, keep, out)
    dm = Where("slack", "T0DEMO", "U0ONBOARD1", ConversationKind.DIRECT)
    keep("home-member", (await bot.dispatcher.dispatch(Turn(TurnKind.HOME, dm, "U0ONBOARD1", locale="en"))).response)
    keep("home-customer", (await bot.dispatcher.dispatch(Turn(TurnKind.HOME, dm, "U0NOBODY", locale="fr"))).response)
    return out


async def _insights(bot: Bot, keep: Any, out: dict[str, Any]) -> None:
    """The onboarding team's figures, "not sure" questions, teaching form, lessons, digest."""
    from handlers.insights.digest import digest_card
    from handlers.insights.samples import Samples

    member = {"where": ONBOARDING, "user": "U0ONBOARD1"}
    await bot.say("who handles our invoices?")
    await bot.say("my zorglub wobbles again, code 4821")
    await bot.say("notre zorglub clignote en permanence depuis hier soir, que faire ?", where=GLOBEX, locale="fr")
    for lang in ("en", "fr"):
        keep(f"stats-{lang}", (await bot.say("stats", locale=lang, **member)).response)
        keep(f"samples-{lang}", (await bot.press("ins.samples", locale=lang, **member)).response)
        keep(f"teach-form-{lang}", (await bot.press("ins.teach", {"sample": (await Samples(bot.store, 30).recent(NOW))[0].id},
                                                    locale=lang, **member)).response)
    out["digest"] = await digest_card(bot.services, "2026-11-23")
    sample = (await Samples(bot.store, 30).recent(NOW))[-1]
    await bot.submit("ins.teach.submit", {"sample": sample.id, "topic": "network_services"}, **member)
    for lang in ("en", "fr"):
        keep(f"lessons-{lang}", (await bot.say("lessons", locale=lang, **member)).response)


def render_all(items: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """file name -> platform JSON (Slack message/modal/home; Adaptive Card content)."""
    files: dict[str, dict[str, Any]] = {}
    for name, item in items.items():
        if isinstance(item, Card):
            files[f"{name}.slack.json"] = slack.render_message(item)
            files[f"{name}.teams.json"] = teams.render_card(item)
        elif isinstance(item, FormWithErrors):
            files[f"{name}.teams.json"] = teams.render_form(item.form, item.errors)
        elif isinstance(item, Form):
            files[f"{name}.slack.json"] = slack.render_modal(item)
            files[f"{name}.teams.json"] = teams.render_form(item)
        else:
            files[f"{name}.slack.json"] = slack.render_home(list(item))
    return files


def main(outdir: str) -> None:
    target = Path(outdir)
    target.mkdir(parents=True, exist_ok=True)
    files = render_all(asyncio.run(collect()))
    for name, payload in files.items():
        (target / name).write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"wrote {len(files)} files to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bot-cards")
