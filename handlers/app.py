"""The list of intents the bot knows: one ``register`` line per module."""

from __future__ import annotations

from handlers import escalations, facts, help, language, linking, portal, questions, service_desk, team
from handlers.insights import views as insights
from handlers.router import Router


def build_router() -> Router:
    router = Router()
    help.register(router)
    team.register(router)
    service_desk.register(router)
    portal.register(router)
    language.register(router)
    escalations.register(router)
    linking.register(router)
    facts.register(router)
    insights.register(router)
    questions.register(router)
    router.otherwise(router.commands["ask"])  # text that is no command is a question
    return router
