"""``fold``: the ASCII shortcut gives exactly what the Unicode path gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.i18n import _fold_unicode, fold


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_shortcut_matches_the_unicode_path(text: str) -> None:
    assert fold(text) == _fold_unicode(text)


def test_accents_case_and_punctuation() -> None:
    assert fold("Qui contacte pour l'ÉQUIPE ?") == "qui contacte pour l equipe"
    assert fold("  Who handles   INVOICES?!") == "who handles invoices"
    assert fold("ESC-000123 @ops #1 v1.2 c++") == "esc-000123 @ops #1 v1.2 c++"
