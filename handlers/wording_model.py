"""A small trained model of how customers word their questions: the second opinion.

The routing words (``config/routing.yaml``) explain every decision and are what an
operator edits, but customers phrase things in more ways than any word list holds. This
model was trained (``./dev train``, ``tests/handlers/train_wording_model.py``) on the
labelled question sets that are tuned on, never on an independent set: a linear model
over the question's character n-grams (2 to 5 letters inside each word: typos, missing
accents, plurals and French/English cognates share most of them) and its words and word
pairs, weighted tf-idf. It gives two things: who owns the question (a role, a desk, a
fact, or nothing), with a probability, and how likely the message is urgent.

Scoring is a few hundred dictionary look-ups in plain Python: no numerical library is
loaded at run time. The features are computed here and the trainer imports this very
function, so training and answering can never read a question differently.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

FEATURES = "char_wb 2-5, words 1-2, v1"
"""Names the feature extraction below; a model trained with another is refused."""

NOTHING = "none"
"""The label of a message that is no question for anyone (small talk, a joke)."""

_WORD = re.compile(r"\w\w+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def features(text: str) -> list[str]:
    """The question's features, repeated as often as they occur (the trainer counts them)."""
    folded = _fold(text)
    out: list[str] = []
    for word in folded.split():
        padded = f" {word} "
        for n in range(2, 6):
            if len(padded) < n:
                break
            out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    words = _WORD.findall(folded)
    out.extend("w:" + w for w in words)
    out.extend(f"w:{a} {b}" for a, b in pairwise(words))
    return out


@dataclass(frozen=True, slots=True)
class Guess:
    """The model's reading of one message."""

    label: str
    """A target id (``billing_analyst``), ``fact:<id>``, or ``none``."""
    probability: float
    urgent: float
    """The probability that the message is urgent."""

    def __str__(self) -> str:
        return f"{self.label} {self.probability:.2f}, urgent {self.urgent:.2f}"


class WordingModel:
    """The trained weights, read from the data ``train_wording_model`` writes."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("features") != FEATURES:
            raise ValueError(f"trained with features {data.get('features')!r}, this code reads {FEATURES!r}: train it again")
        self.labels: tuple[str, ...] = tuple(data["labels"])
        self.trained_on: dict[str, str] = dict(data.get("trained_on", {}))
        self._intercepts: tuple[float, ...] = tuple(data["intercepts"])
        self._urgent_intercept = float(data["urgent_intercept"])
        # Columns, not a row per feature: a dict of tuples of floats cost 16 MiB per
        # loaded model and the parsed rows of a row-per-feature file several MiB more at
        # start-up. Feature ``n`` has idf ``idf[n]`` and urgent weight ``urgent[n]``; its
        # label weights are entries ``starts[n]`` to ``starts[n + 1]`` of ``label_of`` and
        # ``weight``.
        self._rows: dict[str, int] = {feature: n for n, feature in enumerate(data["features_list"])}
        self._idf = array("d", data["idf"])
        self._urgent = array("d", data["urgent"])
        self._starts = array("l", data["starts"])
        self._label_of = array("b", data["label_of"])
        self._weight = array("d", data["weight"])
        if not len(self._idf) == len(self._urgent) == len(self._rows) == len(self._starts) - 1:
            raise ValueError("the model's columns disagree in length")
        self._size = len(self._weight)

    def __eq__(self, other: object) -> bool:
        """Models trained on the same sets with the same results are equal (two loads of
        one file make equal catalogs)."""
        if not isinstance(other, WordingModel):
            return NotImplemented
        return (self.trained_on, self.labels, self._intercepts, self._idf, self._size) == (
            other.trained_on, other.labels, other._intercepts, other._idf, other._size)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking: compared, never hashed

    def guess(self, text: str) -> Guess:
        """Label probabilities by softmax over the linear scores; urgency by a logistic."""
        counts: dict[str, int] = {}
        for feature in features(text):
            counts[feature] = counts.get(feature, 0) + 1
        rows, idf = self._rows, self._idf
        found = []
        norm = 0.0
        for feature, count in counts.items():
            row = rows.get(feature)
            if row is not None:
                value = idf[row] * (1.0 + math.log(count)) if count > 1 else idf[row]
                norm += value * value
                found.append((value, row))
        scores = list(self._intercepts)
        urgent_score = self._urgent_intercept
        if norm:
            scale = 1.0 / math.sqrt(norm)
            starts, label_of, weight, urgent = self._starts, self._label_of, self._weight, self._urgent
            for value, row in found:
                x = value * scale
                urgent_score += x * urgent[row]
                for k in range(starts[row], starts[row + 1]):
                    scores[label_of[k]] += x * weight[k]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = exps.index(1.0)  # exp(top - top): the best label's
        return Guess(self.labels[best], exps[best] / sum(exps), 1.0 / (1.0 + math.exp(-urgent_score)))
