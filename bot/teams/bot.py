"""Teams activities as neutral turns through the pipeline, and each response the Teams way.

Message-like activities are answered after the HTTP response (tracked background tasks);
card actions are answered in the invoke response itself, as Teams requires. Nothing
here raises: a failure is logged, counted and answered as well as possible.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, DeliveryModes

from bot.pipeline import TurnPipeline
from bot.teams.activity import (
    addressable,
    bot_mentions,
    conversation_id,
    is_mentioned,
    locale_of,
    reference_of,
    strip_mentions,
    user_of,
    where_of,
)
from bot.teams.invoke import (
    CARD_ACTION_INVOKE,
    bad_invoke,
    card_response,
    invoke_answered,
    keep_card_response,
    message_response,
)
from bot.teams.messages import card_activity, form_activity, reply_activity
from bot.teams.sending import send_activity
from bot.teams.state import ConversationReferences, FormMemory
from bot.teams.tokens import ConnectorError
from cards import teams as adaptive
from cards.model import filled
from cards.teams_actions import parse_invoke_value, parse_submit_value
from cards.text import plain
from handlers.i18n import locale_language
from handlers.turn import ConversationKind, FormErrors, Home, OpenForm, Reply, Turn, TurnKind

DEDUPE_TTL = 3600.0
WELCOME_TTL = 600.0


class TeamsBot(ActivityHandler):
    """The SDK's ``ActivityHandler``: which activity is which turn."""

    def __init__(self, pipeline: TurnPipeline, references: ConversationReferences, forms: FormMemory) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.references = references
        self.forms = forms

    # -- entry -------------------------------------------------------------------
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self.references.remember(reference_of(activity))
        try:
            await super().on_turn(turn_context)
        except Exception as exc:  # noqa: BLE001 - a bug must not become a 500 (Teams would retry)
            self.pipeline.bug("turn", exc)
            if activity.type == ActivityTypes.invoke and not invoke_answered(turn_context):
                sorry = plain(self.pipeline.sorry(locale_language(locale_of(activity))))
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=message_response(sorry)))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value:
            await self._on_submit_message(turn_context)
            return
        turn = self._text_turn(activity)
        if turn is None:
            return
        if not await self.pipeline.first("activity", f"{turn.where.conversation}:{activity.id}" if activity.id else "", DEDUPE_TTL):
            return
        outcome = await self.pipeline.run(turn)
        await self.later(turn_context, self.pipeline.answer(outcome.response, LaterAnswer(self, turn_context, turn)))

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if bot_id and any(member.id == bot_id for member in members_added):
            await self._welcome(turn_context)

    async def on_members_removed_activity(self, members_removed: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if bot_id and any(member.id == bot_id for member in members_removed):
            await self.references.forget(conversation_id(turn_context.activity))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self.references.forget(conversation_id(turn_context.activity))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == CARD_ACTION_INVOKE:
            return await self._on_card_action(turn_context)
        return InvokeResponse(status=200)  # invokes we do not use (task modules, search...)

    # -- turns -------------------------------------------------------------------
    def _text_turn(self, activity: Activity) -> Turn | None:
        if not addressable(activity):
            return None
        where = where_of(activity)
        mentions = bot_mentions(activity)
        if where.kind is ConversationKind.DIRECT:
            kind = TurnKind.MESSAGE
        elif is_mentioned(activity, mentions):
            kind = TurnKind.MENTION
        else:
            return None  # channel chatter the bot was not asked about
        user_id, user_name = user_of(activity)
        text = strip_mentions(str(activity.text or ""), mentions)
        return Turn(kind=kind, where=where, user_id=user_id, user_name=user_name, locale=locale_of(activity), text=text)

    def _action_turn(self, activity: Activity, verb: str, data: Mapping[str, str], dedupe: str) -> Turn:
        user_id, user_name = user_of(activity)
        return Turn(
            kind=self.pipeline.action_kind(verb),
            where=where_of(activity),
            user_id=user_id,
            user_name=user_name,
            locale=locale_of(activity),
            action=verb,
            data=dict(data),
            dedupe_key=dedupe,
        )

    async def _on_card_action(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        try:
            verb, data = parse_invoke_value(activity.value)
        except ValueError as exc:
            return bad_invoke(str(exc))
        if activity.value.get("trigger") == "automatic":
            # Teams refreshing a card as it is shown. None of this bot's cards asks for a
            # refresh, so the card is an old one or not ours: running its verb would act
            # without anyone pressing anything. Success without a card keeps the card as
            # it is (only a card response replaces it), and the empty message shows nothing.
            return keep_card_response()
        turn = self._action_turn(activity, verb, data, f"teams:invoke:{activity.id or ''}")
        outcome = await self.pipeline.run(turn)
        answer = InvokeAnswer(self, turn_context, turn)
        await self.pipeline.answer(outcome.response, answer)
        return answer.response

    async def _on_submit_message(self, turn_context: TurnContext) -> None:
        """A message carrying a card's ``Action.Submit`` data (clients without Universal
        Actions): the same turn as the invoke, answered with messages and updates."""
        activity = turn_context.activity
        try:
            verb, data = parse_submit_value(activity.value)
        except ValueError:
            return  # not one of our cards
        turn = self._action_turn(activity, verb, data, f"teams:submit:{activity.id or ''}")
        outcome = await self.pipeline.run(turn)
        answer = LaterAnswer(self, turn_context, turn, replace_id=str(activity.reply_to_id or ""))
        await self.later(turn_context, self.pipeline.answer(outcome.response, answer))

    async def _welcome(self, turn_context: TurnContext) -> None:
        """The welcome card, once per conversation even though Teams announces an install
        twice (conversationUpdate and installationUpdate)."""
        activity = turn_context.activity
        if not addressable(activity):
            return
        where = where_of(activity)
        if not await self.pipeline.first("welcome", f"{where.tenant}:{where.conversation}", WELCOME_TTL):
            return
        user_id, user_name = user_of(activity)
        if self.pipeline.answers(TurnKind.INSTALL):
            turn = Turn(kind=TurnKind.INSTALL, where=where, user_id=user_id, user_name=user_name, locale=locale_of(activity))
        else:
            turn = Turn(kind=TurnKind.MESSAGE, where=where, user_id=user_id, user_name=user_name, locale=locale_of(activity), text="help")
        outcome = await self.pipeline.run(turn)
        await self.later(turn_context, self.pipeline.answer(outcome.response, LaterAnswer(self, turn_context, turn, thread=False)))

    # -- delivery ----------------------------------------------------------------
    async def later(self, turn_context: TurnContext, work: Coroutine[Any, Any, None]) -> None:
        """Outbound calls run after the HTTP answer (tracked, drained at shutdown), except
        when the caller asked for the replies in the response (``expectReplies``: the SDK
        buffers them and returns them in the body, so they must exist before it answers)."""
        if turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
            await work
            return
        await self.pipeline.later(work)

    async def send(self, turn_context: TurnContext, activity: Activity | None, *, thread: bool = True) -> None:
        """Through the SDK's ``TurnContext`` (which addresses the reply), tried again by the
        pipeline when the connector fails; ``thread=False`` posts at the top of the
        conversation instead of replying to the incoming activity."""
        if activity is None:
            return

        async def call() -> None:
            try:
                await send_activity(turn_context, activity, thread=thread)
            except ConnectorError as exc:
                raise exc.reply_failed("post") from None

        await self.pipeline.send(call)

    async def update(self, turn_context: TurnContext, activity: Activity) -> None:
        async def call() -> None:
            try:
                await turn_context.update_activity(activity)
            except ConnectorError as exc:
                raise exc.reply_failed("update") from None

        await self.pipeline.send(call, "a card update")


class LaterAnswer:
    """A message-like activity's answer, sent after the HTTP response: messages, forms as
    cards, and (``replace_id``: a card's submit without Universal Actions) the pressed
    card updated in place."""

    def __init__(self, bot: TeamsBot, turn_context: TurnContext, turn: Turn, *, thread: bool = True,
                 replace_id: str = "") -> None:
        self.bot = bot
        self.turn_context = turn_context
        self.turn = turn
        self.thread = thread
        self.replace_id = replace_id

    async def reply(self, reply: Reply) -> None:
        if reply.replace and reply.card is not None and self.replace_id:
            update = card_activity(reply.card)
            update.id = self.replace_id
            await self.bot.update(self.turn_context, update)
            return
        await self.bot.send(self.turn_context, reply_activity(reply), thread=self.thread)

    async def open_form(self, form: OpenForm) -> None:
        await self.bot.forms.remember(self.turn.where, self.turn.user_id, form.form)
        await self.bot.send(self.turn_context, form_activity(form.form), thread=self.thread)

    async def form_errors(self, errors: FormErrors) -> None:
        form = await self.bot.forms.recall(self.turn.where, self.turn.user_id)
        if form is not None:
            await self.bot.send(self.turn_context, form_activity(filled(form, self.turn.data), dict(errors.errors)))
        else:
            await self.bot.send(self.turn_context, reply_activity(Reply(text="\n".join(errors.errors.values()))))

    async def home(self, home: Home) -> None:
        return None


class InvokeAnswer:
    """A card action's answer, in the invoke response: a card replaces the pressed one in
    place, a message is shown to the presser; anything for the whole conversation is
    also posted. Nothing to say keeps the card as it is."""

    def __init__(self, bot: TeamsBot, turn_context: TurnContext, turn: Turn) -> None:
        self.bot = bot
        self.turn_context = turn_context
        self.turn = turn
        self.response = message_response("")

    async def reply(self, reply: Reply) -> None:
        submitted = self.turn.kind is TurnKind.SUBMIT
        if reply.card is not None and (reply.replace or submitted):
            self.response = card_response(adaptive.render_card(reply.card))
            return
        if reply.card is None and submitted:
            self.response = card_response(adaptive.text_card(reply.text))
            return
        if reply.card is not None or not reply.private:
            await self.bot.later(self.turn_context, self.bot.send(self.turn_context, reply_activity(reply)))
        summary = (reply.card.fallback or reply.card.title) if reply.card is not None else reply.text
        self.response = message_response(" ".join(plain(summary).split()))

    async def open_form(self, form: OpenForm) -> None:
        await self.bot.forms.remember(self.turn.where, self.turn.user_id, form.form)
        self.response = card_response(adaptive.render_form(form.form))

    async def form_errors(self, errors: FormErrors) -> None:
        form = await self.bot.forms.recall(self.turn.where, self.turn.user_id)
        if form is None:
            self.response = message_response(" ".join(plain(m) for m in errors.errors.values()))
            return
        self.response = card_response(adaptive.render_form(filled(form, self.turn.data), errors.errors))

    async def home(self, home: Home) -> None:
        return None


__all__ = ["InvokeAnswer", "LaterAnswer", "TeamsBot"]
