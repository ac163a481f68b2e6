"""The look-up tables the matcher reads: every keyword of ``config/routing.yaml`` folded
into lemmas once per ``Routing``, so that a question costs a few dictionary look-ups.

``build_index`` runs in small steps, one per kind of table: the keywords of each topic and
fact, the special groups (greetings, thanks, urgency, the service-desk code), the phrases
matched word for word (calm, not now, needs, a fact's asks), and the tables a typed word is
looked up in (plural forms, crude roots, typos). ``candidates_for`` is that look-up.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.catalog import Route, Routing
from handlers.wording import STOPWORDS, allowed_typos, deletes, distance, lemma, singulars, stem, words
from handlers.wording_model import WordingModel

KEYWORD = 1.0
HINT = 0.5
TYPO = 0.8

GREETING = "!greeting"
THANKS = "!thanks"
URGENT = "!urgent"
OUTAGE = "!outage"
SOON = "!soon"
PIN = "!pin"
ASAP = "!asap"
FAILED = "!failed"
THING = "!thing"
FACT = "fact:"
REQUIRES = "requires:"
URGENCY = (URGENT, OUTAGE, SOON, ASAP, FAILED, THING)
"""Groups never read into a typo, and whose phrases with a function word match whole."""

PhraseTable = Mapping[str, Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]]
"""First word -> second word ("" for a phrase of one word) -> (table name, the phrase's
words): phrases matched on every word, looked up by their first two words."""


@dataclass(frozen=True, slots=True)
class Keyword:
    """One keyword or phrase of a group, as folded lemmas, with what it is worth."""

    group: str
    text: str
    lemmas: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Index:
    """The normalised keyword tables of one ``Routing``; build once, match many times."""

    routing: Routing
    by_first: Mapping[str, tuple[Keyword, ...]]
    """Keywords of one word, by their lemma."""
    by_pair: Mapping[tuple[str, str], tuple[Keyword, ...]]
    """Keywords of several words, by their first two lemmas."""
    forms: Mapping[str, frozenset[str]]
    deletes: Mapping[str, frozenset[str]]
    children: Mapping[str, tuple[str, ...]]
    targets: Mapping[str, str]
    top_level: tuple[str, ...]
    dropped: tuple[str, ...]
    stems: Mapping[str, frozenset[str]]
    facts: tuple[str, ...]
    raw: PhraseTable
    fact_topics: Mapping[str, str]
    routes: Mapping[str, Route]
    by_phone: frozenset[str]
    special_only: frozenset[str]
    """Lemmas of greetings, thanks, urgency and code words that no topic or fact uses."""
    trouble: frozenset[str]
    """The urgent route and its narrower topics: a past or planned failure counts half there."""
    top_order: Mapping[str, int]
    """Each top-level topic's place in routing.yaml, which breaks ties."""
    requiring: tuple[str, ...]
    """Topics with ``requires`` phrases."""
    acronyms: re.Pattern[str] | None = None
    """The configured acronyms, as typed (upper case, a word of their own)."""
    seen: dict[str, dict[str, bool]] = field(default_factory=dict)
    wording: WordingModel | None = None
    """The trained second opinion (``handlers/wording_model.py``), when config has one."""
    """What each typed word stood for, so a word is looked up (typos, stems) once; bounded."""


def _keywords(group: str, by_lang: Mapping[Any, Iterable[str]], weight: float, dropped: list[str]) -> list[Keyword]:
    out: list[Keyword] = []
    for phrases in by_lang.values():
        for phrase in phrases:
            content = [w for w in words(phrase) if w not in STOPWORDS]
            if not content:
                dropped.append(f"{group}: {phrase!r}")
                continue
            lemmas = tuple(lemma(w) for w in content)
            out.append(Keyword(group, phrase, lemmas, weight * len(lemmas)))
    return out


def _has_function_word(phrase: str) -> bool:
    found = words(phrase)
    return len(found) > 1 and any(w in STOPWORDS for w in found)


def _topic_keywords(routing: Routing, dropped: list[str]) -> list[Keyword]:
    """The keywords and hints of every topic (narrower ones too) and of every fact."""
    out: list[Keyword] = []
    for route in routing.routes:
        for each in route.self_and_narrower():
            out += _keywords(each.id, each.keywords, KEYWORD, dropped)
            out += _keywords(each.id, each.hints, HINT, dropped)
    for fact in routing.facts:
        out += _keywords(FACT + fact.id, fact.keywords, KEYWORD, dropped)
    if routing.urgent_route:
        # an outage is a trouble ticket: its words are evidence for the urgent topic too
        own = {k.text for k in out if k.group == routing.urgent_route}
        outage = {lang: [p for p in phrases if p not in own] for lang, phrases in routing.outage.items()}
        out += _keywords(routing.urgent_route, outage, KEYWORD, dropped)
    return out


