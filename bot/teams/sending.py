"""Sending a reply in a turn: what ``TurnContext.send_activity`` does, minus two things.

Why it goes around the SDK here: ``send_activity`` deep-copies every outgoing activity
(an Adaptive Card is a large dict: a measurable share of a reply's CPU) and runs the
turn's ``on_send_activities`` hooks, which this bot never registers. So a reply is
addressed with the SDK's own ``apply_conversation_reference`` and handed to the
adapter's ``send_activities``, as ``send_activity`` would after its copy and hooks.
When the caller asked for the replies in the HTTP response (``expectReplies``), the SDK's
``send_activity`` is used as it is, since only it buffers them.

What is skipped besides the copy: the SDK's validator sets ``inputHint`` and clears
``id``; neither matters to Teams for a reply this bot builds (no id, no input hint).
tests/bot/test_teams_sdk.py fails if ``TurnContext.send_activities`` starts doing more.
"""

from __future__ import annotations

import copy

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, DeliveryModes

from bot.teams.activity import conversation_id


async def send_activity(turn_context: TurnContext, activity: Activity, *, thread: bool = True) -> None:
    """Send ``activity`` as a reply to the turn's activity, or (``thread=False``) at the
    top of its conversation. Raises what the connector raises (``ConnectorError``)."""
    if thread and turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
        await turn_context.send_activity(activity)  # buffered into the HTTP response
        return
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    outgoing = TurnContext.apply_conversation_reference(activity, reference)
    if not thread:
        outgoing.reply_to_id = None
        outgoing.conversation = copy.copy(reference.conversation)  # not the incoming activity's object
        outgoing.conversation.id = conversation_id(turn_context.activity)
    await turn_context.adapter.send_activities(turn_context, [outgoing])


__all__ = ["send_activity"]
