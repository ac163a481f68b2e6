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

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.catalog import Route, Routing
from handlers.i18n import fold

KEYWORD = 1.0
HINT = 0.5
TYPO = 0.8

GREETING = "!greeting"
THANKS = "!thanks"
URGENT = "!urgent"
OUTAGE = "!outage"
SOON = "!soon"
PIN = "!pin"
FACT = "fact:"

STOPWORDS: frozenset[str] = frozenset(
    # English function words and filler
    "a an the and or but if of to in on at by for from with about into as is are was were be "
    "been am do does did have has had i me my mine we us our ours you your yours he she it its "
    "they them their this that these those there here what which who whom whose where why "
    "how can could should would will shall may might must please pls just also any some all "
    "so then than too very really need needs want wants like know tell let get got ok okay "
    "yes someone somebody anyone anything something question ask asking regarding concerning "
    "whom im ive id dont doesnt cant isnt"
    # French function words and filler
    " le la les un une des du de au aux et ou mais si est sont etait ete etre suis es sommes "
    "etes ai as avons avez ont je me moi mon ma mes nous notre nos vous votre vos tu te toi ton "
    "ta tes il elle ils elles on se son sa ses leur leurs ce cet cette ces ca cela ceci y en qui "
    "que quoi quel quelle quels quelles comment pourquoi dans sur sous pour par avec sans "
    "chez vers entre faut peut puis pouvez pourriez pourrais dois doit devons devez voudrais "
    "veux souhaite souhaiterais aimerais besoin svp stp plait tres bien aussi donc alors comme "
    "quelqu aupres concernant sujet"
    # the pieces apostrophes leave behind: l', d', qu', j', n' (kept: "n" helps "n'a pas")
    " b c d e f g h j k l m o p q r s t u v w x z ll ve re".split()
)

_WORD = re.compile(r"[^\W_]+")
# A 4-digit number standing alone: not part of a longer number, a phone number written in
# groups ("808 0015"), a date or a time.
_FOUR_DIGITS = re.compile(r"(?<![\d+])(?<!\d[ .\-/:])\b(\d{4})\b(?![ .\-/:]?\d)")
_YEAR_CONTEXT = frozenset(
    "in en since depuis before after avant apres year annee of fin end begin debut until "
    "jusqu january february march april may june july august september october november "
    "december janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre".split()
)
_NEUTRAL = frozenset(
    "january february march april may june july august september october november december "
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
    "monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi "
    "samedi dimanche today tomorrow yesterday week weeks month months year years next last "
    "aujourd hui demain hier semaine semaines mois annee annees an ans prochain prochaine dernier derniere".split()
)
"""Words about when, not what: they neither route a question nor count as unexplained."""
_STANDARDS = frozenset("iso nen pci soc ssae tier".split())  # "ISO 9001" is a standard, not a code


_NEGATION = re.compile(r"\b(can|won|don|doesn|didn|isn|aren|wasn|weren|haven|hasn|couldn|wouldn|shouldn)['’ ]?t\b")
_NEGATED = {"can": "can", "won": "will"}


def _not(found: re.Match[str]) -> str:
    stem_ = found.group(1)
    return _NEGATED.get(stem_, stem_[:-1] if stem_.endswith("n") else stem_) + " not"


def words(text: str) -> list[str]:
    """Folded words of ``text`` (letters and digits only); "can't", "doesnt" become
    "can not", "does not", so the negation stays a word of its own."""
    return _WORD.findall(_NEGATION.sub(_not, fold(text)))


def singulars(word: str) -> tuple[str, ...]:
    """``word`` and the forms it may have without a plural ending, most likely first.

    Deliberately generous (English and French rules side by side): a wrong candidate
    only matters if it happens to be another keyword, and the index is small.
    """
    out = [word]
    if len(word) > 3 and not word.isdigit():
        if word.endswith("ies") and len(word) > 4:
            out.append(word[:-3] + "y")
        if word.endswith("eaux") or word.endswith("eux") or word.endswith("oux"):
            out.append(word[:-1])
        elif word.endswith("aux") and len(word) > 4:
            out.append(word[:-3] + "al")
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            out.append(word[:-1])
        if word.endswith(("sses", "ches", "shes", "xes", "zes")):
            out.append(word[:-2])
    return tuple(dict.fromkeys(out))


