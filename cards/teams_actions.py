"""What a Teams card sends back: the ``adaptiveCard/action`` invoke of an ``Action.Execute``
press, and the message of its ``Action.Submit`` fallback, both read into ``(verb, data)``
with every value a string (the card itself: ``cards.teams``)."""

from __future__ import annotations

import json

__all__ = ("parse_invoke_value", "parse_submit_value")


def _as_str(value: object, where: str) -> str:
    """An input value as text: inputs send strings, but a hand-made or older client
    payload may carry numbers or booleans, which have one obvious text form."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    raise ValueError(f"{where} must be a string, number or boolean, got {type(value).__name__}")


def _str_data(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object, got {type(raw).__name__}")
    return {str(k): _as_str(v, f"{where}[{k!r}]") for k, v in raw.items()}


def parse_invoke_value(value: object) -> tuple[str, dict[str, str]]:
    """``(verb, data)`` from the ``value`` of an ``adaptiveCard/action`` invoke.

    ``data`` is the button's data, or for a form ``form.data`` with the input values
    merged in by Teams; every value comes back as a string. Anything not shaped like
    an Action.Execute invoke raises ValueError.
    """
    if not isinstance(value, dict):
        raise ValueError(f"invoke value must be an object, got {type(value).__name__}")
    action = value.get("action")
    if not isinstance(action, dict):
        raise ValueError("invoke value has no 'action' object")
    kind = action.get("type")
    if kind != "Action.Execute":
        raise ValueError(f"invoke action type must be 'Action.Execute', got {kind!r}")
    verb = action.get("verb")
    if not isinstance(verb, str) or not verb:
        raise ValueError("invoke action has no verb")
    return verb, _str_data(action.get("data"), "invoke action data")


def parse_submit_value(value: object) -> tuple[str, dict[str, str]]:
    """``(verb, data)`` from the ``value`` of a message sent by the Action.Submit
    fallback: our data sits under ``data``, input values beside it, merged here the
    way Teams merges them for Action.Execute so handlers see one shape."""
    if not isinstance(value, dict):
        raise ValueError(f"submit value must be an object, got {type(value).__name__}")
    verb = value.get("verb")
    if not isinstance(verb, str) or not verb:
        raise ValueError("submit value has no verb")
    data = _str_data(value.get("data"), "submit data")
    for k, v in value.items():
        if k not in ("verb", "data"):
            data[str(k)] = _as_str(v, f"submit value[{k!r}]")
    return verb, data
