"""The texts in config/locales: the same keys in both languages, and none left unused.

A key is "used" when its exact string appears in quotes in the code under handlers/ or
bot/, or when it starts with one of the few prefixes the code builds at run time
(``f"role.{role}"``, ``f"month.{n}"``). Keep that allow-list small: a literal key is
what lets this test find dead texts.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALES = ROOT / "config" / "locales"
CODE_DIRS = ("handlers", "bot")
DYNAMIC_PREFIXES = (
    "role.",  # team.contact_for: role.<role>, role.<role>.about
    "month.",  # Translator.date
    "error.rate_limited.",  # router: per scope
    "esc.state.",  # escalations: per state, event, category, urgency
    "esc.event.",
    "esc.update.",
    "esc.category.",
    "esc.urgency.",
    "command.",  # Context.cmd: the command word in the reply language
)


def _keys(lang: str) -> set[str]:
    data = yaml.safe_load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{lang}.yaml must be key: text pairs"
    return {str(key) for key in data}


def _source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8") for folder in CODE_DIRS for path in sorted((ROOT / folder).rglob("*.py"))
    )


def test_every_key_exists_in_both_languages():
    english, french = _keys("en"), _keys("fr")
    assert sorted(english - french) == [], "keys missing in fr.yaml"
    assert sorted(french - english) == [], "keys missing in en.yaml"


def test_every_key_is_used_by_the_code():
    source = _source()
    unused = [
        key
        for key in sorted(_keys("en") | _keys("fr"))
        if not key.startswith(DYNAMIC_PREFIXES) and not re.search(r"""["']""" + re.escape(key) + r"""["']""", source)
    ]
    assert unused == [], "texts defined but never used in handlers/ or bot/"


def test_dynamic_prefixes_are_still_built_by_the_code():
    source = _source()
    for prefix in DYNAMIC_PREFIXES:
        assert re.search(r"""f["']""" + re.escape(prefix) + r"\{", source), f"nothing builds {prefix!r} keys any more"