def _special_keywords(routing: Routing, dropped: list[str]) -> tuple[list[Keyword], dict[str, Mapping[Any, list[str]]]]:
    """Greetings, thanks, the urgency words and the code words, as keywords; and the
    urgency phrases that hold a function word, which are matched word for word instead
    ("broke in" must not shrink to "broke")."""
    out: list[Keyword] = []
    whole: dict[str, Mapping[Any, list[str]]] = {}
    for group, table in (
        (GREETING, routing.greetings),
        (THANKS, routing.thanks),
        (URGENT, routing.urgent),
        (OUTAGE, routing.outage),
        (SOON, routing.urgent_soon),
        (ASAP, routing.asap),
        (FAILED, routing.failed),
        (THING, routing.things),
        (PIN, routing.pin_words),
    ):
        kept: Mapping[Any, Iterable[str]] = table
        if group in URGENCY:
            whole[group] = {lang: [p for p in phrases if _has_function_word(p)] for lang, phrases in table.items()}
            kept = {lang: [p for p in phrases if not _has_function_word(p)] for lang, phrases in table.items()}
        out += _keywords(group, kept, KEYWORD, dropped)
    return out, whole


def _phrase_table(routing: Routing, whole: Mapping[str, Mapping[Any, Iterable[str]]]) -> PhraseTable:
    """Phrases matched on every word, function words included ("now that", "need")."""
    tables: list[tuple[str, Mapping[Any, Iterable[str]]]] = [
        ("calm", routing.calm), ("not_now", routing.not_now), ("needs", routing.needs),
        ("hypothetical", routing.hypothetical), ("negation", routing.negation), *whole.items()]
    tables += [(FACT + fact.id, fact.asks) for fact in routing.facts if fact.asks]
    tables += [
        (REQUIRES + each.id, each.requires)
        for route in routing.routes for each in route.self_and_narrower() if each.requires
    ]
    raw: dict[str, dict[str, list[tuple[str, tuple[str, ...]]]]] = defaultdict(lambda: defaultdict(list))
    for name, phrase_table in tables:
        for by_lang in phrase_table.values():
            for phrase in by_lang:
                folded = tuple(words(phrase))
                if folded:
                    raw[folded[0]][folded[1] if len(folded) > 1 else ""].append((name, folded))
    return {first: {second: tuple(v) for second, v in by_second.items()} for first, by_second in raw.items()}


def _by_first(keywords: Iterable[Keyword]) -> tuple[dict[str, tuple[Keyword, ...]], dict[tuple[str, str], tuple[Keyword, ...]]]:
    """Keywords of one word by their lemma, and of several by their first two; "my
    orders" is "order" once function words are gone: the shortest spelling is kept, so
    `why` names the keyword that really matched."""
    by_first: dict[str, list[Keyword]] = defaultdict(list)
    by_pair: dict[tuple[str, str], list[Keyword]] = defaultdict(list)
    same: set[tuple[str, tuple[str, ...], float]] = set()
    for keyword in sorted(keywords, key=lambda k: len(k.text.split())):
        if (keyword.group, keyword.lemmas, keyword.weight) in same:
            continue
        same.add((keyword.group, keyword.lemmas, keyword.weight))
        if len(keyword.lemmas) == 1:
            by_first[keyword.lemmas[0]].append(keyword)
        else:
            by_pair[keyword.lemmas[0], keyword.lemmas[1]].append(keyword)
    return {k: tuple(v) for k, v in by_first.items()}, {k: tuple(v) for k, v in by_pair.items()}


def _forms(keywords: Iterable[Keyword], synonyms: Iterable[Iterable[str]] = ()) -> dict[str, frozenset[str]]:
    """Every plural-less form of every keyword word, with the lemmas it stands for; the
    words of a synonym group stand for each other's lemmas ("portal" in a French question
    matches "portail")."""
    forms: dict[str, set[str]] = defaultdict(set)
    for word in {w for k in keywords for w in words(k.text) if w not in STOPWORDS}:
        for form in singulars(word):
            forms[form].add(lemma(word))
    for group in synonyms:
        folded = [w for word in group for w in words(word)]
        shared = {each for word in folded for each in forms.get(lemma(word), ())}
        for word in folded:
            for form in singulars(word):
                forms[form] |= shared
    return {k: frozenset(v) for k, v in forms.items() if v}


def _fuzzy_tables(forms: Mapping[str, frozenset[str]]) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """The deletion variants of each form (a typo search is then a few look-ups) and
    the forms of each crude root."""
    variants: dict[str, set[str]] = defaultdict(set)
    stems: dict[str, set[str]] = defaultdict(set)
    for form in forms:
        depth = 2 if len(form) >= 6 else 1 if len(form) >= 4 else 0
        for variant in deletes(form, depth):
            variants[variant].add(form)
        stems[stem(form)] |= forms[form]
    return {k: frozenset(v) for k, v in variants.items()}, {k: frozenset(v) for k, v in stems.items()}


@dataclass(frozen=True, slots=True)
class _Topics:
    """What the index keeps of the topics themselves: every topic (narrower ones too) by
    id, its owner, its narrower topics, and which top-level topic it belongs to."""

    routes: dict[str, Route]
    targets: dict[str, str]
    children: dict[str, tuple[str, ...]]
    top_of: dict[str, str]


