"""The schema of ``config/routing.yaml``: topics, facts and the word groups that are no
topic (greetings, urgency, the service-desk code) but change how a question is answered.

Split from ``handlers.catalog`` (which re-exports these names) because routing is the
part of the configuration that grows: each matcher rule adds a word group here.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from handlers.config_base import LANGS, FrozenModel, Texts, Words

_Model = FrozenModel


Target = Literal[
    "account_manager",
    "customer_success_manager",
    "sales_engineer",
    "billing_analyst",
    "service_desk",
    "portal",
    "onboarding_team",
]
"""Who answers a routed question: a role of the account team, a desk, or the onboarding team."""

StandIn = Literal[
    "account_manager",
    "customer_success_manager",
    "sales_engineer",
    "billing_analyst",
    "onboarding_team",
]
"""Who covers a desk's work while the customer cannot use ECP and the GSD yet."""

DESKS: tuple[str, ...] = ("service_desk", "portal")
_ROUTE_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def _check_words(value: dict[str, tuple[str, ...]], *, required: bool) -> dict[str, tuple[str, ...]]:
    for lang in LANGS:
        words = value.get(lang) or ()
        if required and not words:
            raise ValueError(f"needs at least one word in {lang!r}")
        seen: set[str] = set()
        for word in words:
            if not any(char.isalnum() for char in word):
                raise ValueError(f"{lang}: {word!r} has no letter or digit")
            key = " ".join(word.casefold().split())
            if key in seen:
                raise ValueError(f"{lang}: {word!r} is listed twice")
            seen.add(key)
    return value


