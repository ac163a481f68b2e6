"""How a neutral response is shown on Slack: messages, ephemeral replies, ``response_url``
answers, modals and the App Home view.

``SlackReplies`` makes the Web API calls (through ``TurnPipeline.send``, which retries
and counts them); the ``Answer`` classes below say, for one kind of Slack request, which
call each kind of response becomes (``bot.platform.Answer``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.pipeline import TurnPipeline
from bot.platform import ReplyFailed
from bot.slack import NAME
from bot.slack.payloads import WHERE_KEY, kept_for, text_blocks, where_of
from bot.slack.web import calling
from cards import slack as blockkit
from cards.model import Card
from handlers.turn import ConversationKind, FormErrors, Home, OpenForm, Reply, Turn, TurnKind, Where

_RESPOND_TIMEOUT = aiohttp.ClientTimeout(total=10)


class SlackReplies:
    """The Web API calls that show responses, and the renderings kept between turns."""

    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession, pipeline: TurnPipeline,
                 locale: Callable[[str, str], Awaitable[str | None]]) -> None:
        self.client = client
        self.session = session
        self.pipeline = pipeline
        self.locale = locale  # the user's locale by (team, user)
        self._rendered: dict[Hashable, tuple[Card, dict[str, Any]]] = {}
        self._acks: dict[Hashable, tuple[Card, str]] = {}

    # -- rendering --------------------------------------------------------------------
    def message(self, reply: Reply) -> dict[str, Any]:
        """The reply as a Slack message (a fresh dict each time: callers add keys).

        Handlers return the very same Card object for the same account, language and
        day, so its rendering is kept, keyed by identity (and holding the card alive).
        """
        if reply.card is None:
            return text_blocks(reply.text)
        card = reply.card
        return dict(kept_for(self._rendered, id(card), card, lambda: blockkit.render_message(card)))  # type: ignore[arg-type]

    def ack_body(self, reply: Reply) -> str:
        """A slash command's answer as the JSON body of the acknowledgement.

        Cards are the same object for the same account, language and day (see
        ``message``), so their JSON is kept too: a busy channel asking for its team
        costs one serialization a day, not one a request.
        """
        response_type = "ephemeral" if reply.private else "in_channel"
        if reply.card is None:
            return json.dumps({"response_type": response_type, **self.message(reply)})
        return kept_for(self._acks, (id(reply.card), reply.private), reply.card,
                        lambda: json.dumps({"response_type": response_type, **self.message(reply)}))

    # -- calls ------------------------------------------------------------------------
    async def post(self, channel: str, reply: Reply, *, ephemeral_user: str, thread_ts: str = "") -> None:
        message = self.message(reply)
        if thread_ts:
            message["thread_ts"] = thread_ts
        if reply.private and ephemeral_user and not channel.startswith("D"):
            await self.pipeline.send(lambda: calling("post", self.client.chat_postEphemeral(
                channel=channel, user=ephemeral_user, **message)))
        else:
            await self.pipeline.send(lambda: calling("post", self.client.chat_postMessage(channel=channel, **message)))

    async def respond(self, response_url: str, reply: Reply) -> None:
        """A button's answer through its ``response_url``: replacing the message, or a new one.
        Not tried again: the URL takes a few answers only, and a late one confuses."""
        payload = self.message(reply)
        if reply.replace and not reply.private:
            payload["replace_original"] = True
        else:
            payload["replace_original"] = False
            payload["response_type"] = "ephemeral" if reply.private else "in_channel"

        async def call() -> None:
            try:
                async with self.session.post(response_url, json=payload, timeout=_RESPOND_TIMEOUT) as resp:
                    if resp.status >= 400:
                        raise ReplyFailed("respond", f"response_url answered HTTP {resp.status}", permanent=True)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise ReplyFailed("respond", type(exc).__name__, permanent=True) from None

        await self.pipeline.send(call, "a button's answer")

    async def open_form(self, trigger_id: str, where: Where, form: OpenForm) -> None:
        """The form as a modal; where it was opened rides along in its metadata. Not tried
        again: the trigger is good for three seconds."""
        view = blockkit.render_modal(replace(form.form, data={**form.form.data, WHERE_KEY: where_of(where)}))

        async def call() -> None:
            try:
                await calling("views_open", self.client.views_open(trigger_id=trigger_id, view=view))
            except ReplyFailed as failed:
                failed.permanent = True
                raise

        await self.pipeline.send(call, "a form")

    async def publish_home(self, team: str, user: str) -> None:
        """The user's App Home, as a HOME turn answers it now."""
        turn = Turn(kind=TurnKind.HOME, where=Where(NAME, team, user, ConversationKind.DIRECT),
                    user_id=user, locale=await self.locale(team, user))
        outcome = await self.pipeline.run(turn)
        await self.pipeline.answer(outcome.response, HomeView(self, user))


