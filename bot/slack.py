"""The Slack adapter: Slack payloads in, neutral turns to the handlers, Block Kit out.

Mounted in our own aiohttp app: the request becomes an ``AsyncBoltRequest`` and bolt's
answer an aiohttp response (bolt's converter for the rare answer with cookies); bolt
verifies the signature, answers url_verification and parses payloads. Bolt runs with ``process_before_response=True``: its default runner
polls for the ack every 10 ms, which would put a fixed wait on every reply. Instead a
slash command is answered in the HTTP response itself, and everything that has to call
Slack's Web API (posting to a channel, opening a modal) runs as a tracked background
task after the ack, so Slack's 3-second limit is always met.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import replace
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.kwargs_injection.async_args import AsyncArgs
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.background import Background
from bot.budget import within
from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack_web import BoundedWebClient
from cards import slack as blockkit
from cards.model import Card
from cards.text import readable
from handlers.i18n import Translator, guess_language
from handlers.ports import DeliveryError, Store, StoreUnavailable, Target
from handlers.router import Dispatcher, Outcome
from handlers.turn import (
    ConversationKind,
    FormErrors,
    Home,
    NoReply,
    OpenForm,
    Reply,
    Response,
    Turn,
    TurnKind,
    Where,
)

log = logging.getLogger(__name__)

PLATFORM = "slack"
"""This platform's name: in turns, store keys, and the keys of ``config/`` (links, member ids, targets)."""

_OUR_CALLBACK = re.compile(r"^ob:")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_WHERE_KEY = "_where"  # carried through a modal's private_metadata: where the form was opened
_LOCALE_TTL = 24 * 3600.0
_LOCALE_MISS_TTL = 300.0
_PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found", "is_archived", "not_in_channel", "account_inactive", "invalid_auth",
        "token_revoked", "no_permission", "missing_scope", "user_not_found", "msg_too_long",
        "invalid_blocks", "message_not_found", "cant_update_message", "restricted_action",
    }
)


_USER_TEXT_SUBTYPES = frozenset({"", "file_share", "thread_broadcast"})
"""Message subtypes that carry what a person wrote (a file with a message, a thread reply
also sent to the conversation); edits, deletions and bot messages are not for us."""
_IGNORED_EVENTS = ("member_joined_channel", "app_uninstalled", "tokens_revoked")
"""Events Slack sends this app (``app_uninstalled`` and ``tokens_revoked`` go to every app
with events on) that need no answer: listened to, so bolt's "Unhandled request" warning
is left for what is really unexpected."""


def user_team(body: dict[str, Any]) -> str:
    """The workspace of the person behind an interactive payload, read the same way for
    every kind: ``team.id``, else (an org-wide install sends ``team: null``) the user's own
    ``team_id``, else the payload's ``team_id``. The user's language is kept under it."""
    team = body.get("team")
    user = body.get("user")
    found = (team.get("id") if isinstance(team, dict) else None) or (user.get("team_id") if isinstance(user, dict) else None)
    return str(found or body.get("team_id") or "")


def conversation_kind(channel: str, channel_type: str | None = None) -> ConversationKind:
    if channel_type == "im" or channel.startswith("D"):
        return ConversationKind.DIRECT
    if channel_type in ("mpim", "group") or channel.startswith("G"):
        return ConversationKind.GROUP
    return ConversationKind.CHANNEL


def _text_blocks(text: str) -> dict[str, Any]:
    """A plain reply (no card) as a message: sections of mrkdwn, and a notification text."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in blockkit.mrkdwn_chunks(text)]
    return {"text": readable(text)[:3000], "blocks": blocks[:50]}


_T = TypeVar("_T")


def _kept_for(cache: dict[Hashable, tuple[Card, _T]], key: Hashable, card: Card, build: Callable[[], _T]) -> _T:
    """``build()``'s result for ``card``, built once: ``key`` holds the card's identity,
    and the entry holds the card itself so the identity cannot be reused while kept."""
    kept = cache.get(key)
    if kept is None or kept[0] is not card:
        if len(cache) >= 1024:
            cache.clear()
        kept = cache[key] = (card, build())
    return kept[1]


def _to_aiohttp(response: BoltResponse) -> web.Response:
    """Bolt's answer as an aiohttp response, for answers without cookies (all of this
    app's: it has no OAuth flow). Bolt's own converter parses every answer for cookies
    and rewrites its content type with a regex: a twentieth of a command's CPU."""
    headers = response.headers
    content_type = headers["content-type"][0].partition(";")[0] if "content-type" in headers else "text/plain"
    others = {name: values[0] for name, values in headers.items() if name != "content-type"}
    return web.Response(status=response.status, text=response.body, content_type=content_type, headers=others or None)