class Route(_Model):
    """One routing topic: words in both languages that point a question at a role or a desk.

    ``keywords`` count fully and ``hints`` half: a hint ("problem", "souci") leans towards
    a topic without being enough on its own. ``before_access`` names who covers a desk's
    topic while the account cannot use ECP and the GSD yet (required for desk targets, so
    the bot never sends a customer to a door that is still closed). ``narrower`` topics
    take over when the question also has one of their words, e.g. a trouble ticket for a
    network product goes to the portal rather than the service desk; a narrower topic with
    ``requires`` takes over only when the question also has one of those phrases (the
    portal answers "open a ticket for our link", the desk "who do we call if our link
    fails").
    """

    id: str
    target: Target
    before_access: StandIn | None = None
    by_phone_when_urgent: bool = False
    label: Texts
    why: Texts
    keywords: Words
    hints: Words = Field(default_factory=dict)
    narrower: tuple[Route, ...] = ()
    also: tuple[str, ...] = ()
    requires: Words = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ROUTE_ID.match(value):
            raise ValueError("use lower-case letters, digits and underscores, starting with a letter")
        return value

    @field_validator("label", "why")
    @classmethod
    def _texts(cls, value: dict[str, str]) -> dict[str, str]:
        for lang in LANGS:
            if not (value.get(lang) or "").strip():
                raise ValueError(f"needs a text in {lang!r}")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return _check_words(value, required=True)

    @field_validator("hints", "requires")
    @classmethod
    def _hints(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return _check_words(value, required=False)

    @model_validator(mode="after")
    def _desks_need_a_stand_in(self) -> Route:
        if self.target in DESKS and self.before_access is None:
            raise ValueError(
                f"before_access: route {self.id!r} goes to {self.target}, which the customer cannot use "
                "during onboarding; name who covers it until then"
            )
        return self

    def self_and_narrower(self) -> tuple[Route, ...]:
        """This route and its narrower topics, depth first."""
        out: list[Route] = [self]
        for sub in self.narrower:
            out.extend(sub.self_and_narrower())
        return tuple(out)


class Fact(_Model):
    """A factual question the bot answers with the fact itself, not only with who knows it.

    ``keywords`` are the words of the question (function words such as "what" or "where"
    are ignored, as everywhere); ``route`` names the topic whose contact the answer also
    shows, when there is one. ``about`` and ``asks``: the fact also answers when one of
    the ``about`` topics wins and the question has one of the ``asks`` words, matched on
    every word ("how", "when" included): "when can we use the service desk?" asks for
    the date access opens, not for the desk. ``asks_alone``: the ``asks`` words answer
    even when no topic matched ("does this apply to us?"). ``keeps_topic``: when the fact
    answers through ``about`` and ``asks``, the answer names who handles that topic rather
    than ``route`` ("where are the portal tutorials?": where they are, and the CSM).
    """

    id: str
    route: str | None = None
    keywords: Words
    about: tuple[str, ...] = ()
    asks: Words = Field(default_factory=dict)
    asks_alone: bool = False
    keeps_topic: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ROUTE_ID.match(value):
            raise ValueError("use lower-case letters, digits and underscores, starting with a letter")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return _check_words(value, required=True)


class Routing(_Model):
    """``config/routing.yaml``: the topics, and the words that are no topic (greetings,
    thanks, urgency, the GSD code) but change how a question is answered.

    ``min_score`` is how much evidence a confident answer needs; ``min_margin`` how far
    the best topic must lead the best topic of another target. Below either, the bot says
    it is not sure and offers the likeliest topics, or ``fallback_routes`` when nothing
    matched at all.
    """

    min_score: float = Field(default=0.8, gt=0)
    min_margin: float = Field(default=0.5, ge=0)
    routes: tuple[Route, ...] = ()
    fallback_routes: tuple[str, ...] = ()
    urgent_route: str | None = None
    urgent: Words = Field(default_factory=dict)
    outage: Words = Field(default_factory=dict)
    urgent_soon: Words = Field(default_factory=dict)
    needs: Words = Field(default_factory=dict)
    calm: Words = Field(default_factory=dict)
    not_now: Words = Field(default_factory=dict)
    negation: Words = Field(default_factory=dict)
    asap: Words = Field(default_factory=dict)
    failed: Words = Field(default_factory=dict)
    things: Words = Field(default_factory=dict)
    hypothetical: Words = Field(default_factory=dict)
    greetings: Words = Field(default_factory=dict)
    thanks: Words = Field(default_factory=dict)
    pin_words: Words = Field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    wording: Any = Field(default=None, exclude=True, repr=False)
    """The trained wording model: set from ``routing_model.json`` by the loader, never
    written in routing.yaml (a ``WordingModel``; ``Any`` keeps pydantic from copying it)."""
    acronyms: dict[str, str] = Field(default_factory=dict)
    """Upper-case acronyms customers write for a role ("our AM", "le SE") and what they
    stand for: "am" and "se" are function words once lower-cased, so they are read as
    written, before anything else."""
    """Words that mean the same for matching, across languages ("portal", "portail"):
    a keyword with one matches a question with another."""

    @field_validator("wording")
    @classmethod
    def _wording_is_trained(cls, value: Any) -> Any:
        if value is not None and not callable(getattr(value, "guess", None)):
            raise ValueError("is trained into routing_model.json (./dev train), not written in routing.yaml")
        return value

    @field_validator(
        "urgent", "outage", "urgent_soon", "needs", "calm", "not_now", "negation", "asap", "failed", "things", "hypothetical",
        "greetings", "thanks", "pin_words",
    )
    @classmethod
    def _words(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return _check_words(value, required=False)

    @field_validator("acronyms")
    @classmethod
    def _acronyms(cls, value: dict[str, str]) -> dict[str, str]:
        for short, meaning in value.items():
            if not short.isalpha() or not short.isupper() or not meaning.strip():
                raise ValueError(f"acronyms: {short!r} must be upper-case letters, with a meaning")
        return value

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for n, group in enumerate(value):
            if len(group) < 2 or any(len(word.split()) != 1 for word in group):
                raise ValueError(f"synonyms[{n}]: two or more single words")
        return value

    @model_validator(mode="after")
    def _references(self) -> Routing:
        if not self.routes:
            return self  # no topics at all: config.py says so, rather than every reference failing
        seen: set[str] = set()
        for index, route in enumerate(self.routes):
            for each in route.self_and_narrower():
                if each.id in seen:
                    raise ValueError(f"routes[{index}]: route id {each.id!r} is used twice")
                seen.add(each.id)
        also = tuple(a for r in self.routes for each in r.self_and_narrower() for a in each.also)
        fact_routes = tuple(f.route for f in self.facts if f.route) + tuple(a for f in self.facts for a in f.about)
        fact_ids = [f.id for f in self.facts]
        if len(set(fact_ids)) != len(fact_ids):
            raise ValueError("facts: a fact id is used twice")
        for name, ids in (
            ("fallback_routes", self.fallback_routes),
            ("urgent_route", (self.urgent_route or "",)),
            ("also", also),
            ("facts.route", fact_routes),
        ):
            for route_id in ids:
                if route_id and route_id not in seen:
                    raise ValueError(f"{name}: {route_id!r} is no route id")
        return self

    def fact(self, fact_id: str) -> Fact | None:
        for fact in self.facts:
            if fact.id == fact_id:
                return fact
        return None

    def route(self, route_id: str) -> Route | None:
        """A route or narrower topic by id."""
        for route in self.routes:
            for each in route.self_and_narrower():
                if each.id == route_id:
                    return each
        return None