def lemma(word: str) -> str:
    """The one form a keyword word is stored under (its shortest singular candidate)."""
    return min(singulars(word), key=lambda w: (len(w), w))


def allowed_typos(word: str) -> int:
    """One typo from 5 letters, two from 10: "building" is not a typo of "billing"."""
    if word.isdigit() or len(word) < 5:
        return 0
    return 2 if len(word) >= 10 else 1


_SUFFIXES = (
    "ements", "ement", "ations", "ation", "ings", "ing", "ees", "ies", "ied", "ed", "es", "ee",
    "er", "ez", "ent", "e", "s", "y",
)


def stem(word: str) -> str:
    """A crude common root of English and French inflections (delivered, delivery,
    livrée, livraison stay apart; configured, configuration, configurer meet), used only
    when a word has no exact or plural match. Suffixes come off while 4 letters remain,
    and a doubled last letter is undone (shipping -> ship)."""
    if len(word) < 5 or word.isdigit():
        return word
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            shortest = 3 if suffix in ("ed", "ing", "ings") else 4
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest and not word.endswith(("ss", "us", "is")):
                word = word[: -len(suffix)]
                changed = True
                break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts one), capped at
    ``limit + 1`` so a hopeless pair stops early."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


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
    forms: Mapping[str, frozenset[str]]
    deletes: Mapping[str, frozenset[str]]
    children: Mapping[str, tuple[str, ...]]
    targets: Mapping[str, str]
    top_level: tuple[str, ...]
    dropped: tuple[str, ...]
    stems: Mapping[str, frozenset[str]] = None  # type: ignore[assignment]
    facts: tuple[str, ...] = ()
    raw: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = None  # type: ignore[assignment]
    fact_topics: Mapping[str, str] = None  # type: ignore[assignment]
    routes: Mapping[str, Route] = None  # type: ignore[assignment]
    seen: dict[str, dict[str, bool]] = field(default_factory=dict)
    """What each typed word stood for, so a word is looked up (typos, stems) once; bounded."""
    by_phone: frozenset[str] = frozenset()


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


