"""What makes a question urgent (handlers/urgency.py): a failure of a thing, said words,
and what cancels them (a supposed, past or planned event, a calm phrase).

Each rule is checked both ways, so that a rule that stops working fails here first, with
the question and the matcher's explanation.
"""

from __future__ import annotations

import pytest

from handlers.matching import build_index, match
from handlers.wording import clauses, words


@pytest.fixture(scope="module")
def index(catalog):
    return build_index(catalog.routing)


@pytest.mark.parametrize("question", [
    "we lost both feeds on rack A12",  # a failure word next to the thing that fails
    "both power supplies failed",  # on a topic that is not phoned in (power: capacity)
    "la baie 12 est éteinte",
    "our firewall cluster lost its uplink",
    "nos serveurs sont hors tension",
    "our link is down since yesterday",  # "since": still down
    "plus de réseau depuis hier",
    "need smart hands asap",  # asap on a topic that is phoned in
    "faut bloquer son badge tout de suite",
    "our link is down, what if the second one fails too?",  # the "if" is in another clause
    "il y a de l'eau qui coule sur notre baie",
    "someone is in our cage right now and it's not one of us",
])
def test_urgent(index, question):
    found = match(index, question)
    assert found.urgent, found.explain()


@pytest.mark.parametrize("question", [
    "I lost my badge",  # a failure word with no thing that fails
    "we lost our login for the portal",
    "please send me the quote asap",  # asap alone on a commercial question
    "j'ai besoin du devis tout de suite",
    "can you send the invoice copy right now",  # "now" with a need, on a topic not phoned in
    "who do I call if our link goes down?",  # supposed: "if" before the failure, same clause
    "what happens if there's a power cut?",
    "en cas de coupure de courant, qui appeler ?",
    "how do we report an outage once we have access?",
    "we need to power down our rack for maintenance",  # planned
    "we want to turn off our old rack",
    "we had a power outage last week, can we get a report?",
    "besoin d'une cage en plus des baies partagées",  # "plus des" is no "plus de"
    "how do we shut down our old servers before returning the rack?",  # a planned action
    "who do I call when the link goes down at night?",  # a supposed event
    "is there a fire alarm test this week?",
])
def test_not_urgent(index, question):
    found = match(index, question)
    assert not found.urgent, found.explain()


def test_why_names_the_words_that_made_it_urgent(index):
    assert "urgent: failed" in match(index, "both power supplies failed").explain()


def test_clauses_follow_the_words():
    text = "our link is down, what if the second one fails too? Call me."
    numbers = clauses(text, len(words(text)))
    assert numbers[:4] == [0, 0, 0, 0] and numbers[4] == 1 and numbers[-1] != 1
    assert clauses("a, b", 3) == [0, 0, 0]  # a count that does not match: one clause
