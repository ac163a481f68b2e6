"""Train the wording model (``handlers/wording_model.py``) and write ``config/routing_model.json``.

    ./dev train            # after changing a labelled set that is tuned on

It learns from the sets that are tuned on (``questions.yaml`` and the two tuning sets),
never from an independent set, whose figure would then mean nothing. scikit-learn (a
development dependency) fits the weights; the bot only reads them. Weights too small to
change an answer are dropped so the file stays small; the file records the sets it was
trained on, and a test fails when they change without training again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.config import load_catalog
from handlers.wording_model import FEATURES, NOTHING, features
from tests.handlers import routing_accuracy as ra

MODEL = ra.ROOT / "config" / "routing_model.json"
SETS = (ra.OWN, ra.TUNING, ra.TUNING2)
C = 20.0
"""Inverse regularisation, chosen once among 10, 20 and 50 (it barely mattered)."""
MIN_DF = 2
PRUNE = 0.05
"""Weights smaller than this are dropped: a third of the file, no answer changed."""


def label(item: ra.Item) -> str:
    if item.fact:
        return "fact:" + item.fact
    if item.owners:
        return item.owners[0]
    if item.urgent:
        return "service_desk"  # an urgent message with no topic is phoned in to the desk
    return NOTHING


def training_items() -> list[ra.Item]:
    catalog = load_catalog(ra.ROOT / "config")
    items = ra.own_items(ra.load(ra.OWN), catalog)
    for path in SETS[1:]:
        items += ra.independent_items(ra.load(path))
    return items


def fingerprints() -> dict[str, str]:
    """The sets trained on, by file name and content hash."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in SETS}


def train() -> dict[str, object]:
    items = training_items()
    texts = [item.q for item in items]
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF)
    x = vectorizer.fit_transform(texts)
    owner = LogisticRegression(C=C, max_iter=5000).fit(x, [label(item) for item in items])
    urgent = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, [item.urgent for item in items])
    features_list, idf, urgent_weights, starts, label_of, weight = [], [], [], [0], [], []
    for feature, column in sorted(vectorizer.vocabulary_.items()):
        features_list.append(feature)
        idf.append(round(float(vectorizer.idf_[column]), 4))
        urgent_weights.append(round(float(urgent.coef_[0, column]), 3))
        for i, w in enumerate(owner.coef_[:, column]):
            if abs(w) >= PRUNE:
                label_of.append(i)
                weight.append(round(float(w), 3))
        starts.append(len(weight))
    return {
        "features": FEATURES,
        "trained_on": fingerprints(),
        "labels": [str(c) for c in owner.classes_],
        "intercepts": [round(float(b), 4) for b in owner.intercept_],
        "urgent_intercept": round(float(urgent.intercept_[0]), 4),
        "features_list": features_list,
        "idf": idf,
        "urgent": urgent_weights,
        "starts": starts,
        "label_of": label_of,
        "weight": weight,
    }


def write(model: dict[str, object], path: Path) -> None:
    """One field per line: the columns are long, and a retrained model then diffs by field."""
    lines = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in model.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    model = train()
    write(model, args.out)
    print(f"wrote {args.out}: {len(model['labels'])} labels, {len(model['features_list'])} features")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
