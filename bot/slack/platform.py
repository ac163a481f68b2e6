"""The Slack platform: Slack payloads in, neutral turns through the pipeline, Block Kit out.

Mounted in our own aiohttp app: the request becomes an ``AsyncBoltRequest`` and bolt's
answer an aiohttp response (bolt's converter for the rare answer with cookies); bolt
answers url_verification, authorizes and parses payloads (see ``bot.slack.bolt``). Bolt
runs with ``process_before_response=True``: its default runner polls for the ack every
10 ms, which would put a fixed wait on every reply. Instead a slash command is answered
in the HTTP response itself, and everything that has to call Slack's Web API (posting to
a channel, opening a modal) runs as a tracked background task after the ack, so Slack's
3-second limit is always met. How each response is shown: ``bot.slack.answers``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.pipeline import TurnPipeline
from bot.platform import HttpRoute, Runtime
from bot.settings import Settings
from bot.slack import NAME
from bot.slack.answers import AfterAck, CommandAck, SlackReplies, SubmitAck
from bot.slack.bolt import BotIdentity, RateLimitedNotice, SlashCommand, to_aiohttp
from bot.slack.locales import LocaleCache
from bot.slack.payloads import (
    IGNORED_EVENTS,
    OUR_CALLBACK,
    USER_TEXT_SUBTYPES,
    WHERE_KEY,
    action_where,
    conversation_kind,
    first_input_block,
    request_header,
    strip_mentions,
    text_blocks,
    user_team,
    where_from,
)
from bot.slack.web import CALL_ERRORS, BoundedWebClient, SlackNotifier
from cards import slack as blockkit
from handlers.i18n import guess_language
from handlers.ports import Notifier
from handlers.turn import Turn, TurnKind, Where

log = logging.getLogger(__name__)


class SlackPlatform:
    """Receives ``POST /slack/events`` (``bot.platform.Platform``)."""

    name = NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = SignatureVerifier(settings.slack_signing_secret)

    def routes(self) -> tuple[HttpRoute, ...]:
        return (HttpRoute("POST", "/slack/events", self.handle),)

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    async def start(self, runtime: Runtime) -> None:
        settings = self.settings
        self.pipeline: TurnPipeline = runtime.pipeline
        self.metrics = runtime.metrics
        self.client = BoundedWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            session=runtime.session,
            timeout=settings.slack_api_timeout,  # type: ignore[arg-type]  # seconds, any float
        )
        self._notifier = SlackNotifier(self.client)
        self.locales = LocaleCache(self.client, runtime.store, budget=settings.lookup_budget_seconds)
        self.replies = SlackReplies(self.client, runtime.session, self.pipeline, self._locale)
        self.identity = BotIdentity(self.client, settings)
        self.app = self._bolt_app()

    def _bolt_app(self) -> AsyncApp:
        app = AsyncApp(
            # Named, or bolt works the name out with inspect.stack(): 90 ms of start-up.
            name="onboarding-bot",
            client=self.client,
            signing_secret=self.settings.slack_signing_secret,
            authorize=self.identity,
            process_before_response=True,
            # ``handle`` verifies every request before bolt sees it (see ``_signed``).
            request_verification_enabled=False,
            logger=logging.getLogger("slack_bolt"),
            # Middleware for features this app does not use (workflow functions, the
            # assistant's thread context): each costs a pass over every request.
            attaching_function_token_enabled=False,
            attaching_conversation_kwargs_enabled=False,
            ignoring_self_assistant_message_events_enabled=False,
        )
        # The slash command is answered by a class-based middleware, after bolt's own
        # middleware authorized the request (see ``SlashCommand``); everything else goes
        # to listeners.
        app.use(SlashCommand(self.settings.slack_command, self._answer_command))
        app.use(RateLimitedNotice())
        app.event("app_mention")(self._guarded("event", self._on_mention))
        app.event("message")(self._guarded("event", self._on_message))
        app.event("app_home_opened")(self._guarded("event", self._on_home))
        for ignored in IGNORED_EVENTS:
            app.event(ignored)(self._on_ignored_event)
        app.action(re.compile(".*"))(self._guarded("block_actions", self._on_action))
        app.view_submission(OUR_CALLBACK)(self._guarded("view_submission", self._on_view_submission))
        app.view_closed(OUR_CALLBACK)(self._guarded("view_closed", self._on_view_closed))
        app.shortcut("escalate_message")(self._guarded("shortcut", self._on_shortcut))
        return app

    async def close(self) -> None:
        """Stop calls still waiting on Slack (shutdown)."""
        await self.identity.close()
        await self.locales.close()

    # -- HTTP ---------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = raw.decode("utf-8", errors="replace")  # a bad byte fails the signature, not us
        headers = dict(request.headers)
        if not self._signed(body, headers):
            # Checked here, before bolt sees the request: bolt's own check logs the whole
            # body of every request it refuses, and a stranger's body is not ours to log.
            self.metrics.rejected.labels(NAME, "signature").inc()
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)  # type: ignore[arg-type]  # bolt reads it only
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
            self.metrics.rejected.labels(NAME, "malformed").inc()
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await self.app.async_dispatch(bolt_request)
        if bolt_response.status == 401:
            self.metrics.rejected.labels(NAME, "signature").inc()
        elif bolt_response.status >= 500:
            # Bolt's own parsing or matching broke on the payload (this app's listeners
            # never raise, see ``_guarded``): behind a valid signature that is a
            # malformed payload, and Slack must not retry it.
            self.metrics.rejected.labels(NAME, "malformed").inc()
            return web.json_response({"error": "malformed request"}, status=400)
        elif bolt_response.status == 404:
            # Bolt's answer to something no listener wants; Slack needs a 200 or it retries.
            return web.Response(status=200, text="")
        if "set-cookie" in bolt_response.headers:
            return await to_aiohttp_response(bolt_response)
        return to_aiohttp(bolt_response)

    def _signed(self, body: str, headers: dict[str, str]) -> bool:
        """Slack's signature and a timestamp within five minutes; a timestamp that is
        not a number is simply unsigned (the SDK would raise on it)."""
        timestamp = request_header(headers, "x-slack-request-timestamp")
        signature = request_header(headers, "x-slack-signature")
        if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
            return False
        try:
            return self.verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError, OverflowError):
            return False

    def _guarded(self, where: str, listener: Callable[[AsyncArgs], Awaitable[None]]) -> Callable[[AsyncArgs], Awaitable[None]]:
        """``listener`` for bolt, with its exceptions counted and acknowledged (bolt would
        answer 500, which ``handle`` cannot tell from a payload bolt could not read). A
        submitted form stays open with a polite word under its first input; a button or
        an event gets the empty acknowledgement (it cannot show a text)."""

        async def guarded(args: AsyncArgs) -> None:
            try:
                await listener(args)
            except Exception as exc:  # noqa: BLE001 - counted and logged, never a 500
                self.pipeline.bug(where, exc)
                if args.ack.response is None:
                    block = first_input_block(args.body) if where == "view_submission" else None
                    if block:
                        # The form stays open, with what was typed and a polite word.
                        await args.ack(response_action="errors", errors={block: self._sorry(args.body)})
                    else:
                        await args.ack()

        return guarded

    def _sorry(self, body: Any) -> str:
        """``error.internal`` in the language the text suggests, else English."""
        text = str(body.get("text", "")) if isinstance(body, dict) else ""
        return self.pipeline.sorry(guess_language(text))

    async def _locale(self, team: str, user: str) -> str | None:
        if not user:
            return None
        return await self.locales.get(team, user)

    # -- requests -----------------------------------------------------------------
    async def _answer_command(self, body: dict[str, Any]) -> BoltResponse:
        """``_on_command``, answering a bug with a polite message (the answer is the message)."""
        try:
            return await self._on_command(body)
        except Exception as exc:  # noqa: BLE001 - counted and logged, never a 500
            self.pipeline.bug("command", exc)
            text = self._sorry(body)
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", **text_blocks(text)}),
                                headers={"content-type": "application/json"})

    async def _on_command(self, body: dict[str, Any]) -> BoltResponse:
        """``/equinix ...``: the answer is the HTTP response itself (Slack shows it in the
        channel or to the user alone); a form opens after the acknowledgement."""
        channel = str(body.get("channel_id", ""))
        team = str(body.get("team_id", ""))
        user = str(body.get("user_id", ""))
        turn = Turn(
            kind=TurnKind.COMMAND,
            where=Where(NAME, team, channel, conversation_kind(channel, body.get("channel_name"))),
            user_id=user,
            user_name=str(body.get("user_name", "")),
            locale=await self._locale(team, user),
            text=str(body.get("text", "")),
        )
        outcome = await self.pipeline.run(turn)
        ack = CommandAck(self.replies, turn, str(body.get("trigger_id", "")))
        await self.pipeline.answer(outcome.response, ack)
        return ack.response

    async def _on_mention(self, args: AsyncArgs) -> None:
        await self._on_text_event(args, TurnKind.MENTION)

    async def _on_message(self, args: AsyncArgs) -> None:
        event = args.event or {}
        if event.get("channel_type") != "im" or str(event.get("subtype") or "") not in USER_TEXT_SUBTYPES:
            return  # channel chatter, edits, deletions and bot messages are not for us
        own = self.identity.bot_user_id
        if event.get("bot_id") or not event.get("user") or (own and event.get("user") == own):
            return
        await self._on_text_event(args, TurnKind.MESSAGE)

    async def _on_text_event(self, args: AsyncArgs, kind: TurnKind) -> None:
        body = args.body
        event = args.event or {}
        # Slack re-sends an event it thinks we missed; act on each event id once.
        if not await self.pipeline.first("event", str(body.get("event_id", ""))):
            return
        channel = str(event.get("channel", ""))
        team = str(body.get("team_id") or event.get("team") or "")
        user = str(event.get("user", ""))
        text = strip_mentions(str(event.get("text", "")))
        where = Where(NAME, team, channel, conversation_kind(channel, event.get("channel_type")))
        thread = str(event.get("thread_ts") or "")

        async def work() -> None:
            turn = Turn(kind=kind, where=where, user_id=user, locale=await self._locale(team, user), text=text)
            outcome = await self.pipeline.run(turn)
            await self.pipeline.answer(outcome.response, AfterAck(self.replies, turn, thread_ts=thread))

        await self.pipeline.later(work())

    async def _on_home(self, args: AsyncArgs) -> None:
        event = args.event or {}
        if event.get("tab") not in (None, "home"):
            return
        await self.pipeline.later(self.replies.publish_home(str(args.body.get("team_id", "")), str(event.get("user", ""))))

    async def _on_ignored_event(self, args: AsyncArgs) -> None:
        return None

    async def _on_action(self, args: AsyncArgs) -> None:
        await args.ack()
        body = args.body
        actions = body.get("actions") or []
        if not actions:
            return
        first = actions[0] if isinstance(actions[0], dict) else {}
        if blockkit.is_link_action(first.get("action_id")):
            return  # a link button: Slack opened the URL, nothing to answer
        try:
            action, data = blockkit.parse_action(first.get("action_id"), first.get("value"))
        except ValueError:
            action, data = "", {}  # answered as a stale button
        team, user, channel, on_home = action_where(body)
        message_ts = str((body.get("container") or {}).get("message_ts", ""))

        async def work() -> None:
            turn = Turn(
                kind=TurnKind.ACTION,
                where=Where(NAME, team, channel or user, conversation_kind(channel or "D")),
                user_id=user,
                user_name=str((body.get("user") or {}).get("username", "")),
                locale=await self._locale(team, user),
                action=action,
                data=data,
                dedupe_key=f"slack:action:{team}:{channel}:{message_ts}:{first.get('action_ts', '')}",
            )
            outcome = await self.pipeline.run(turn)
            answer = AfterAck(self.replies, turn, trigger_id=str(body.get("trigger_id", "")),
                              response_url=str(body.get("response_url", "")), on_home=on_home)
            await self.pipeline.answer(outcome.response, answer)
            await answer.refresh_home()

        await self.pipeline.later(work())

    async def _on_view_submission(self, args: AsyncArgs) -> None:
        body = args.body
        view = body.get("view") or {}
        try:
            action, data, values = blockkit.parse_view_submission(view)
        except ValueError:
            await args.ack()
            return
        where_raw = data.pop(WHERE_KEY, "")
        team = user_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        turn = Turn(
            kind=TurnKind.SUBMIT,
            where=where_from(where_raw, team, user),
            user_id=user,
            user_name=str((body.get("user") or {}).get("username", "")),
            locale=await self._locale(team, user),
            action=action,
            data={**data, **values},
            dedupe_key=f"slack:view:{view.get('id', '')}:{view.get('hash', '')}",
        )
        outcome = await self.pipeline.run(turn)
        ack = SubmitAck(self.replies, turn)
        await self.pipeline.answer(outcome.response, ack)
        if ack.errors is not None:
            await args.ack(response_action="errors", errors=ack.errors)
            return
        await args.ack()
        if ack.after is not None:
            await self.pipeline.later(self.replies.post(turn.where.conversation, ack.after, ephemeral_user=user))

    async def _on_view_closed(self, args: AsyncArgs) -> None:
        await args.ack()

    async def _on_shortcut(self, args: AsyncArgs) -> None:
        await args.ack()
        body = args.body
        team = user_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}

        async def work() -> None:
            link = ""
            try:
                permalink = await self.client.chat_getPermalink(channel=channel, message_ts=str(message.get("ts", "")))
                link = str(permalink.get("permalink", ""))
            except CALL_ERRORS:
                log.info("chat.getPermalink failed; the form opens without a link")
            turn = Turn(
                kind=TurnKind.SHORTCUT,
                where=Where(NAME, team, channel, conversation_kind(channel)),
                user_id=user,
                locale=await self._locale(team, user),
                text=str(message.get("text", "")),
                link=link,
            )
            outcome = await self.pipeline.run(turn)
            await self.pipeline.answer(outcome.response, AfterAck(self.replies, turn, trigger_id=str(body.get("trigger_id", ""))))

        await self.pipeline.later(work())


__all__ = ["SlackPlatform"]
