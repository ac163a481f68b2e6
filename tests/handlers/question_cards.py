"""Every card a question can bring, through the real handlers: routed answers (one owner,
two owners, a stand-in while access is closed), urgent answers, each fact, the facts
menu, not sure; in both languages and onboarding states.

    uv run --frozen python -m tests.handlers.question_cards OUTDIR   # for cardcheck and screenshots
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bot.config import load_catalog
from cards import slack, teams
from cards.model import Card
from handlers.facts import FACTS, SHOW_FACT, SHOW_MENU
from handlers.turn import Reply, Where
from tests.cards.bot_cards import NOW, ROOT
from tests.handlers.helpers import ACME, GLOBEX, UNLINKED, Bot

INITECH = Where("slack", "T0DEMO", "C0DEMO00003")
QUESTIONS = {
    "en": {
        "answer": "who handles invoices?",
        "two-owners": "where do I see the orders we submitted?",
        "stand-in": "can someone reboot our server?",
        "urgent": "our link is down",
        "fact-eco": "What is ECO?",
        "fact-access": "When does our access open?",
        "fact-gsd": "What's the service desk phone number?",
        "fact-tickets": "How can I open a trouble ticket?",
        "not-sure": "blablabla",
    },
    "fr": {
        "answer": "Qui s'occupe des factures ?",
        "two-owners": "Où voir les commandes que nous avons passées ?",
        "stand-in": "Pouvez-vous redémarrer notre serveur ?",
        "urgent": "coupure de courant dans notre baie",
        "fact-eco": "C'est quoi ECO ?",
        "fact-access": "Quand aurons-nous accès au portail ?",
        "fact-gsd": "Quel est le numéro de téléphone du GSD ?",
        "fact-tickets": "Comment créer un ticket de dépannage ?",
        "not-sure": "J'ai une question",
    },
}


async def collect() -> dict[str, Card]:
    catalog = load_catalog(ROOT / "config")
    bot = Bot(catalog, lambda: NOW)
    out: dict[str, Card] = {}

    def keep(name: str, response: object) -> None:
        assert isinstance(response, Reply) and response.card is not None, name
        out[name] = response.card

    for lang, questions in QUESTIONS.items():
        for label, where in (("onboarding", ACME), ("complete", GLOBEX), ("nodate", INITECH), ("unlinked", UNLINKED)):
            for name, question in questions.items():
                keep(f"ask-{name}-{label}-{lang}", (await bot.say(question, where=where, locale=lang)).response)
        keep(f"facts-menu-{lang}", (await bot.press(SHOW_MENU, locale=lang)).response)
        for fact in FACTS:
            keep(f"fact-{fact}-{lang}", (await bot.press(SHOW_FACT, {"fact": fact}, locale=lang)).response)
        keep(f"help-{lang}", (await bot.say("help", locale=lang)).response)
    return out


def render_all(cards: dict[str, Card]) -> dict[str, dict]:
    files: dict[str, dict] = {}
    for name, card in cards.items():
        files[f"{name}.slack.json"] = slack.render_message(card)
        files[f"{name}.teams.json"] = teams.render_card(card)
    return files


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "question-cards")
    out.mkdir(parents=True, exist_ok=True)
    for name, payload in render_all(asyncio.run(collect())).items():
        (out / name).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