class _SlashCommand(AsyncMiddleware):
    """Answers this app's slash command from inside bolt's middleware chain.

    It runs after bolt's built-in middleware (signature verification, authorization), so
    it only ever sees verified, authorized requests, and its answer is what bolt returns.
    A listener would do the same work behind bolt's listener machinery, which builds
    every argument any listener could ask for (all the payload views, ``say``,
    ``respond``, ...) once to match and once to call: measured in process, that was a
    third of what a ``/equinix team`` cost on top of bolt's own verification. A class
    middleware is called with fixed keywords and no argument building.
    """

    def __init__(self, command: str, answer: Callable[[dict[str, Any]], Awaitable[BoltResponse]]) -> None:
        self.command = command
        self.answer = answer

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:  # noqa: A002
        body = req.body
        if body.get("command") == self.command and "type" not in body:
            return await self.answer(body)
        return await next()


class _RateLimitedNotice(AsyncMiddleware):
    """``app_rate_limited``: Slack says it is dropping this app's events for a while. It
    is no event callback, so no listener can take it; it is acknowledged and logged."""

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:  # noqa: A002
        if req.body.get("type") == "app_rate_limited":
            log.warning("Slack is rate limiting this app's events (minute %s)", req.body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        return await next()


class _Authorize(AsyncAuthorize):
    """Bolt's authorize hook as its own class: bolt calls it with fixed keyword
    arguments, where a plain function would have its arguments worked out by
    inspection on every request."""

    def __init__(self, authorize: Callable[[str | None, str | None], Awaitable[AuthorizeResult]]) -> None:
        super().__init__()
        self._authorize = authorize

    async def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **actor: Any) -> AuthorizeResult:
        return await self._authorize(enterprise_id, team_id)


class LocaleCache:
    """Slack users' locales (``users.info``), cached in-process and in the store.

    The lookup is an HTTP call; doing it on every command would put Slack's latency on
    every reply, so a hit is remembered for a day and a failure for five minutes. A
    turn waits for a lookup at most ``budget`` seconds (and not at all while one for the
    same user is already under way): past that it answers in the language guessed from
    the text or the account's, and the lookup finishes in the background for next time.
    """

    def __init__(self, client: AsyncWebClient, store: Store, clock: Callable[[], float] = time.monotonic,
                 *, budget: float = 0.5):
        self.client = client
        self.store = store
        self.clock = clock
        self.budget = budget
        self.local: dict[str, tuple[float, str]] = {}
        self._pending: dict[str, asyncio.Task[str]] = {}

    async def get(self, team: str, user: str) -> str | None:
        key = f"slocale:{team}:{user}"
        hit = self.local.get(key)
        now = self.clock()
        if hit and hit[0] > now:
            return hit[1] or None
        pending = self._pending.get(key)
        if pending is not None:
            return None  # a lookup is under way: no turn waits on it twice
        try:
            stored = await self.store.get(key)
        except StoreUnavailable:
            stored = None
        if stored is not None:
            self._remember(key, stored, _LOCALE_TTL)
            return stored or None
        if len(self._pending) >= 1000:
            return None  # Slack is not answering anyone: stop asking until it does
        task = asyncio.get_running_loop().create_task(self._lookup(key, user))
        self._pending[key] = task
        task.add_done_callback(lambda _: self._pending.pop(key, None))
        try:
            return await within(task, self.budget) or None
        except TimeoutError:
            log.info("users.info is slow; answering in the guessed or account language meanwhile")
            return None

    async def _lookup(self, key: str, user: str) -> str:
        locale = ""
        ttl = _LOCALE_TTL
        try:
            info = await self.client.users_info(user=user, include_locale=True)
            locale = str((info.get("user") or {}).get("locale") or "")
        except (SlackApiError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("users.info failed for a user (%s); using the account language", type(exc).__name__)
            ttl = _LOCALE_MISS_TTL
        self._remember(key, locale, ttl)
        try:
            await self.store.set(key, locale, ttl=ttl)
        except StoreUnavailable:
            pass
        return locale

    async def close(self) -> None:
        """Stop lookups still waiting on Slack (shutdown)."""
        for task in list(self._pending.values()):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending.values(), return_exceptions=True)

    def _remember(self, key: str, locale: str, ttl: float) -> None:
        if len(self.local) > 10_000:
            self.local.clear()
        self.local[key] = (self.clock() + ttl, locale)


