"""``Turn.with_text`` copies every field but the text, whatever fields Turn grows."""

from __future__ import annotations

import dataclasses

from handlers.turn import ConversationKind, Turn, TurnKind, Where


def test_with_text_keeps_every_other_field() -> None:
    turn = Turn(
        kind=TurnKind.ACTION,
        where=Where("teams", "tenant", "19:abc", ConversationKind.GROUP),
        user_id="U1",
        user_name="Ada",
        locale="fr-FR",
        text="team please",
        action="gsd.show",
        data={"k": "v"},
        link="https://example.test/p1",
        dedupe_key="d1",
    )
    defaults = Turn(kind=TurnKind.COMMAND, where=Where("slack", "", ""), user_id="")
    differing = {f.name for f in dataclasses.fields(Turn) if getattr(turn, f.name) == getattr(defaults, f.name)}
    assert differing == set(), f"give {differing} a non-default value here so with_text is checked on them"
    assert turn.with_text("please") == dataclasses.replace(turn, text="please")
