"""The wording model's second opinion on what the routing words found.

The routing words decide first, and explain themselves. The trained model
(``handlers/wording_model.py``) then reads the whole question the way it was taught by
labelled customer questions; where it is sure enough and disagrees, it wins, because on
questions written by people who never saw the routing words it is right more often
than they are (README, "Routing accuracy"). It never silences what the words found:
their owner stays on the card as the second one, urgency is only ever added, and
never where the words saw a failure and read it as past, planned, supposed or denied.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.match_index import FACT, Index
from handlers.match_result import Match
from handlers.wording_model import NOTHING, Guess

SURE = 0.5
"""How sure the model must be to overrule the routing words (chosen on the first
independent set among 0.4 to 0.9, then measured once on a second one)."""
URGENT = 0.6
"""How likely urgent a message must look to the model to be treated as urgent: above
0.5 so that a plain request for a service the desk also takes in emergencies ("smart
hands") is not read as one; 0.6 lost no urgent question of the first independent set."""


def second_opinion(index: Index, text: str, found: Match) -> Match:
    """``found``, corrected where the model is sure and disagrees."""
    model = index.wording
    if model is None or ((found.greeting or found.thanks) and not found.candidates):
        return found
    guess = model.guess(text)
    route, fact, also = _owner(index, guess, found)
    urgent_by = found.urgent_by
    if not urgent_by and not found.calmed and guess.urgent > URGENT:
        urgent_by = ("wording model",)
    if urgent_by and route is None and fact is None:
        route = index.routing.urgent_route
    return replace(
        found, route=route, fact=fact, also=also, urgent=bool(urgent_by), urgent_by=urgent_by,
        guessed=str(guess), why_not_sure=found.why_not_sure if route is None and fact is None else "",
    )


def _owner(index: Index, guess: Guess, found: Match) -> tuple[str | None, str | None, str | None]:
    """The (route, fact, also) to answer with: the words' own, unless the model is sure
    of another owner or fact. "Nothing" never overrules: a topic the words found stays."""
    route, fact, also = found.route, found.fact, found.also
    if guess.probability <= SURE or guess.label == NOTHING:
        return route, fact, also
    if guess.label.startswith(FACT):
        wanted = guess.label.removeprefix(FACT)
        if wanted != fact and guess.label in index.facts:
            return route, wanted, also
        return route, fact, also
    if fact is None and route is not None and index.targets.get(route) == guess.label:
        return route, fact, also
    if route is not None and _under(index, route, guess.label, found):
        return route, fact, also  # the words found a narrower topic of that owner's one
    if fact is not None and _fact_owner(index, fact) == guess.label:
        return route, fact, also  # a fact about that owner ("after onboarding, who do we call?")
    chosen = _route_for(index, found, guess.label)
    if chosen is None:
        return route, fact, also
    second = route if route is not None and index.targets.get(route) != guess.label else None
    if second is None and also is not None and index.targets.get(also) != guess.label:
        second = also
    return chosen, None, second


def _route_for(index: Index, found: Match, target: str) -> str | None:
    """The best topic of ``target`` among those the words found and their narrower ones
    (a ticket about a cross-connect: the portal's network ticket, under trouble), or
    failing that the first topic of ``target`` in routing.yaml."""
    for candidate in found.candidates:
        for route in (candidate.route, *_narrower(index, candidate.route)):
            if index.targets.get(route) == target:
                return route
    return next((route for route in index.top_level if index.targets.get(route) == target), None)


def _fact_owner(index: Index, fact: str) -> str | None:
    topic = index.fact_topics.get(FACT + fact)
    return index.targets.get(topic) if topic else None


def _under(index: Index, route: str, target: str, found: Match) -> bool:
    """``route`` is narrower than a topic of ``target`` that the words found (a ticket
    about a network fault: the portal's network ticket, under the desk's trouble topic)."""
    return any(index.targets.get(c.route) == target and route in _narrower(index, c.route) for c in found.candidates)


def _narrower(index: Index, route: str) -> list[str]:
    """Every topic under ``route``, breadth first."""
    found = list(index.children.get(route, ()))
    for each in found:
        found.extend(index.children.get(each, ()))
    return found
