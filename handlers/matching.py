"""Matching a free-text question against the routing topics of ``config/routing.yaml``.

Deterministic and explainable on purpose: the same question always gets the same
answer, and ``Match`` lists every topic that scored, with the words that made it score,
so a wrong answer can be traced to a word in the YAML rather than to a model.

How a question is scored:

* Text is folded (case and accents removed; "can't" reads "can not"), split into words,
  and function words ("the", "de", "my", "votre"...) are dropped, so "Who handles my
  invoices?" and "facture" are compared on the words that carry meaning.
* A word matches a keyword word when they are equal after removing plural endings
  (invoices, réseaux, deliveries); failing that, when they share a crude English/French
  root (configured, configuration, configurer); failing that, within one typo from 5
  letters and two from 10 (a typo is an insertion, a deletion, a substitution or a swap of
  two neighbours). Keywords of several words match as consecutive words.
* Each matched keyword adds one point per word (a "hint" adds half), a typo match 80 %;
  a keyword counts once, and words already covered by a longer keyword of the same
  topic are not counted twice.
* The best topic wins when it has ``min_score`` points and leads the best topic of any
  *other* target by ``min_margin``. When two owners are both backed by a whole keyword
  and no third is close, both are named, the likelier first (``also``); a topic may also
  name a second owner of its own in routing.yaml. A topic that rests on one typo among
  words nothing explains neither wins nor blocks ("get into the building" is not billing).
  Otherwise the caller says it is not sure.
* A fact (routing.yaml ``facts``) answers instead when it scores at least as well as the
  best topic, or when the best topic is one it is ``about`` and the question has one of
  its ``asks`` words ("when", "phone"...).
* Urgency is found apart from topics: ``urgent`` words always, ``outage`` words when the
  question is about a service problem (or nothing else), ``urgent_soon`` words ("now")
  next to a need or an outage; ``calm`` phrases ("now that", "fire suppression", "no
  rush") cancel the words they cover, and a ``not_now`` phrase anywhere ("last month",
  "next week", "in case of") cancels the urgent and outage words of the whole question,
  unless an ``urgent_soon`` word says it is happening now: the question is about a past,
  planned or what-if event. Outage words next to a need ("our link is dead, help") are
  urgent whatever the topic.

Both languages are always matched, whatever the reply language. The tables are built
once per ``Routing`` (``build_index``) so a question costs a few dictionary look-ups, and
what each typed word stands for is remembered (bounded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from handlers import urgency
from handlers.match_index import (
    FACT,
    FAILED,
    GREETING,
    HINT,
    KEYWORD,
    PIN,
    REQUIRES,
    THANKS,
    THING,
    TYPO,
    URGENCY,
    Index,
    IndexCache,
    Keyword,
    PhraseTable,
    build_index,
    candidates_for,
)
from handlers.match_result import Candidate, Hit, Match, Occurrence, Question
from handlers.second_opinion import second_opinion
from handlers.wording import NEUTRAL, STOPWORDS, clauses, mask_pins, pin_spans, words

__all__ = ["Candidate", "Hit", "Index", "IndexCache", "Match", "build_index", "mask_pins", "match", "words"]


def _trusted(candidate: Candidate, unknown_count: int) -> bool:
    """One word matched only as a typo, among other words nothing explains, is no
    evidence ("get into the building tonight" is not about billing)."""
    if unknown_count == 0 or not all(hit.fuzzy for hit in candidate.hits):
        return True
    return sum(len(hit.typed.split()) for hit in candidate.hits) > 1


def _third(index: Index, candidates: tuple[Candidate, ...], target: str, rival: Candidate) -> float:
    """The best score of a third owner: two owners are named only when no third is close."""
    targets = {target, index.targets[rival.route]}
    return next((c.score for c in candidates if index.targets[c.route] not in targets), 0.0)


def _strong(candidate: Candidate) -> bool:
    """At least one whole keyword (not only hints or typos): enough to name an owner."""
    return any(not hit.fuzzy and hit.points >= KEYWORD for hit in candidate.hits)


def _raw_spans(raw: list[str], table: PhraseTable) -> dict[str, set[int]]:
    """For each phrase table ("calm", "needs", a fact's asks), the positions of all the
    words its phrases cover (exact words, a plural ``s`` ignored); one pass over the words."""
    covered: dict[str, set[int]] = {}
    for start, word in enumerate(raw):
        by_second = table.get(word) or (table.get(word[:-1]) if word.endswith("s") else None)
        if by_second:
            for name, phrase in _phrases_at(raw, start, by_second):
                covered.setdefault(name, set()).update(range(start, start + len(phrase)))
    return covered


def _phrases_at(raw: list[str], start: int, by_second: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]
                ) -> list[tuple[str, tuple[str, ...]]]:
    """The phrases starting at ``start`` whose every word is there (a plural ``s`` ignored)."""
    options = list(by_second.get("", ()))
    if start + 1 < len(raw):
        following = raw[start + 1]
        options += by_second.get(following, ())
        if following.endswith("s"):
            options += by_second.get(following[:-1], ())
    return [
        (name, phrase) for name, phrase in options
        if start + len(phrase) <= len(raw)
        and all(raw[start + k] == w or raw[start + k] == w + "s" for k, w in enumerate(phrase[2:], 2))
    ]


def _best_sub(index: Index, route_id: str, scored: Mapping[str, Candidate],
              blocked: frozenset[str] = frozenset()) -> Candidate | None:
    best: Candidate | None = None
    for sub in index.children.get(route_id, ()):
        candidate = scored.get(sub) if sub not in blocked else None
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    return best


def _with_narrower(index: Index, route_id: str, scored: Mapping[str, Candidate]) -> Candidate:
    """A topic's own score plus that of its best narrower topic: words like "network"
    in "a ticket for our network link" are evidence for the ticket topic too."""
    own = scored[route_id]
    sub = _best_sub(index, route_id, scored)
    if sub is None:
        return own
    sub = _with_narrower(index, sub.route, scored)
    return Candidate(route_id, round(own.score + sub.score, 3), own.hits + sub.hits)


def _narrow(index: Index, route_id: str, scored: Mapping[str, Candidate],
            blocked: frozenset[str] = frozenset()) -> tuple[str, Candidate | None]:
    """The narrowest topic under ``route_id`` that the question also matches (and whose
    ``requires`` it meets: ``blocked`` are those whose it does not)."""
    best = _best_sub(index, route_id, scored, blocked)
    if best is None:
        return route_id, None
    deeper, deeper_by = _narrow(index, best.route, scored, blocked)
    return deeper, deeper_by or best


@dataclass(frozen=True, slots=True)
class _Ranking:
    """The scored groups of one question, topics and facts best first."""

    scored: dict[str, Candidate]
    candidates: tuple[Candidate, ...]
    facts: tuple[Candidate, ...]
    specials: tuple[Candidate, ...]
    covered: frozenset[int]
    unknown_count: int
    blocked: frozenset[str] = frozenset()
    """Narrower topics whose ``requires`` the question does not meet."""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True, slots=True)
class _Verdict:
    route: str | None = None
    also: str | None = None
    fact: str | None = None
    narrowed_by: Candidate | None = None
    why_not_sure: str = ""


_CALMING = ("calm", "not_now", "hypothetical")


def match(index: Index, text: str) -> Match:
    """Score ``text`` against every topic; see the module docstring for the rules."""
    question = _read(index, text)
    found = _without_negated(_without_false_urgency(_occurrences(index, question), question), question)
    reading = urgency.read(question, found)
    # "the outage last month": a past or planned failure only leans towards the trouble topic
    damped = index.trouble if reading.later else frozenset()
    ranking = _rank(index, question, found, damped)
    ranking, verdict = _decide(index, question, ranking)
    scored = ranking.scored
    deskish = _deskish(index, ranking.best, verdict.route)
    urgent_by = urgency.urgent_by(question, reading, deskish=deskish, needs="needs" in question.phrases)
    if verdict.route is None and verdict.fact is None and urgent_by and index.routing.urgent_route \
            and (not ranking.candidates or deskish):
        verdict = replace(verdict, route=index.routing.urgent_route)
    # numbers are masked: a Match may be shown (console, logs of a test) and must never
    # carry a 4-digit code someone typed
    unknown = tuple("#" * len(t) if t.isdigit() else t for i, t in enumerate(question.tokens) if i not in ranking.covered)
    return second_opinion(index, text, Match(
        route=verdict.route,
        candidates=ranking.candidates,
        narrowed_by=verdict.narrowed_by,
        urgent=bool(urgent_by),
        greeting=GREETING in scored,
        thanks=THANKS in scored,
        pin=PIN in scored and bool(pin_spans(text)),
        unknown=unknown,
        specials=ranking.specials,
        fact=verdict.fact,
        also=verdict.also,
        facts=ranking.facts,
        urgent_by=tuple(urgent_by),
        why_not_sure=verdict.why_not_sure,
        calmed=reading.later or any(question.phrases.get(group) for group in _CALMING),
    ))


def _read(index: Index, text: str) -> Question:
    if index.acronyms is not None:
        acronyms = index.routing.acronyms
        text = index.acronyms.sub(lambda found: acronyms[found.group(1)], text)
    raw = words(text)
    positions = [i for i, w in enumerate(raw) if w not in STOPWORDS]
    tokens = [raw[i] for i in positions]
    options = [candidates_for(index, token) for token in tokens]
    return Question(text, raw, positions, tokens, options, _raw_spans(raw, index.raw))


def _occurrences(index: Index, question: Question) -> list[Occurrence]:
    """Every occurrence of every keyword, its words consecutive among the content words."""
    found: list[Occurrence] = []
    options = question.options
    for start, here in enumerate(options):
        following = options[start + 1] if start + 1 < len(options) else {}
        for lemma_, fuzzy_first in here.items():
            found += [Occurrence(keyword, start, start + 1, fuzzy_first) for keyword in index.by_first.get(lemma_, ())]
            for second in following:
                for keyword in index.by_pair.get((lemma_, second), ()):
                    end = start + len(keyword.lemmas)
                    fuzzy = _rest_matches(keyword, options, start, fuzzy_first) if end <= len(options) else None
                    if fuzzy is not None:
                        found.append(Occurrence(keyword, start, end, fuzzy))
    return found


def _rest_matches(keyword: Keyword, options: list[dict[str, bool]], start: int, fuzzy: bool) -> bool | None:
    """Whether the keyword's other words follow ``start`` (None: they do not), and
    whether any word of it took a typo."""
    for offset in range(1, len(keyword.lemmas)):
        step = options[start + offset].get(keyword.lemmas[offset])
        if step is None:
            return None
        fuzzy = fuzzy or step
    return fuzzy


def _without_false_urgency(found: list[Occurrence], question: Question) -> list[Occurrence]:
    """Urgency is never read into a typo ("suite" is not "fuite", "maintenance" not
    "maintenant"), nor into a ``calm`` phrase ("now that", "fire suppression")."""
    calm = question.phrases.get("calm", set())
    positions = question.positions
    return [
        item for item in found
        if item.keyword.group not in URGENCY
        or not (item.fuzzy or any(positions[p] in calm for p in range(item.start, item.end)))
    ]


NEGATION_REACH = 3
"""How many words after "is not", "ni", "other than" a negation reaches, in its clause."""


def _without_negated(found: list[Occurrence], question: Question) -> list[Occurrence]:
    """A topic's word right after a ``negation`` phrase is not what the question is about
    ("a service that isn't colo or network", "ni réseau ni hébergement")."""
    negated = question.phrases.get("negation")
    if not negated:
        return found
    clause = clauses(question.text, len(question.raw))
    reach: set[int] = set()
    for spot in negated:
        if spot + 1 not in negated:  # the last word of a negation phrase
            reach |= {p for p in range(spot + 1, spot + 1 + NEGATION_REACH) if p < len(clause) and clause[p] == clause[spot]}
    positions = question.positions
    return [
        item for item in found
        if item.keyword.group in URGENCY
        or positions[item.start] not in reach
        or any(positions[p] in negated for p in range(item.start, item.end))
    ]


def _group_hits(items: list[Occurrence], tokens: list[str], factor: float = 1.0) -> tuple[tuple[Hit, ...], set[int]]:
    """One group's hits: longest keywords first, no word counted twice, each keyword once."""
    items = sorted(items, key=lambda it: (-(it.end - it.start), it.fuzzy, -it.keyword.weight, it.start))
    used: set[int] = set()
    seen: set[str] = set()
    hits: list[Hit] = []
    for keyword, start, end, fuzzy in items:
        span = set(range(start, end))
        if span & used or keyword.text in seen:
            continue
        used |= span
        seen.add(keyword.text)
        points = round(keyword.weight * (TYPO if fuzzy else 1.0) * factor, 3)
        hits.append(Hit(keyword.text, " ".join(tokens[start:end]), fuzzy, points))
    hits.sort(key=lambda h: -h.points)
    return tuple(hits), used


def _rank(index: Index, question: Question, found: list[Occurrence], damped: frozenset[str] = frozenset()) -> _Ranking:
    """Each group's score (``damped`` groups count half), topics with their narrower
    topics' evidence, best first."""
    by_group: dict[str, list[Occurrence]] = {}
    for item in found:
        by_group.setdefault(item.keyword.group, []).append(item)
    covered: set[int] = set()
    scored: dict[str, Candidate] = {}
    for group, items in by_group.items():
        hits, used = _group_hits(items, question.tokens, HINT / KEYWORD if group in damped else 1.0)
        if group not in (THING, FAILED):  # a thing or a failure alone says nothing of a topic
            covered |= used
        scored[group] = Candidate(group, round(sum(h.points for h in hits), 3), hits)
    order = index.top_order
    tops = (_with_narrower(index, r, scored) for r in index.top_level if r in scored)
    unknown_count = sum(
        1 for i, t in enumerate(question.tokens) if i not in covered and t not in NEUTRAL and not t.isdigit()
    )
    return _Ranking(
        scored=scored,
        candidates=tuple(sorted(tops, key=lambda c: (-c.score, order[c.route]))),
        facts=tuple(sorted((scored[f] for f in index.facts if f in scored), key=lambda c: -c.score)),
        specials=tuple(scored[g] for g in (GREETING, THANKS, *URGENCY, PIN) if g in scored),
        covered=frozenset(covered),
        unknown_count=unknown_count,
        blocked=frozenset(route_id for route_id in index.requiring if REQUIRES + route_id not in question.phrases),
    )


def _asked_fact(index: Index, question: Question, ranking: _Ranking) -> _Ranking:
    """"when can we use the service desk?": the desk's topic, asking for a fact about it
    (one of the fact's ``asks`` words); the fact then scores as the topic does."""
    routing = index.routing
    best = ranking.best
    topic = best.route if best is not None and best.score >= routing.min_score else None
    for fact in routing.facts:
        group = FACT + fact.id
        if (topic in fact.about or (fact.asks_alone and topic is None)) and group not in ranking.scored \
                and group in question.phrases:
            points = best.score if best is not None else routing.min_score
            asked = Candidate(group, points, (Hit("(asks)", topic or "", False, points),))
            if not ranking.facts or ranking.facts[0].score < asked.score:
                return replace(ranking, facts=(asked, *ranking.facts))
            break
    return ranking


def _decide(index: Index, question: Question, ranking: _Ranking) -> tuple[_Ranking, _Verdict]:
    """A fact, a topic (and a second owner), or not sure, with the reason."""
    if question.phrases:
        ranking = _asked_fact(index, question, ranking)
    verdict = _fact_verdict(index, ranking)
    if verdict is None:
        verdict = _topic_verdict(index, ranking)
    return ranking, _with_second_owner(index, ranking, verdict)


def _fact_verdict(index: Index, ranking: _Ranking) -> _Verdict | None:
    """A fact beats a topic it scores as well as, and the topic it is about ("is the
    service desk open 24/7?" is the desk's topic, and asks for a fact)."""
    best = ranking.best
    fact = next((f for f in ranking.facts if _fact_answers(index, ranking, f)), None)
    if fact is None:
        return None
    fact_id = fact.route[len(FACT):]
    about = index.routing.fact(fact_id)
    topic = about.route if about is not None else None
    if about is not None and about.keeps_topic and best is not None and best.route in about.about:
        topic = best.route
    if not topic:
        return _Verdict(fact=fact_id)
    route, narrowed_by = _narrow(index, topic, ranking.scored, ranking.blocked)
    return _Verdict(route=route, fact=fact_id, narrowed_by=narrowed_by)


def _fact_answers(index: Index, ranking: _Ranking, fact: Candidate) -> bool:
    """Whether ``fact`` has the evidence to answer: enough points, not one lone typo, and
    as many points as the best topic, or being about that topic (the best such fact
    answers, not only the best-scoring one)."""
    best = ranking.best
    if fact.score < index.routing.min_score or not _trusted(fact, ranking.unknown_count):
        return False
    return best is None or fact.score >= best.score or index.fact_topics.get(fact.route) == best.route


def _topic_verdict(index: Index, ranking: _Ranking) -> _Verdict:
    """The best topic when it leads every other owner by the margin; both owners when
    both are well supported and no third is close; otherwise not sure."""
    routing = index.routing
    best = ranking.best
    if best is None or best.score < routing.min_score:
        return _Verdict()
    if not _trusted(best, ranking.unknown_count):
        return _Verdict(why_not_sure="one word, matched only as a typo")
    target = index.targets[best.route]
    # a rival that rests on one typo among unexplained words is no rival either
    rival = next(
        (c for c in ranking.candidates[1:] if index.targets[c.route] != target and _trusted(c, ranking.unknown_count)),
        None,
    )
    route, narrowed_by = _narrow(index, best.route, ranking.scored, ranking.blocked)
    if best.score - (rival.score if rival else 0.0) >= routing.min_margin:
        return _Verdict(route=route, narrowed_by=narrowed_by)
    if rival is not None and _strong(best) and _strong(rival) and _third(index, ranking.candidates, target, rival) <= rival.score - routing.min_margin:
        return _Verdict(route=route, also=rival.route, narrowed_by=narrowed_by)
    return _Verdict(why_not_sure="two topics too close")


def _with_second_owner(index: Index, ranking: _Ranking, verdict: _Verdict) -> _Verdict:
    """A topic's own ``also`` (or its parent's, when a narrower topic answers), unless
    it names the same owner."""
    route, also = verdict.route, verdict.also
    if route is not None and also is None:
        topic = index.routes.get(route)
        chosen = topic.also if topic is not None else ()
        if not chosen and verdict.narrowed_by is not None and ranking.best is not None:
            parent = index.routes.get(ranking.best.route)
            chosen = parent.also if parent is not None else ()
        also = chosen[0] if chosen else None
    if route is not None and also is None:
        # a narrower topic the question matched but whose `requires` it did not meet is
        # still a second way ("who do we call if our link fails": the desk, or a ticket in
        # the portal)
        also = next((sub for sub in index.children.get(route, ()) if sub in ranking.blocked and sub in ranking.scored), None)
    if also is not None and route is not None and index.targets.get(also) == index.targets.get(route):
        also = None
    return replace(verdict, also=also)


def _deskish(index: Index, best: Candidate | None, route: str | None) -> bool:
    """The question is about a topic that is phoned in when urgent, or about nothing else."""
    return best is None or best.route in index.by_phone or (route is not None and route in index.by_phone)
