"""The list of intents the bot knows: one ``register`` line per module."""

from __future__ import annotations

from handlers import escalations, facts, help, language, linking, portal, questions, service_desk, team
from handlers.insights import views as insights
from handlers.matching import IndexCache
from handlers.router import Router


def build_router() -> Router:
    router = Router()
    # One set of matcher tables (~40k objects) for the question path and the escalation
    # form's PIN check, built at start-up so that it is frozen with the rest.
    indexes = IndexCache()
    help.register(router)
    team.register(router)
    service_desk.register(router)
    portal.register(router)
    language.register(router)
    escalations.register(router, indexes)
    linking.register(router)
    facts.register(router)
    insights.register(router)
    questions.register(router, indexes)
    router.otherwise(router.commands["ask"])  # text that is no command is a question
    return router