def _topics(routing: Routing) -> _Topics:
    routes: dict[str, Route] = {}
    top_of: dict[str, str] = {}
    for route in routing.routes:
        for each in route.self_and_narrower():
            routes[each.id] = each
            top_of[each.id] = route.id
    targets: dict[str, str] = {route_id: route.target for route_id, route in routes.items()}
    for fact in routing.facts:
        targets[FACT + fact.id] = targets.get(fact.route or "", "")
    children = {route_id: tuple(sub.id for sub in route.narrower) for route_id, route in routes.items()}
    return _Topics(routes, targets, children, top_of)


def build_index(routing: Routing) -> Index:
    """Normalise every keyword of ``routing`` into look-up tables.

    ``dropped`` lists keywords made only of function words, which could never match
    (a test keeps it empty).
    """
    dropped: list[str] = []
    keywords = _topic_keywords(routing, dropped)
    specials, whole = _special_keywords(routing, dropped)
    topic_lemmas = {w for k in keywords for w in k.lemmas}
    keywords += specials
    forms = _forms(keywords, routing.synonyms)
    variants, stems = _fuzzy_tables(forms)
    topics = _topics(routing)
    singles, pairs = _by_first(keywords)
    trouble = topics.routes.get(routing.urgent_route or "")
    return Index(
        routing=routing,
        by_first=singles,
        by_pair=pairs,
        forms=forms,
        deletes=variants,
        children=topics.children,
        targets=topics.targets,
        top_level=tuple(r.id for r in routing.routes),
        dropped=tuple(dropped),
        stems=stems,
        facts=tuple(FACT + f.id for f in routing.facts),
        raw=_phrase_table(routing, whole),
        fact_topics={FACT + f.id: topics.top_of[f.route] for f in routing.facts if f.route in topics.top_of},
        routes=topics.routes,
        by_phone=frozenset(route_id for route_id, route in topics.routes.items() if route.by_phone_when_urgent),
        special_only=frozenset(w for lemmas in forms.values() for w in lemmas) - topic_lemmas,
        trouble=frozenset(each.id for each in trouble.self_and_narrower()) if trouble else frozenset(),
        top_order={r.id: n for n, r in enumerate(routing.routes)},
        requiring=tuple(route_id for route_id, route in topics.routes.items() if route.requires),
        wording=routing.wording,
        acronyms=re.compile(r"\b(" + "|".join(map(re.escape, routing.acronyms)) + r")\b") if routing.acronyms else None,
    )


_SEEN_LIMIT = 20_000


def candidates_for(index: Index, token: str) -> dict[str, bool]:
    """Keyword lemmas this typed word stands for, each with whether it took a typo
    (remembered per index: customers' words repeat, and a typo search costs the most)."""
    found = index.seen.get(token)
    if found is None:
        if len(index.seen) >= _SEEN_LIMIT:
            index.seen.clear()
        found = index.seen[token] = _look_up(index, token)
    return found


def _look_up(index: Index, token: str) -> dict[str, bool]:
    """Exact or plural forms first; failing that (or when they are only words of the
    special groups), a shared crude root; failing both, the closest forms within the
    typos the word's length allows."""
    # The word's own lemma first, then its synonyms in order: which keyword a word is
    # credited to (what ``why`` shows) must not depend on the hash seed.
    own = set(singulars(token))
    found = {lemma_: False for form in singulars(token)
             for lemma_ in sorted(index.forms.get(form, ()), key=lambda each: (each not in own, each))}
    if len(token) >= 5 and found.keys() <= index.special_only:
        # a word of the urgency groups only ("fails") may share a topic word's root ("failed")
        found.update({lemma_: False for lemma_ in sorted(index.stems.get(stem(token), ()))})
    if found:
        return found
    return {lemma_: True for form in sorted(_closest(index, token)) for lemma_ in sorted(index.forms[form])}


def _closest(index: Index, token: str) -> set[str]:
    """The keyword forms at the smallest typo distance from ``token``, within its limit."""
    limit = allowed_typos(token)
    if not limit:
        return set()
    best = limit + 1
    close: set[str] = set()
    for variant in deletes(token, limit):
        for form in index.deletes.get(variant, ()):
            d = distance(token, form, limit)
            if d < best:
                best, close = d, {form}
            elif d == best and d <= limit:
                close.add(form)
    return close


class IndexCache:
    """Built indexes per ``Routing`` object, so a reloaded catalog gets fresh tables.

    Held by whoever registered the handlers (not a module global); keyed by identity and
    keeping the routing alive, so an id is never reused for another object while cached.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: dict[int, Index] = {}

    def get(self, routing: Routing) -> Index:
        index = self._entries.get(id(routing))
        if index is not None and index.routing is routing:
            return index
        if len(self._entries) >= self._size:
            self._entries.clear()
        index = build_index(routing)
        self._entries[id(routing)] = index
        return index