class SlackNotifier:
    """Posts and updates cards in Slack channels for the outbox (``handlers.ports.Notifier``)."""

    def __init__(self, client: AsyncWebClient):
        self.client = client

    async def post(self, target: Target, card: Card) -> str:
        message = blockkit.render_message(card)
        response = await self._call(self.client.chat_postMessage, channel=target.conversation, **message)
        return f"{response.get('channel', target.conversation)}:{response['ts']}"

    async def update(self, target: Target, ref: str, card: Card) -> None:
        channel, _, ts = ref.partition(":")
        message = blockkit.render_message(card)
        await self._call(self.client.chat_update, channel=channel, ts=ts, **message)

    async def _call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429:
                retry = float(exc.response.headers.get("Retry-After", "1") or 1)
                raise DeliveryError("slack rate limited", retry_after=retry) from None
            raise DeliveryError(f"slack error {error or status}", permanent=error in _PERMANENT_ERRORS) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"slack unreachable ({type(exc).__name__})") from None


class SlackAdapter:
    """Receives ``POST /slack/events`` and answers through the dispatcher."""

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        store: Store,
        session: aiohttp.ClientSession,
        metrics: Metrics,
        background: Background,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.store = store
        self.session = session
        self.metrics = metrics
        self.background = background
        self.client = BoundedWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            session=session,
            timeout=settings.slack_api_timeout,  # type: ignore[arg-type]  # seconds, any float
        )
        self.notifier = SlackNotifier(self.client)
        self.verifier = SignatureVerifier(settings.slack_signing_secret)
        self.locales = LocaleCache(self.client, store, budget=settings.lookup_budget_seconds)
        self._auth: AuthorizeResult | None = None
        self._auth_task: asyncio.Task[AuthorizeResult | None] | None = None
        self._auth_failures = 0
        self._auth_retry_at = 0.0
        self._rendered: dict[Hashable, tuple[Card, dict[str, Any]]] = {}
        self._acks: dict[Hashable, tuple[Card, str]] = {}
        self.app = AsyncApp(
            # Named, or bolt works the name out with inspect.stack(): 90 ms of start-up.
            name="onboarding-bot",
            client=self.client,
            signing_secret=settings.slack_signing_secret,
            authorize=_Authorize(self._authorize),
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
        command = settings.slack_command
        # The slash command is answered by a class-based middleware, after bolt's own
        # middleware verified the signature and authorized the request (see
        # ``_SlashCommand``); everything else goes to listeners.
        self.app.use(_SlashCommand(command, self._answer_command))
        self.app.use(_RateLimitedNotice())
        self.app.event("app_mention")(self._guarded("event", self._on_mention))
        self.app.event("message")(self._guarded("event", self._on_message))
        self.app.event("app_home_opened")(self._guarded("event", self._on_home))
        for ignored in _IGNORED_EVENTS:
            self.app.event(ignored)(self._on_ignored_event)
        self.app.action(re.compile(".*"))(self._guarded("block_actions", self._on_action))
        self.app.view_submission(_OUR_CALLBACK)(self._guarded("view_submission", self._on_view_submission))
        self.app.view_closed(_OUR_CALLBACK)(self._guarded("view_closed", self._on_view_closed))
        self.app.shortcut("escalate_message")(self._guarded("shortcut", self._on_shortcut))

    # -- HTTP ---------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = raw.decode("utf-8", errors="replace")  # a bad byte fails the signature, not us
        headers = dict(request.headers)
        if not self._signed(body, headers):
            # Checked here, before bolt sees the request: bolt's own check logs the whole
            # body of every request it refuses, and a stranger's body is not ours to log.
            self.metrics.rejected.labels("slack", "signature").inc()
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)  # type: ignore[arg-type]  # bolt reads it only
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
            self.metrics.rejected.labels("slack", "malformed").inc()
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_response = await self.app.async_dispatch(bolt_request)
        if bolt_response.status == 401:
            self.metrics.rejected.labels("slack", "signature").inc()
        elif bolt_response.status >= 500:
            # Bolt's own parsing or matching broke on the payload (this app's listeners
            # never raise, see ``_guarded``): behind a valid signature that is a
            # malformed payload, and Slack must not retry it.
            self.metrics.rejected.labels("slack", "malformed").inc()
            return web.json_response({"error": "malformed request"}, status=400)
        elif bolt_response.status == 404:
            # Bolt's answer to something no listener wants; Slack needs a 200 or it retries.
            return web.Response(status=200, text="")
        if "set-cookie" in bolt_response.headers:
            return await to_aiohttp_response(bolt_response)
        return _to_aiohttp(bolt_response)

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

    def _bug(self, where: str, error: BaseException) -> None:
        """An exception in this app's code: logged with its traceback and counted in
        ``bot_errors_total``; the caller answers Slack with a 200, so Slack does not send
        the same request again into the same bug."""
        log.error("handling a Slack %s failed", where, exc_info=error)
        self.metrics.bug("slack", where)

    def _guarded(self, where: str, listener: Callable[[AsyncArgs], Awaitable[None]]) -> Callable[[AsyncArgs], Awaitable[None]]:
        """``listener`` for bolt, with its exceptions counted and acknowledged (bolt would
        answer 500, which ``handle`` cannot tell from a payload bolt could not read). A
        submitted form stays open with a polite word under its first input; a button or
        an event gets the empty acknowledgement (it cannot show a text)."""

        async def guarded(args: AsyncArgs) -> None:
            try:
                await listener(args)
            except Exception as exc:  # noqa: BLE001 - counted and logged, never a 500
                self._bug(where, exc)
                if args.ack.response is None:
                    block = _first_input_block(args.body) if where == "view_submission" else None
                    if block:
                        # The form stays open, with what was typed and a polite word.
                        await args.ack(response_action="errors", errors={block: self._sorry(args.body)})
                    else:
                        await args.ack()

        return guarded

    def _sorry(self, body: Any) -> str:
        """``error.internal`` in the language the text suggests, else English."""
        text = str(body.get("text", "")) if isinstance(body, dict) else ""
        return Translator(guess_language(text) or "en", self.dispatcher.services.catalog.texts)("error.internal")

    async def _answer_command(self, body: dict[str, Any]) -> BoltResponse:
        """``_on_command``, answering a bug with a polite message (the answer is the message)."""
        try:
            return await self._on_command(body)
        except Exception as exc:  # noqa: BLE001 - counted and logged, never a 500
            self._bug("command", exc)
            text = self._sorry(body)
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", **_text_blocks(text)}),
                                headers={"content-type": "application/json"})

    async def _authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """The bot's identity from ``auth.test``, asked once per process.

        Every request waits on it at most the lookup budget; without it the request
        goes on with the token alone (bolt's own single-team authorization would refuse
        every request instead). A failure is not retried per request: the next attempt
        waits 1 s, then 2, 4... up to 5 minutes.
        """
        if self._auth is not None:
            return self._auth
        if self._auth_task is None and time.monotonic() >= self._auth_retry_at:
            # Only the request that asks waits (its budget); others go on meanwhile.
            task = self._auth_task = asyncio.get_running_loop().create_task(self._auth_test())
            try:
                result = await within(task, self.settings.lookup_budget_seconds)
            except TimeoutError:
                result = None
            if result is not None:
                return result
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=self.settings.slack_bot_token)

    async def _auth_test(self) -> AuthorizeResult | None:
        try:
            result = await self.client.auth_test()
            self._auth = AuthorizeResult.from_auth_test_response(
                auth_test_response=result, bot_token=self.settings.slack_bot_token
            )
            return self._auth
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            self._auth_failures += 1
            pause = min(300.0, 2.0 ** (self._auth_failures - 1))
            self._auth_retry_at = time.monotonic() + pause
            log.warning("auth.test failed (%s); continuing without the bot user id, next try in %.0f s",
                        type(exc).__name__, pause)
            return None
        finally:
            self._auth_task = None

    async def close(self) -> None:
        """Stop calls still waiting on Slack (shutdown)."""
        if self._auth_task is not None:
            self._auth_task.cancel()
            await asyncio.gather(self._auth_task, return_exceptions=True)
        await self.locales.close()

    # -- turns --------------------------------------------------------------------
    async def _run(self, turn: Turn) -> Outcome:
        started = time.perf_counter()
        outcome = await self.dispatcher.dispatch(turn)
        self.metrics.observe("slack", outcome.intent, time.perf_counter() - started)
        if outcome.intent.startswith("rate_limited."):
            self.metrics.rate_limited.labels("slack", outcome.intent.partition(".")[2]).inc()
        return outcome

    async def _locale(self, team: str, user: str) -> str | None:
        if not user:
            return None
        return await self.locales.get(team, user)

    async def _on_command(self, body: dict[str, Any]) -> BoltResponse:
        """``/equinix ...``: the answer is the HTTP response itself (Slack shows it in the
        channel or to the user alone); a form opens after the acknowledgement."""
        channel = str(body.get("channel_id", ""))
        team = str(body.get("team_id", ""))
        user = str(body.get("user_id", ""))
        turn = Turn(
            kind=TurnKind.COMMAND,
            where=Where(PLATFORM, team, channel, conversation_kind(channel, body.get("channel_name"))),
            user_id=user,
            user_name=str(body.get("user_name", "")),
            locale=await self._locale(team, user),
            text=str(body.get("text", "")),
        )
        outcome = await self._run(turn)
        response = outcome.response
        if isinstance(response, Reply):
            # Serialized once per card (see ``_ack_body``), not per command.
            return BoltResponse(status=200, body=self._ack_body(response))
        if isinstance(response, OpenForm):
            await self.background.spawn(self._open_form(str(body.get("trigger_id", "")), turn, response))
        return BoltResponse(status=200, body="")

    async def _on_mention(self, args: AsyncArgs) -> None:
        await self._on_text_event(args, TurnKind.MENTION)

    async def _on_message(self, args: AsyncArgs) -> None:
        event = args.event or {}
        if event.get("channel_type") != "im" or str(event.get("subtype") or "") not in _USER_TEXT_SUBTYPES:
            return  # channel chatter, edits, deletions and bot messages are not for us
        own = self._auth.bot_user_id if self._auth is not None else None
        if event.get("bot_id") or not event.get("user") or (own and event.get("user") == own):
            return
        await self._on_text_event(args, TurnKind.MESSAGE)

    async def _on_text_event(self, args: AsyncArgs, kind: TurnKind) -> None:
        body = args.body
        event = args.event or {}
        if not await self._first_delivery(body):
            return
        channel = str(event.get("channel", ""))
        team = str(body.get("team_id") or event.get("team") or "")
        user = str(event.get("user", ""))
        text = _strip_mentions(str(event.get("text", "")))
        where = Where(PLATFORM, team, channel, conversation_kind(channel, event.get("channel_type")))
        thread = str(event.get("thread_ts") or "")

        async def work() -> None:
            turn = Turn(kind=kind, where=where, user_id=user, locale=await self._locale(team, user), text=text)
            outcome = await self._run(turn)
            await self._deliver(outcome.response, turn, thread_ts=thread)

        await self.background.spawn(work())

    async def _on_home(self, args: AsyncArgs) -> None:
        body = args.body
        event = args.event or {}
        if event.get("tab") not in (None, "home"):
            return
        team = str(body.get("team_id", ""))
        user = str(event.get("user", ""))

        async def work() -> None:
            await self._publish_home(team, user)

        await self.background.spawn(work())

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
        team = user_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id", "") or container.get("channel_id", ""))
        on_home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
        response_url = str(body.get("response_url", ""))
        trigger_id = str(body.get("trigger_id", ""))
        message_ts = str(container.get("message_ts", ""))

        async def work() -> None:
            where = Where(PLATFORM, team, channel or user, conversation_kind(channel or "D"))
            turn = Turn(
                kind=TurnKind.ACTION,
                where=where,
                user_id=user,
                user_name=str((body.get("user") or {}).get("username", "")),
                locale=await self._locale(team, user),
                action=action,
                data=data,
                dedupe_key=f"slack:action:{team}:{channel}:{message_ts}:{first.get('action_ts', '')}",
            )
            outcome = await self._run(turn)
            response = outcome.response
            if isinstance(response, OpenForm):
                await self._open_form(trigger_id, turn, response)
            elif on_home:
                if isinstance(response, Reply):  # a home view has no message to replace: answer in Messages
                    await self._post(user, response, ephemeral_user="")
                await self._publish_home(team, user)
            elif isinstance(response, Reply) and response_url:
                await self._respond(response_url, response)
            else:
                await self._deliver(response, turn)

        await self.background.spawn(work())

    async def _on_view_submission(self, args: AsyncArgs) -> None:
        body = args.body
        view = body.get("view") or {}
        try:
            action, data, values = blockkit.parse_view_submission(view)
        except ValueError:
            await args.ack()
            return
        where_raw = data.pop(_WHERE_KEY, "")
        team = user_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        where = _where_from(where_raw, team, user)
        turn = Turn(
            kind=TurnKind.SUBMIT,
            where=where,
            user_id=user,
            user_name=str((body.get("user") or {}).get("username", "")),
            locale=await self._locale(team, user),
            action=action,
            data={**data, **values},
            dedupe_key=f"slack:view:{view.get('id', '')}:{view.get('hash', '')}",
        )
        outcome = await self._run(turn)
        response = outcome.response
        if isinstance(response, FormErrors):
            await args.ack(response_action="errors", errors=dict(response.errors))
            return
        await args.ack()
        if isinstance(response, Reply):
            await self.background.spawn(self._post(where.conversation, response, ephemeral_user=user))

    async def _on_view_closed(self, args: AsyncArgs) -> None:
        await args.ack()

    async def _on_shortcut(self, args: AsyncArgs) -> None:
        await args.ack()
        body = args.body
        team = user_team(body)
        user = str((body.get("user") or {}).get("id", ""))
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        trigger_id = str(body.get("trigger_id", ""))

        async def work() -> None:
            link = ""
            try:
                permalink = await self.client.chat_getPermalink(channel=channel, message_ts=str(message.get("ts", "")))
                link = str(permalink.get("permalink", ""))
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError):
                log.info("chat.getPermalink failed; the form opens without a link")
            turn = Turn(
                kind=TurnKind.SHORTCUT,
                where=Where(PLATFORM, team, channel, conversation_kind(channel)),
                user_id=user,
                locale=await self._locale(team, user),
                text=str(message.get("text", "")),
                link=link,
            )
            outcome = await self._run(turn)
            if isinstance(outcome.response, OpenForm):
                await self._open_form(trigger_id, turn, outcome.response)
            else:
                await self._deliver(outcome.response, turn)

        await self.background.spawn(work())

    # -- delivery -----------------------------------------------------------------
    async def _first_delivery(self, body: dict[str, Any]) -> bool:
        """Slack re-sends an event it thinks we missed; act on each event id once."""
        event_id = str(body.get("event_id", ""))
        if not event_id:
            return True
        try:
            return await self.store.add(f"dedupe:slack:event:{event_id}", "1", ttl=3600)
        except StoreUnavailable:
            return True  # better a rare duplicate answer than silence

    def _message(self, reply: Reply) -> dict[str, Any]:
        """The reply as a Slack message (a fresh dict each time: callers add keys).

        Handlers return the very same Card object for the same account, language and
        day, so its rendering is kept, keyed by identity (and holding the card alive).
        """
        if reply.card is None:
            return _text_blocks(reply.text)
        card = reply.card
        return dict(_kept_for(self._rendered, id(card), card, lambda: blockkit.render_message(card)))  # type: ignore[arg-type]

    def _ack_body(self, reply: Reply) -> str:
        """A slash command's answer as the JSON body of the acknowledgement.

        Cards are the same object for the same account, language and day (see
        ``_message``), so their JSON is kept too: a busy channel asking for its team
        costs one serialization a day, not one a request.
        """
        response_type = "ephemeral" if reply.private else "in_channel"
        if reply.card is None:
            return json.dumps({"response_type": response_type, **self._message(reply)})
        return _kept_for(self._acks, (id(reply.card), reply.private), reply.card,
                         lambda: json.dumps({"response_type": response_type, **self._message(reply)}))

    async def _deliver(self, response: Response, turn: Turn, *, thread_ts: str = "") -> None:
        if isinstance(response, Reply):
            await self._post(turn.where.conversation, response, ephemeral_user=turn.user_id, thread_ts=thread_ts)
        elif isinstance(response, Home):
            await self._publish_home(turn.where.tenant, turn.user_id)
        elif isinstance(response, (NoReply, FormErrors, OpenForm)):
            return

    async def _post(self, channel: str, reply: Reply, *, ephemeral_user: str, thread_ts: str = "") -> None:
        message = self._message(reply)
        if thread_ts:
            message["thread_ts"] = thread_ts
        ephemeral = reply.private and ephemeral_user and not channel.startswith("D")
        for attempt in range(_POST_ATTEMPTS):
            try:
                if ephemeral:
                    await self.client.chat_postEphemeral(channel=channel, user=ephemeral_user, **message)
                else:
                    await self.client.chat_postMessage(channel=channel, **message)
                return
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                self.metrics.errors.labels("slack", "post").inc()
                wait = _retry_wait(exc, attempt)
                if wait is None or attempt == _POST_ATTEMPTS - 1:
                    log.warning("posting a reply to Slack failed: %s", _slack_error(exc))
                    return
                await asyncio.sleep(wait)

    async def _respond(self, response_url: str, reply: Reply) -> None:
        payload = self._message(reply)
        if reply.replace and not reply.private:
            payload["replace_original"] = True
        else:
            payload["replace_original"] = False
            payload["response_type"] = "ephemeral" if reply.private else "in_channel"
        try:
            async with self.session.post(response_url, json=payload, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                if resp.status >= 400:
                    self.metrics.errors.labels("slack", "respond").inc()
                    log.warning("response_url answered HTTP %s", resp.status)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.metrics.errors.labels("slack", "respond").inc()
            log.warning("posting to response_url failed: %s", type(exc).__name__)

    async def _open_form(self, trigger_id: str, turn: Turn, response: OpenForm) -> None:
        form = response.form
        where = turn.where
        data = {**form.data, _WHERE_KEY: f"{where.kind.value}|{where.conversation}"}
        view = blockkit.render_modal(replace(form, data=data))
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.metrics.errors.labels("slack", "views_open").inc()
            log.warning("views.open failed: %s", _slack_error(exc))

    async def _publish_home(self, team: str, user: str) -> None:
        turn = Turn(
            kind=TurnKind.HOME,
            where=Where(PLATFORM, team, user, ConversationKind.DIRECT),
            user_id=user,
            locale=await self._locale(team, user),
        )
        outcome = await self._run(turn)
        if not isinstance(outcome.response, Home):
            return
        try:
            await self.client.views_publish(user_id=user, view=blockkit.render_home(list(outcome.response.cards)))
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.metrics.errors.labels("slack", "views_publish").inc()
            log.warning("views.publish failed: %s", _slack_error(exc))


def _first_input_block(body: Any) -> str | None:
    """The block id of a submitted modal's first input, where an error can be shown."""
    view = body.get("view") if isinstance(body, dict) else None
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None


def request_header(headers: dict[str, str], name: str) -> str:
    """A header by its lower-case name, whatever case the client sent it in."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value


def _strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text).split())


def _where_from(raw: str, team: str, user: str) -> Where:
    kind_name, _, conversation = raw.partition("|")
    try:
        kind = ConversationKind(kind_name)
    except ValueError:
        kind = ConversationKind.DIRECT
    return Where(PLATFORM, team, conversation or user, kind if conversation else ConversationKind.DIRECT)


_POST_ATTEMPTS = 4


def _retry_wait(exc: BaseException, attempt: int) -> float | None:
    """How long to wait before trying a reply again; None when retrying cannot help.

    A reply (a confirmation with its reference, say) is worth a few tries in the
    background: Slack's 5xx and 429 are usually over in a second or two.
    """
    if isinstance(exc, SlackApiError) and exc.response is not None:
        status = exc.response.status_code
        if status == 429:
            return min(5.0, float(exc.response.headers.get("Retry-After", "1") or 1))
        if status < 500:
            return None
    return 0.3 * (2 ** attempt)


def _slack_error(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error", exc.response.status_code))
    return type(exc).__name__


__all__ = ["LocaleCache", "SlackAdapter", "SlackNotifier", "conversation_kind"]
