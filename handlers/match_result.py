"""What the matcher found in one question (``Match``), and the topics and keywords that
scored (``Candidate``, ``Hit``): kept apart from the matching rules so the console's ``why``
and the cards read one small, stable shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from handlers.match_index import Index, Keyword


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
    guessed: str = ""
    """What the wording model made of the question, when it was consulted."""
    calmed: bool = False
    """The question says its trouble is past, planned, supposed or not pressing (a
    ``calm``, ``not_now`` or ``hypothetical`` phrase): the model may not overrule that."""
    """What the wording model made of the question, when it was consulted."""

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
        if self.guessed:
            lines.append(f"wording model: {self.guessed}")
        if self.urgent:
            lines.append("urgent: " + ", ".join(dict.fromkeys(self.urgent_by)))  # each word once
        if self.fact:
            verdict = f"-> fact {self.fact}" + (f" (with {self.route})" if self.route else "")
        elif self.route:
            verdict = f"-> {self.route}" + (f", also {self.also}" if self.also else "")
        else:
            verdict = "-> not sure" + (f" ({self.why_not_sure})" if self.why_not_sure else "")
        return "\n".join([*lines, verdict])


_SEEN_LIMIT = 20_000


class Occurrence(NamedTuple):
    """One keyword found at words ``start``..``end`` of the question's content words."""

    keyword: Keyword
    start: int
    end: int
    fuzzy: bool


@dataclass(frozen=True, slots=True)
class Question:
    """A question read once: its words, the content words (and where they stand among
    all words), what each content word may stand for, and the word-for-word phrases found."""

    text: str
    raw: list[str]
    positions: list[int]
    tokens: list[str]
    options: list[dict[str, bool]]
    phrases: dict[str, set[int]]