def build_index(routing: Routing) -> Index:
    """Normalise every keyword of ``routing`` into look-up tables.

    ``dropped`` lists keywords made only of function words, which could never match
    (a test keeps it empty).
    """
    dropped: list[str] = []
    keywords: list[Keyword] = []
    children: dict[str, tuple[str, ...]] = {}
    targets: dict[str, str] = {}

    def add_route(route: Route) -> None:
        targets[route.id] = route.target
        children[route.id] = tuple(sub.id for sub in route.narrower)
        keywords.extend(_keywords(route.id, route.keywords, KEYWORD, dropped))
        keywords.extend(_keywords(route.id, route.hints, HINT, dropped))
        for sub in route.narrower:
            add_route(sub)

    for route in routing.routes:
        add_route(route)
    for fact in routing.facts:
        group = FACT + fact.id
        targets[group] = targets.get(fact.route or "", "") if fact.route else ""
        keywords.extend(_keywords(group, fact.keywords, KEYWORD, dropped))
    if routing.urgent_route:
        # an outage is a trouble ticket: its words are evidence for the urgent topic too
        own = {k.text for k in keywords if k.group == routing.urgent_route}
        outage = {lang: [p for p in phrases if p not in own] for lang, phrases in routing.outage.items()}
        keywords.extend(_keywords(routing.urgent_route, outage, KEYWORD, dropped))
    whole: dict[str, dict[str, list[str]]] = {}
    for group, table in (
        (GREETING, routing.greetings),
        (THANKS, routing.thanks),
        (URGENT, routing.urgent),
        (OUTAGE, routing.outage),
        (SOON, routing.urgent_soon),
        (PIN, routing.pin_words),
    ):
        if group in (URGENT, OUTAGE, SOON):
            # "broke in" must not shrink to "broke": urgency phrases that hold a function
            # word are matched word for word, on every word
            whole[group] = {lang: [p for p in phrases if _has_function_word(p)] for lang, phrases in table.items()}
            kept: Mapping[Any, Iterable[str]] = {lang: [p for p in phrases if not _has_function_word(p)] for lang, phrases in table.items()}
        else:
            kept = table
        keywords.extend(_keywords(group, kept, KEYWORD, dropped))
    # phrases matched on every word, function words included ("now that", "need")
    raw: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    tables: list[tuple[str, Mapping[Any, Iterable[str]]]] = [
        ("calm", routing.calm), ("not_now", routing.not_now), ("needs", routing.needs), *whole.items()]
    tables += [(FACT + fact.id, fact.asks) for fact in routing.facts if fact.asks]
    for name, phrase_table in tables:
        phrases: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for by_lang in phrase_table.values():
            for phrase in by_lang:
                folded = tuple(words(phrase))
                if folded:
                    phrases[folded[0]].append(folded)
        for first, options in phrases.items():
            raw.setdefault(first, []).extend((name, phrase) for phrase in options)

    by_first: dict[str, list[Keyword]] = defaultdict(list)
    forms: dict[str, set[str]] = defaultdict(set)
    same: set[tuple[str, tuple[str, ...], float]] = set()
    for keyword in sorted(keywords, key=lambda k: len(k.text.split())):
        # "my orders" is "order" once function words are gone: keep the shortest spelling, so
        # `why` names the keyword that really matched
        if (keyword.group, keyword.lemmas, keyword.weight) in same:
            continue
        same.add((keyword.group, keyword.lemmas, keyword.weight))
        by_first[keyword.lemmas[0]].append(keyword)
    for phrase in {w for k in keywords for w in words(k.text) if w not in STOPWORDS}:
        for form in singulars(phrase):
            forms[form].add(lemma(phrase))
    deletes: dict[str, set[str]] = defaultdict(set)
    stems: dict[str, set[str]] = defaultdict(set)
    for form in forms:
        depth = 2 if len(form) >= 6 else 1 if len(form) >= 4 else 0
        for variant in _deletes(form, depth):
            deletes[variant].add(form)
        stems[stem(form)] |= forms[form]
    top_of = {each.id: route.id for route in routing.routes for each in route.self_and_narrower()}
    fact_topics = {FACT + f.id: top_of[f.route] for f in routing.facts if f.route in top_of}
    by_phone = frozenset(
        each.id for route in routing.routes for each in route.self_and_narrower() if each.by_phone_when_urgent
    )
    return Index(
        routing=routing,
        by_first={k: tuple(v) for k, v in by_first.items()},
        forms={k: frozenset(v) for k, v in forms.items()},
        deletes={k: frozenset(v) for k, v in deletes.items()},
        children=children,
        targets=targets,
        top_level=tuple(r.id for r in routing.routes),
        dropped=tuple(dropped),
        stems={k: frozenset(v) for k, v in stems.items()},
        facts=tuple(FACT + f.id for f in routing.facts),
        raw={k: tuple(v) for k, v in raw.items()},
        by_phone=by_phone,
        fact_topics=fact_topics,
        routes={each.id: each for route in routing.routes for each in route.self_and_narrower()},
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """A keyword found in the question: as configured, as typed, and what it added."""

    keyword: str
    typed: str
    fuzzy: bool
    points: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A topic (or a special group) that scored, with the hits that made it score."""

    route: str
    score: float
    hits: tuple[Hit, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(hit.keyword for hit in self.hits)


@dataclass(frozen=True, slots=True)
class Match:
    """Everything the matcher found in one question.

    ``route`` is the confident answer (a narrower topic when one applies) or None;
    ``candidates`` are the top-level topics that scored, best first (ties keep the order
    of routing.yaml); ``unknown`` the meaningful words nothing matched.
    """

    route: str | None
    candidates: tuple[Candidate, ...]
    narrowed_by: Candidate | None
    urgent: bool
    greeting: bool
    thanks: bool
    pin: bool
    unknown: tuple[str, ...]
    specials: tuple[Candidate, ...] = ()
    fact: str | None = None
    also: str | None = None
    facts: tuple[Candidate, ...] = ()
    urgent_by: tuple[str, ...] = ()
    why_not_sure: str = ""

    @property
    def sure(self) -> bool:
        return self.route is not None

    def likeliest(self, index: Index, limit: int = 3) -> tuple[str, ...]:
        """The best topic of each target, best first: what to offer when not sure."""
        seen: set[str] = set()
        out: list[str] = []
        for candidate in self.candidates:
            target = index.targets[candidate.route]
            if target in seen:
                continue
            seen.add(target)
            out.append(candidate.route)
            if len(out) == limit:
                break
        return tuple(out)

    def explain(self) -> str:
        """One line per scoring topic, fact and special group, then the urgency and the
        verdict, for the console's ``why`` and for test failures."""
        lines = []
        for candidate in (*self.candidates, *self.facts, *self.specials):
            hits = ", ".join(
                f"{h.keyword}" + (f" (typed {h.typed!r})" if h.fuzzy else "") + f" +{h.points:g}"
                for h in candidate.hits
            )
            lines.append(f"{candidate.route} {candidate.score:g}: {hits}")
        if self.urgent:
            lines.append("urgent: " + ", ".join(self.urgent_by))
        if self.fact:
            verdict = f"-> fact {self.fact}" + (f" (with {self.route})" if self.route else "")
        elif self.route:
            verdict = f"-> {self.route}" + (f", also {self.also}" if self.also else "")
        else:
            verdict = "-> not sure" + (f" ({self.why_not_sure})" if self.why_not_sure else "")
        return "\n".join([*lines, verdict])


_SEEN_LIMIT = 20_000


def _candidates_for(index: Index, token: str) -> dict[str, bool]:
    """Keyword lemmas this typed word stands for, each with whether it took a typo
    (remembered per index: customers' words repeat, and a typo search costs the most)."""
    found = index.seen.get(token)
    if found is None:
        if len(index.seen) >= _SEEN_LIMIT:
            index.seen.clear()
        found = index.seen[token] = _look_up(index, token)
    return found


def _look_up(index: Index, token: str) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for form in singulars(token):
        for lemma_ in index.forms.get(form, ()):
            found[lemma_] = False
    if found:
        return found
    if len(token) >= 5:
        for lemma_ in index.stems.get(stem(token), ()):
            found[lemma_] = False
        if found:
            return found
    limit = allowed_typos(token)
    if not limit:
        return found
    best = limit + 1
    close: set[str] = set()
    for variant in _deletes(token, limit):
        for form in index.deletes.get(variant, ()):
            d = distance(token, form, limit)
            if d > limit:
                continue
            if d < best:
                best, close = d, {form}
            elif d == best:
                close.add(form)
    for form in sorted(close):
        for lemma_ in index.forms[form]:
            found[lemma_] = True
    return found


def mask_pins(text: str, mask: str = "••••") -> tuple[str, bool]:
    """``text`` with every standalone 4-digit number that may be a service-desk PIN (not
    a year after "in", "since"..., not a standard such as "ISO 9001") replaced by
    ``mask``, and whether there was one. The one place that decides what looks like a
    PIN, for the matcher and for whoever stores or forwards a customer's text."""
    spans = _pin_spans(text)
    if not spans:
        return text, False
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start] + mask)
        last = end
    out.append(text[last:])
    return "".join(out), True