class HomeView:
    """A HOME turn's answer: the cards as the App Home view; nothing else is shown there."""

    def __init__(self, replies: SlackReplies, user: str) -> None:
        self.replies = replies
        self.user = user

    async def home(self, home: Home) -> None:
        view = blockkit.render_home(list(home.cards))
        await self.replies.pipeline.send(
            lambda: calling("views_publish", self.replies.client.views_publish(user_id=self.user, view=view)), "a home view")

    async def reply(self, reply: Reply) -> None:
        return None

    async def open_form(self, form: OpenForm) -> None:
        return None

    async def form_errors(self, errors: FormErrors) -> None:
        return None


class AfterAck:
    """The answer to an event, button or shortcut, sent after Slack was acknowledged.

    A button's reply goes to its ``response_url`` (replacing the message if asked); one
    pressed on App Home goes to the user's Messages, since a view has no message to
    replace, and the view is published again (``refresh_home``)."""

    def __init__(self, replies: SlackReplies, turn: Turn, *, thread_ts: str = "", trigger_id: str = "",
                 response_url: str = "", on_home: bool = False) -> None:
        self.replies = replies
        self.turn = turn
        self.thread_ts = thread_ts
        self.trigger_id = trigger_id
        self.response_url = response_url
        self.on_home = on_home
        self.opened_form = False

    async def reply(self, reply: Reply) -> None:
        turn = self.turn
        if self.on_home:
            await self.replies.post(turn.user_id, reply, ephemeral_user="")
        elif self.response_url:
            await self.replies.respond(self.response_url, reply)
        else:
            await self.replies.post(turn.where.conversation, reply, ephemeral_user=turn.user_id, thread_ts=self.thread_ts)

    async def open_form(self, form: OpenForm) -> None:
        if self.trigger_id:  # an event has none: nothing can open a modal for it
            self.opened_form = True
            await self.replies.open_form(self.trigger_id, self.turn.where, form)

    async def form_errors(self, errors: FormErrors) -> None:
        return None

    async def home(self, home: Home) -> None:
        if not self.on_home:
            await self.replies.publish_home(self.turn.where.tenant, self.turn.user_id)

    async def refresh_home(self) -> None:
        """After a press on App Home: the view again, as it is now (unless a form opened)."""
        if self.on_home and not self.opened_form:
            await self.replies.publish_home(self.turn.where.tenant, self.turn.user_id)


class CommandAck:
    """A slash command's answer: a reply is the acknowledgement's body itself; a form
    opens after the acknowledgement (a tracked background task)."""

    def __init__(self, replies: SlackReplies, turn: Turn, trigger_id: str) -> None:
        self.replies = replies
        self.turn = turn
        self.trigger_id = trigger_id
        self.response = BoltResponse(status=200, body="")

    async def reply(self, reply: Reply) -> None:
        # Serialized once per card (see ``SlackReplies.ack_body``), not per command.
        self.response = BoltResponse(status=200, body=self.replies.ack_body(reply))

    async def open_form(self, form: OpenForm) -> None:
        await self.replies.pipeline.later(self.replies.open_form(self.trigger_id, self.turn.where, form))

    async def form_errors(self, errors: FormErrors) -> None:
        return None

    async def home(self, home: Home) -> None:
        return None


class SubmitAck:
    """A submitted modal's answer: errors keep it open (in the acknowledgement); a reply
    is posted where the form was opened, after the acknowledgement."""

    def __init__(self, replies: SlackReplies, turn: Turn) -> None:
        self.replies = replies
        self.turn = turn
        self.errors: dict[str, str] | None = None
        self.after: Reply | None = None

    async def reply(self, reply: Reply) -> None:
        self.after = reply

    async def open_form(self, form: OpenForm) -> None:
        return None

    async def form_errors(self, errors: FormErrors) -> None:
        self.errors = dict(errors.errors)

    async def home(self, home: Home) -> None:
        return None


__all__ = ["AfterAck", "CommandAck", "HomeView", "SlackReplies", "SubmitAck"]
