"""Write every sample rendering to a folder, for cardcheck and screenshots.

    uv run --frozen python -m tests.cards.dump_samples /tmp/cards-out

Files: ``<name>.slack.json`` (message, modal or home view), ``<name>.teams.json``
(Adaptive Card content) and ``<name>.txt`` (text rendering). Then, from a cardcheck
checkout::

    node check_adaptive.js --host teams --strict /tmp/cards-out/*.teams.json
    .venv/bin/python check_blocks.py --strict /tmp/cards-out/*.slack.json
    node screenshot.js --out /tmp/cards-shots /tmp/cards-out/*.json
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

from cards import slack, teams, text
from tests.cards.samples import sample_cards, sample_forms, sample_homes


def renderings() -> dict[str, Any]:
    """Every sample rendering by file name: JSON-able dicts, or str for text files.

    The golden-file tests use the same mapping, so what cardcheck looked at is
    exactly what the tests pin. Rendered once per process (every golden test asks for
    the whole mapping); each caller gets its own copy to read or change.
    """
    return copy.deepcopy(_rendered())


@functools.cache
def _rendered() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, card in sample_cards().items():
        out[f"{name}.slack.json"] = slack.render_message(card)
        out[f"{name}.teams.json"] = teams.render_card(card)
        out[f"{name}.txt"] = text.render_text(card) + "\n"
    for name, form in sample_forms().items():
        out[f"{name}.slack.json"] = slack.render_modal(form)
        out[f"{name}.teams.json"] = teams.render_form(form)
        out[f"{name}.txt"] = text.render_form_text(form) + "\n"
    for name, cards in sample_homes().items():
        out[f"{name}.slack.json"] = slack.render_home(cards)
    return out


def serialise(value: Any) -> str:
    """The exact text written for a rendering (stable: indent 2, UTF-8, newline)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, value: Any) -> None:
    """``value`` serialised must equal ``golden/<name>`` exactly.

    With ``UPDATE_GOLDEN=1`` in the environment the file is (re)written instead, so
    an intended change is one command; review the diff before committing it.
    """
    path = GOLDEN_DIR / name
    actual = serialise(value)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run the tests with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), f"golden/{name}", "rendered")
        )
        raise AssertionError(f"{name} differs from its golden file (rerun with UPDATE_GOLDEN=1 if intended):\n{diff}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.cards.dump_samples OUTDIR", file=sys.stderr)
        return 2
    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    for name, value in renderings().items():
        (outdir / name).write_text(serialise(value), encoding="utf-8")
    print(f"wrote {len(renderings())} files to {outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