def _pin_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for found in _FOUR_DIGITS.finditer(text):
        number = found.group(1)
        before = words(text[max(0, found.start() - 60) : found.start()])[-1:]
        if before and before[0] in _STANDARDS:
            continue
        if number[:2] in ("19", "20") and before and before[0] in _YEAR_CONTEXT:
            continue
        spans.append(found.span(1))
    return tuple(spans)


def match(index: Index, text: str) -> Match:
    """Score ``text`` against every topic; see the module docstring for the rules."""
    routing = index.routing
    raw = words(text)
    positions = [i for i, w in enumerate(raw) if w not in STOPWORDS]
    tokens = [raw[i] for i in positions]
    options = [_candidates_for(index, token) for token in tokens]

    # every occurrence of every keyword: (keyword, start, end, fuzzy)
    found: list[tuple[Keyword, int, int, bool]] = []
    for start, here in enumerate(options):
        for lemma_, fuzzy_first in here.items():
            for keyword in index.by_first.get(lemma_, ()):
                end = start + len(keyword.lemmas)
                if end > len(tokens):
                    continue
                fuzzy = fuzzy_first
                for offset in range(1, len(keyword.lemmas)):
                    step = options[start + offset].get(keyword.lemmas[offset])
                    if step is None:
                        break
                    fuzzy = fuzzy or step
                else:
                    found.append((keyword, start, end, fuzzy))

    # urgency is never read into a typo: "suite" is not "fuite", "bonne" not "sonne",
    # "maintenance" not "maintenant"
    found = [item for item in found if not (item[3] and item[0].group in (URGENT, OUTAGE, SOON))]
    # "now that", "fire suppression", "scale down": urgency words that are no urgency
    phrases = _raw_spans(raw, index.raw)
    calm = phrases.get("calm")
    if calm:
        found = [
            item for item in found
            if item[0].group not in (URGENT, OUTAGE, SOON)
            or not any(positions[p] in calm for p in range(item[1], item[2]))
        ]
    needs = "needs" in phrases

    # per group: longest keywords first, no word counted twice, each keyword once
    by_group: dict[str, list[tuple[Keyword, int, int, bool]]] = defaultdict(list)
    for item in found:
        by_group[item[0].group].append(item)
    covered: set[int] = set()
    scored: dict[str, Candidate] = {}
    for group, items in by_group.items():
        items.sort(key=lambda it: (-(it[2] - it[1]), it[3], -it[0].weight, it[1]))
        used: set[int] = set()
        seen: set[str] = set()
        hits: list[Hit] = []
        for keyword, start, end, fuzzy in items:
            span = set(range(start, end))
            if span & used or keyword.text in seen:
                continue
            used |= span
            seen.add(keyword.text)
            points = round(keyword.weight * (TYPO if fuzzy else 1.0), 3)
            hits.append(Hit(keyword.text, " ".join(tokens[start:end]), fuzzy, points))
        covered |= used
        hits.sort(key=lambda h: -h.points)
        scored[group] = Candidate(group, round(sum(h.points for h in hits), 3), tuple(hits))

    order = {route_id: i for i, route_id in enumerate(index.top_level)}
    tops = (_with_narrower(index, r, scored) for r in index.top_level if r in scored)
    candidates = tuple(sorted(tops, key=lambda c: (-c.score, order[c.route])))
    facts = tuple(sorted((scored[f] for f in index.facts if f in scored), key=lambda c: -c.score))
    specials = tuple(scored[g] for g in (GREETING, THANKS, URGENT, OUTAGE, SOON, PIN) if g in scored)
    unknown_count = sum(1 for i, t in enumerate(tokens) if i not in covered and t not in _NEUTRAL and not t.isdigit())

    route: str | None = None
    also: str | None = None
    fact: str | None = None
    narrowed_by: Candidate | None = None
    why_not_sure = ""
    best = candidates[0] if candidates else None
    best_fact = facts[0] if facts else None
    if phrases:
        # "when can we use the service desk?": the desk's topic, asking for a fact about it
        topic_ = best.route if best is not None and best.score >= routing.min_score else None
        for fact_ in routing.facts:
            if (topic_ in fact_.about or (fact_.asks_alone and best is None)) and (FACT + fact_.id) not in scored \
                    and (FACT + fact_.id) in phrases:
                points = best.score if best is not None else routing.min_score
                asked = Candidate(FACT + fact_.id, points, (Hit("(asks)", topic_ or "", False, points),))
                if best_fact is None or best_fact.score < asked.score:
                    best_fact = asked
                    facts = (asked, *facts)
                break
    if best_fact is not None and best_fact.score >= routing.min_score and _trusted(best_fact, unknown_count) \
            and (best is None or best_fact.score >= best.score or index.fact_topics.get(best_fact.route) == best.route):
        # a fact beats a topic it scores as well as, and the topic it is about ("is the
        # service desk open 24/7?" is the desk's topic, and asks for a fact)
        fact = best_fact.route[len(FACT):]
        fact_route = routing.fact(fact)
        if fact_route is not None and fact_route.route:
            route, narrowed_by = _narrow(index, fact_route.route, scored)
    elif best is not None and best.score >= routing.min_score:
        target = index.targets[best.route]
        # a rival that rests on one typo among unexplained words is no rival either
        rival = next(
            (c for c in candidates[1:] if index.targets[c.route] != target and _trusted(c, unknown_count)), None
        )
        rival_score = rival.score if rival else 0.0
        if not _trusted(best, unknown_count):
            why_not_sure = "one word, matched only as a typo"
        elif best.score - rival_score >= routing.min_margin:
            route, narrowed_by = _narrow(index, best.route, scored)
        elif rival is not None and _strong(best) and _strong(rival) and _third(index, candidates, target, rival) \
                <= rival.score - routing.min_margin:
            # both owners are well supported: answer with both, the likelier first
            route, narrowed_by = _narrow(index, best.route, scored)
            also = rival.route
        else:
            why_not_sure = "two topics too close"
    if route is not None and also is None:
        topic = index.routes.get(route)
        chosen = topic.also if topic is not None else ()
        if not chosen and narrowed_by is not None:
            parent = index.routes.get(best.route) if best is not None else None
            chosen = parent.also if parent is not None else ()
        also = chosen[0] if chosen else None
    if also is not None and route is not None and index.targets.get(also) == index.targets.get(route):
        also = None

    for group in (URGENT, OUTAGE, SOON):
        spans = phrases.get(group, set()) - (calm or set())
        if spans:
            hit = Hit(" ".join(raw[i] for i in sorted(spans)), "", False, KEYWORD)
            old = scored.get(group)
            scored[group] = Candidate(group, (old.score if old else 0) + KEYWORD, (*(old.hits if old else ()), hit))
    urgent_by: list[str] = []
    # "the overheating last summer", "in case of an outage": an event that is not happening now
    later = "not_now" in phrases and SOON not in scored
    if URGENT in scored and not later:
        urgent_by += scored[URGENT].words
    deskish = best is None or best.route in index.by_phone or (route is not None and route in index.by_phone)
    if OUTAGE in scored and (deskish or needs) and not later:
        urgent_by += scored[OUTAGE].words
    if SOON in scored and (needs or OUTAGE in scored):
        urgent_by += scored[SOON].words
    urgent = bool(urgent_by)
    if route is None and fact is None and urgent and routing.urgent_route and (not candidates or deskish):
        route = routing.urgent_route
    # numbers are masked: a Match may be shown (console, logs of a test) and must never
    # carry a 4-digit code someone typed
    unknown = tuple("#" * len(t) if t.isdigit() else t for i, t in enumerate(tokens) if i not in covered)
    return Match(
        route=route,
        candidates=candidates,
        narrowed_by=narrowed_by,
        urgent=urgent,
        greeting=GREETING in scored,
        thanks=THANKS in scored,
        pin=PIN in scored and bool(_pin_spans(text)),
        unknown=unknown,
        specials=specials,
        fact=fact,
        also=also,
        facts=facts,
        urgent_by=tuple(urgent_by),
        why_not_sure=why_not_sure,
    )


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


