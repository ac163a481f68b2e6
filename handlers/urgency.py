"""Whether a question is urgent: something broken or dangerous happening now.

Found apart from topics, from the groups of ``config/routing.yaml``:

* ``urgent`` words ("urgent", "fire", "smoke") are urgent whatever else is said;
* ``outage`` words ("down", "panne") when the question is about a service problem (or
  nothing else), asks for help, or names a thing that is failing ("link", "courant");
* ``failed`` words ("lost", "failed", "éteinte") only next to one of ``things`` in the
  same clause ("we lost both feeds", "baie éteinte"): "I lost my badge" is no outage;
* ``asap`` words ("asap", "tout de suite") with a failure or on a topic that is phoned
  in ("smart hands asap"), never alone on a quote or an invoice; ``urgent_soon`` words
  ("now", "tonight") with a failure, or with a need on a topic that is phoned in.

What cancels: a ``calm`` phrase covers the words it holds ("now that", "fire
suppression"); a ``hypothetical`` phrase ("if", "en cas de", "once") cancels the urgency
words after it in the same clause ("who do I call if our link goes down?"); a ``not_now``
phrase ("last month", "planned") cancels the urgent, outage and failure words of the whole
question unless an ``asap`` or ``urgent_soon`` word says it is happening now, or it
follows "since" ("down since yesterday" is still down).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from handlers.match_index import ASAP, FAILED, OUTAGE, SOON, THING, URGENT
from handlers.match_result import Occurrence, Question
from handlers.wording import clauses

NEAR = 4
"""How many words apart a failure word and the thing that fails may stand."""
_SINCE = frozenset({"since", "depuis"})


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The urgency words of one group, each as (raw positions, the words as configured)."""

    items: Mapping[str, tuple[tuple[tuple[int, ...], str], ...]]

    def of(self, group: str) -> tuple[tuple[tuple[int, ...], str], ...]:
        return self.items.get(group, ())


def _evidence(question: Question, found: Iterable[Occurrence]) -> _Evidence:
    """Every urgency word and phrase with its positions among all the question's words,
    outside calm phrases and after no hypothetical phrase of the same clause."""
    positions = question.positions
    items: dict[str, list[tuple[tuple[int, ...], str]]] = {}
    for occurrence in found:
        group = occurrence.keyword.group
        if group in (URGENT, OUTAGE, SOON, ASAP, FAILED, THING):
            span = tuple(positions[p] for p in range(occurrence.start, occurrence.end))
            items.setdefault(group, []).append((span, occurrence.keyword.text))
    calm = question.phrases.get("calm", set())
    for group in (URGENT, OUTAGE, SOON, ASAP, FAILED):
        for run in _runs(question.phrases.get(group, set()) - calm):
            items.setdefault(group, []).append((run, " ".join(question.raw[i] for i in run)))
    hypothetical = _hypothetical(question)
    if hypothetical:
        items = {g: [item for item in found_ if not hypothetical & set(item[0])] for g, found_ in items.items()}
    return _Evidence({g: tuple(v) for g, v in items.items() if v})


def _runs(spots: set[int]) -> list[tuple[int, ...]]:
    """Consecutive positions, grouped: each run is one phrase as typed."""
    out: list[list[int]] = []
    for spot in sorted(spots):
        if out and out[-1][-1] == spot - 1:
            out[-1].append(spot)
        else:
            out.append([spot])
    return [tuple(run) for run in out]


def _hypothetical(question: Question) -> set[int]:
    """The positions that follow a hypothetical phrase in the same clause."""
    starts = question.phrases.get("hypothetical")
    if not starts:
        return set()
    clause = clauses(question.text, len(question.raw))
    first = min(starts)
    out: set[int] = set()
    for start in sorted(starts):
        if start < first:
            continue
        out |= {p for p in range(start, len(question.raw)) if clause[p] == clause[start]}
    return out


def _later(question: Question, live_soon: bool) -> bool:
    """A past, planned or what-if event ("last month", "planned"), unless something
    says it is happening now, or the time follows "since" ("down since yesterday")."""
    spots = question.phrases.get("not_now")
    if not spots or live_soon:
        return False
    return any(p - 1 not in spots and (p == 0 or question.raw[p - 1] not in _SINCE) for p in spots)


def _near(evidence: _Evidence, span: tuple[int, ...], clause: list[int] | None) -> bool:
    """A thing named within ``NEAR`` words of ``span``, in the same clause."""
    for thing, _ in evidence.of(THING):
        gap = min(abs(a - b) for a in span for b in thing)
        if gap <= NEAR and (clause is None or clause[span[0]] == clause[thing[0]]):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Reading:
    """The urgency words of one question, and whether it speaks of a past or planned
    event (then a failure it names is no trouble happening now)."""

    evidence: _Evidence
    later: bool


def read(question: Question, found: Iterable[Occurrence]) -> Reading:
    evidence = _evidence(question, found)
    return Reading(evidence, _later(question, bool(evidence.of(SOON) or evidence.of(ASAP))))


def urgent_by(question: Question, reading: Reading, *, deskish: bool, needs: bool) -> list[str]:
    """The words that make the question urgent (empty: it is not). ``deskish``: the
    question is about a topic that is phoned in when urgent, or about nothing else."""
    evidence = reading.evidence
    if not evidence.items:
        return []
    out: list[str] = []
    if not reading.later:
        clause = clauses(question.text, len(question.raw)) if evidence.of(THING) else None
        out += [text for _, text in evidence.of(URGENT)]
        out += [text for span, text in evidence.of(OUTAGE) if deskish or needs or _near(evidence, span, clause)]
        out += [text for span, text in evidence.of(FAILED) if _near(evidence, span, clause)]
    failure = bool(out)
    out += [text for _, text in evidence.of(ASAP) if failure or deskish]
    out += [text for _, text in evidence.of(SOON) if failure or (needs and deskish)]
    return out
