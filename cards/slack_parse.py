"""Parsing what Slack sends back: button values and modal submissions.

The inverse of the ids ``cards.slack`` writes (see its docstring); split from it because
the adapter needs only these functions, and they must refuse anything malformed without
raising anything but ``ValueError``.
"""

from __future__ import annotations

import json
import re
from typing import Any

ACTION_PREFIX = "ob:"
LINK_PREFIX = "ob-link:"
_INDEX = re.compile(r"\d+(?:-\d+)?")

def _loads_object(raw: object, what: str) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise ValueError(f"{what} must be a JSON string, got {type(raw).__name__}")
    try:
        obj = json.loads(raw)
    except ValueError as e:  # JSONDecodeError, and RecursionError-free for our sizes
        raise ValueError(f"{what} is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(obj).__name__}")
    return obj


def _checked_data(raw: object, what: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must be an object, got {type(raw).__name__}")
    for k, v in raw.items():
        if not isinstance(v, str):
            raise ValueError(f"{what}: value of {k!r} must be a string, got {type(v).__name__}")
    return dict(raw)


def is_link_action(action_id: object) -> bool:
    """True for a link button's click: acknowledge it, there is nothing to run."""
    return isinstance(action_id, str) and action_id.startswith(LINK_PREFIX)


def parse_action(action_id: object, value: object) -> tuple[str, dict[str, str]]:
    """``(action, data)`` from a ``block_actions`` button press we rendered.

    The value is authoritative; the action in the action_id must agree with it, which
    catches a value pasted from another button. Anything else raises ValueError.
    """
    if not isinstance(action_id, str) or not action_id.startswith(ACTION_PREFIX):
        raise ValueError(f"action_id {action_id!r} is not one of ours (expected 'ob:<action>:<index>')")
    action_in_id, sep, index = action_id[len(ACTION_PREFIX) :].rpartition(":")
    if not sep or not action_in_id or not _INDEX.fullmatch(index):
        raise ValueError(f"action_id {action_id!r} is malformed (expected 'ob:<action>:<index>')")
    payload = _loads_object(value, "button value")
    action = payload.get("a")
    if not isinstance(action, str) or not action:
        raise ValueError("button value has no action ('a')")
    if action != action_in_id:
        raise ValueError(f"button value action {action!r} does not match action_id {action_id!r}")
    return action, _checked_data(payload.get("d", {}), "button value data ('d')")


def _input_value(element: object, where: str) -> str:
    if not isinstance(element, dict):
        raise ValueError(f"{where} must be an object")
    kind = element.get("type")
    if kind == "plain_text_input":
        v = element.get("value")
        if v is None:
            return ""
        if not isinstance(v, str):
            raise ValueError(f"{where}: value must be a string")
        return v
    if kind == "static_select":
        opt = element.get("selected_option")
        if opt is None:
            return ""
        if not isinstance(opt, dict) or not isinstance(opt.get("value"), str):
            raise ValueError(f"{where}: selected_option must be an object with a string value")
        return opt["value"]
    raise ValueError(f"{where}: unsupported input type {kind!r}")


def parse_view_submission(view: object) -> tuple[str, dict[str, str], dict[str, str]]:
    """``(action, data, values)`` from the ``view`` of a ``view_submission``.

    ``values`` maps each input id to what the user entered ("" for an optional input
    left empty). Anything not shaped like a modal we rendered raises ValueError.
    """
    if not isinstance(view, dict):
        raise ValueError(f"view must be an object, got {type(view).__name__}")
    callback_id = view.get("callback_id")
    if not isinstance(callback_id, str) or not callback_id.startswith(ACTION_PREFIX) or len(callback_id) == len(ACTION_PREFIX):
        raise ValueError(f"callback_id {callback_id!r} is not one of ours (expected 'ob:<action>')")
    action = callback_id[len(ACTION_PREFIX) :]
    metadata = view.get("private_metadata")
    data = _checked_data(_loads_object(metadata, "private_metadata") if metadata else {}, "private_metadata")
    state = view.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("values"), dict):
        raise ValueError("view has no state.values")
    values: dict[str, str] = {}
    for block_id, actions in state["values"].items():
        if not isinstance(actions, dict):
            raise ValueError(f"state.values[{block_id!r}] must be an object")
        for action_id, element in actions.items():
            values[str(action_id)] = _input_value(element, f"state.values[{block_id!r}][{action_id!r}]")
    return action, data, values