def _raw_spans(raw: list[str], table: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]) -> dict[str, set[int]]:
    """For each phrase table ("calm", "needs", a fact's asks), the positions of all the
    words its phrases cover (exact words, a plural ``s`` ignored); one pass over the words."""
    covered: dict[str, set[int]] = {}
    if not table:
        return covered
    for start, word in enumerate(raw):
        options = table.get(word) or (table.get(word[:-1]) if word.endswith("s") else None)
        if not options:
            continue
        for name, phrase in options:
            end = start + len(phrase)
            if end <= len(raw) and all(
                raw[start + k] == w or raw[start + k] == w + "s" for k, w in enumerate(phrase)
            ):
                covered.setdefault(name, set()).update(range(start, end))
    return covered


def _best_sub(index: Index, route_id: str, scored: Mapping[str, Candidate]) -> Candidate | None:
    best: Candidate | None = None
    for sub in index.children.get(route_id, ()):
        candidate = scored.get(sub)
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


def _narrow(index: Index, route_id: str, scored: Mapping[str, Candidate]) -> tuple[str, Candidate | None]:
    """The narrowest topic under ``route_id`` that the question also matches."""
    best = _best_sub(index, route_id, scored)
    if best is None:
        return route_id, None
    deeper, deeper_by = _narrow(index, best.route, scored)
    return deeper, deeper_by or best


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
