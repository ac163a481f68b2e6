"""The answer to an ``adaptiveCard/action`` invoke, in the shape ``CloudAdapter`` sends.

Why it goes around the SDK here: the SDK's ``AdaptiveCardInvokeResponse`` types ``value``
as a JSON object, so it cannot carry the plain string of a message response; and a turn
that failed before answering its invoke must still answer it, which only the SDK's
private ``TurnContext._INVOKE_RESPONSE_KEY`` tells (``invoke_answered``).
tests/bot/test_teams_sdk.py fails if either changes under us.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from msrest.serialization import Model

from cards import teams as adaptive

MESSAGE_RESPONSE_TYPE = "application/vnd.microsoft.activity.message"
CARD_ACTION_INVOKE = "adaptiveCard/action"


class InvokeAnswer(Model):
    """The body of an ``adaptiveCard/action`` invoke response.

    The SDK's ``AdaptiveCardInvokeResponse`` types ``value`` as a JSON object, so it cannot
    carry the plain string of a message response; ``CloudAdapter.process`` serialises an
    invoke body with msrest, so the body must be a Model.
    """

    _attribute_map = {  # noqa: RUF012 - msrest reads this class attribute as it is
        "status_code": {"key": "statusCode", "type": "int"},
        "type": {"key": "type", "type": "str"},
        "value": {"key": "value", "type": "object"},
    }

    def __init__(self, *, status_code: int = 200, type: str = "", value: Any = None, **kwargs: Any) -> None:  # noqa: A002 - the wire name
        super().__init__(**kwargs)
        self.status_code = status_code
        self.type = type
        self.value = value


def card_response(card: dict[str, Any]) -> InvokeResponse:
    return InvokeResponse(status=200, body=InvokeAnswer(status_code=200, type=adaptive.CONTENT_TYPE, value=card))


def keep_card_response() -> InvokeResponse:
    """Processed, no new card: the card on screen stays as it is (Universal Actions'
    response format: only ``application/vnd.microsoft.card.adaptive`` replaces it)."""
    return message_response("")


def message_response(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body=InvokeAnswer(status_code=200, type=MESSAGE_RESPONSE_TYPE, value=text))


def bad_invoke(message: str) -> InvokeResponse:
    error = {"code": "BadRequest", "message": message}
    return InvokeResponse(status=400, body=InvokeAnswer(status_code=400, type="application/vnd.microsoft.error", value=error))


def invoke_answered(turn_context: TurnContext) -> bool:
    """Whether the turn already set its invoke response (the SDK keeps it in turn state
    under a private key; ``CloudAdapter.process`` answers 501 without one)."""
    return bool(turn_context.turn_state.get(TurnContext._INVOKE_RESPONSE_KEY))


__all__ = ["CARD_ACTION_INVOKE", "InvokeAnswer", "bad_invoke", "card_response", "invoke_answered", "keep_card_response",
           "message_response"]
