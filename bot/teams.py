"""The Teams adapter: Bot Framework activities in, neutral turns to the handlers, Adaptive Cards out.

This is the only module that imports ``botbuilder`` / ``botframework`` (the SDK is archived
upstream; everything it does for us is behind the classes below, so replacing it touches
one file).

``POST /api/messages`` goes through botbuilder's own ``CloudAdapter.process``: it parses the
activity, calls ``authenticate_request`` on the ``BotFrameworkAuthentication`` it was
given, asks that authentication's ``ConnectorFactory`` for a connector, builds the
``TurnContext`` and runs the ``ActivityHandler``; replies go back through
``TurnContext.send_activity`` / ``update_activity`` and the adapter's ``send_activities``.
Two pieces of the stock wiring (``ConfigurationBotFrameworkAuthentication``) are replaced,
for correctness and speed, not features:

* **Inbound auth** (``TeamsAuthentication``) runs the SDK's own ``JwtTokenExtractor`` (issuer
  allow-list, endorsements, algorithm allow-list, RS256 signature, expiry with 5 minutes
  of clock skew) and ``ChannelValidation.validate_identity`` (issuer and audience = our
  app id), then the SDK's ``serviceurl`` claim check. Only its key source differs: the
  stock ``_OpenIdMetadata`` fetches the OpenID configuration and JWKS with blocking
  ``requests`` on the event loop, keeps them in a process-wide cache, and raises
  IndexError on an unknown key id (a 500). ``SigningKeys`` (``bot.teams_keys``) fetches
  both with aiohttp from ``BOTFRAMEWORK_OPENID_METADATA_URL``, one fetch at a time, parses
  each key once, refreshes daily and on an unknown key id at most once a minute. Every
  failure becomes a PermissionError, which ``CloudAdapter.process`` turns into 401.
  ``TeamsAdapter.handle`` runs the same check on the Authorization header before it reads
  the body (an unauthenticated request costs no parsing), then ``bot.teams_gate`` refuses
  other channels and tenants.
* **Outbound** (``ConnectorPool``): the stock factory builds an msrest ``ConnectorClient``
  per turn (about 5-10 ms of CPU each) whose ``MicrosoftAppCredentials`` gets tokens from
  msal synchronously, on the loop. ``ConnectorPool`` keeps one small aiohttp-based
  connector per service URL, exposing the ``conversations`` calls ``CloudAdapterBase``
  makes (reply, send, update, delete), with a token from ``AccessTokens`` (aiohttp,
  single-flight, cached until shortly before expiry). Together with answering before
  the outbound call (sends run as tracked background tasks) this is what puts the
  adapter well above the ≥4x throughput target of a stock botbuilder bot.

``create_user_token_client`` returns None: the bot uses no OAuth sign-in, and the stock
one builds another msrest client on every turn.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
from aiohttp import web
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    CallerIdConstants,
    ChannelAccount,
    DeliveryModes,
    ResourceResponse,
)
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ChannelValidation,
    ClaimsIdentity,
    ConnectorFactory,
    JwtTokenExtractor,
    SimpleCredentialProvider,
    VerifyOptions,
)
from msrest.exceptions import DeserializationError
from msrest.serialization import Model
from yarl import URL

from bot.background import Background
from bot.metrics import Metrics
from bot.settings import Settings
from bot.teams_activity import (
    bot_mentions,
    conversation_id,
    conversation_kind,
    is_mentioned,
    locale_of,
    strip_mentions,
    tenant_of,
    user_of,
    where_of,
)
from bot.teams_gate import TEAMS_CHANNEL, refusal
from bot.teams_keys import AuthFailed, SigningKeys
from cards import teams as adaptive
from cards.model import Card, Text
from cards.text import plain
from handlers.i18n import Translator, locale_language
from handlers.ports import DeliveryError, Store, StoreUnavailable, Target
from handlers.router import Dispatcher, Outcome
from handlers.turn import (
    ConversationKind,
    FormErrors,
    NoReply,
    OpenForm,
    Reply,
    Response,
    Turn,
    TurnKind,
    Where,
)

log = logging.getLogger(__name__)

DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com
BOT_CONNECTOR_AUDIENCE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # https://api.botframework.com
TOKEN_SCOPE = BOT_CONNECTOR_AUDIENCE + "/.default"
LOGIN_URL = "https://login.microsoftonline.com"
MSI_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
"""Managed identity's endpoint (``UserAssignedMSI``). ``BOTFRAMEWORK_TOKEN_URL`` overrides
any of these (sovereign clouds, tests): it changes where tokens come from, never whether
they are needed."""

CARD_CONTENT_TYPE = adaptive.CONTENT_TYPE
MESSAGE_RESPONSE_TYPE = "application/vnd.microsoft.activity.message"
CARD_ACTION_INVOKE = "adaptiveCard/action"
REF_PREFIX = "teams:ref:"
FORM_PREFIX = "teams:form:"
FORM_TTL = 24 * 3600.0
DEDUPE_TTL = 3600.0
WELCOME_TTL = 600.0
_CLOCK_SKEW = 5 * 60  # the SDK's tolerance for exp/nbf
_TOKEN_FAILURE_PAUSE = 5.0
_TOKEN_MARGIN = 300.0
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
_MAX_CONNECTORS = 256
_MAX_CACHED_REFS = 10_000



# ============================================================================ auth in


class _KeyedTokenExtractor(JwtTokenExtractor):
    """The SDK's ``JwtTokenExtractor`` with our key source.

    ``__init__`` is deliberately not called: it would register a blocking ``requests``
    metadata fetcher in a process-wide cache. Everything that validates a token (issuer
    allow-list, endorsements, algorithm allow-list, signature, expiry) is the SDK's.
    """

    def __init__(self, keys: SigningKeys) -> None:  # noqa: D107 - see class docstring
        self.validation_parameters = VerifyOptions(
            issuer=[CHANNEL_ISSUER], audience=None, clock_tolerance=_CLOCK_SKEW, ignore_expiration=False
        )
        self.validation_parameters.algorithms = AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS
        self.open_id_metadata = keys


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, AuthFailed):
        return exc.reason
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "token not valid yet"
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad token signature"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token"
    if isinstance(exc, PermissionError):
        return "token not for this bot (scheme, issuer or audience)"
    if isinstance(exc, (IndexError, KeyError)):
        return "unknown signing key id"
    return f"invalid token ({type(exc).__name__}: {str(exc)[:80]})"


class TeamsAuthentication(BotFrameworkAuthentication):
    """Validates Bot Framework tokens with the SDK's validators and our async key source.

    With ``keys`` None (``TEAMS_DEV_NO_AUTH=1`` and no app id) every request is accepted as
    anonymous, the way the SDK treats a bot without credentials (Bot Framework Emulator).
    """

    def __init__(self, app_id: str, keys: SigningKeys | None, connectors: ConnectorPool) -> None:
        self.app_id = app_id
        self.keys = keys
        self.connectors = connectors
        self._credentials = SimpleCredentialProvider(app_id, "")  # inbound needs the id only
        self._extractor = _KeyedTokenExtractor(keys) if keys is not None else None
        # Teams reuses one token for up to an hour: a token already validated (signature,
        # issuer, audience, endorsement) is remembered until it expires, at most 5 minutes.
        self._validated: dict[tuple[str, str], tuple[float, ClaimsIdentity]] = {}

    @property
    def disabled(self) -> bool:
        return self._extractor is None

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        identity = await self.identity(auth_header, activity.channel_id, activity.service_url)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = BOT_CONNECTOR_AUDIENCE
        result.caller_id = None if self.disabled else CallerIdConstants.public_azure_channel.value
        result.connector_factory = self.connectors
        return result

    async def identity(self, auth_header: str | None, channel_id: str | None, service_url: str | None) -> ClaimsIdentity:
        """The caller's claims, or AuthFailed. ``service_url`` None skips the serviceurl check
        (only for callers that have no activity, which we do not serve)."""
        if self._extractor is None:
            return ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
        try:
            if not auth_header:
                raise AuthFailed("missing Authorization header")
            identity = await self._validated_identity(auth_header, channel_id or "")
            claims = identity.claims
            if service_url is not None and claims.get(AuthenticationConstants.SERVICE_URL_CLAIM) != service_url:
                raise AuthFailed("serviceurl claim does not match the activity's serviceUrl")
            return identity
        except Exception as exc:  # noqa: BLE001 - every validation failure is a 401, never a 500
            reason = _failure_reason(exc)
            log.info("refused a Teams request: %s", reason)
            raise AuthFailed(reason) from None

    async def _validated_identity(self, auth_header: str, channel_id: str) -> ClaimsIdentity:
        assert self._extractor is not None
        now = time.time()
        key = (auth_header, channel_id)
        cached = self._validated.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        identity = await self._extractor.get_identity_from_auth_header(auth_header, channel_id, [])
        identity = await ChannelValidation.validate_identity(identity, self._credentials)
        expires = identity.claims.get("exp")
        if not isinstance(expires, (int, float)):
            raise AuthFailed("token has no expiry")
        if len(self._validated) >= 1000:
            self._validated = {k: v for k, v in self._validated.items() if v[0] > now}
            if len(self._validated) >= 1000:
                self._validated.clear()
        self._validated[key] = (min(float(expires), now + 300), identity)
        return identity

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        raise AuthFailed("streaming (Direct Line ASE) is not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.connectors

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> None:
        return None

    def get_originating_audience(self) -> str:
        return BOT_CONNECTOR_AUDIENCE

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.identity(auth_header, "", None)


# =========================================================================== auth out


class ConnectorError(Exception):
    """A Bot Connector (or token endpoint) call failed. Never carries a token."""

    def __init__(self, reason: str, *, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after

    def delivery_error(self) -> DeliveryError:
        """As the outbox understands it: 403/404 (bot removed, conversation gone) and other
        4xx except 401/408/429 cannot succeed on retry; 429 says when to retry."""
        permanent = 400 <= self.status < 500 and self.status not in (401, 408, 429)
        return DeliveryError(f"teams: {self.reason}", permanent=permanent, retry_after=self.retry_after)


def token_url(settings: Settings) -> str:
    override = settings.botframework_token_url
    if override:
        return override
    if settings.microsoft_app_type == "UserAssignedMSI":
        return MSI_TOKEN_URL
    if settings.microsoft_app_type == "SingleTenant" and settings.microsoft_app_tenant_id:
        return f"{LOGIN_URL}/{settings.microsoft_app_tenant_id}/oauth2/v2.0/token"
    return f"{LOGIN_URL}/botframework.com/oauth2/v2.0/token"


class AccessTokens:
    """Bearer tokens for the Bot Connector: client credentials (or managed identity) over
    aiohttp, one fetch at a time, cached until five minutes before they expire.

    The SDK gets them from msal synchronously, on the event loop. With no app id (the
    Emulator) there is no token and no header.
    """

    def __init__(self, session: aiohttp.ClientSession, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.app_id = settings.microsoft_app_id
        self._password = str(settings.microsoft_app_password)
        self.managed_identity = settings.microsoft_app_type == "UserAssignedMSI"
        self.url = token_url(settings)
        self.clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._failed_until = 0.0
        self._lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        if not self.app_id:
            return {}
        return {"Authorization": f"Bearer {await self.token()}"}

    async def token(self) -> str:
        if self._token and self.clock() < self._expires_at:
            return self._token
        async with self._lock:
            if not (self._token and self.clock() < self._expires_at):
                if self.clock() < self._failed_until:
                    raise ConnectorError("token endpoint failed moments ago; not asking again yet", status=503)
                try:
                    token, lifetime = await self._fetch()
                except ConnectorError:
                    self._failed_until = self.clock() + _TOKEN_FAILURE_PAUSE  # replies queued behind us fail fast
                    raise
                self._token = token
                self._expires_at = self.clock() + max(lifetime - _TOKEN_MARGIN, lifetime / 2)
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token (the connector answered 401 with it)."""
        self._token = ""
        self._expires_at = 0.0

    async def _fetch(self) -> tuple[str, float]:
        try:
            if self.managed_identity:
                params = {"api-version": "2019-08-01", "resource": BOT_CONNECTOR_AUDIENCE, "client_id": self.app_id}
                request = self.session.get(self.url, params=params, headers={"Metadata": "true"}, timeout=_HTTP_TIMEOUT)
            else:
                form = {
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self._password,
                    "scope": TOKEN_SCOPE,
                }
                request = self.session.post(self.url, data=form, timeout=_HTTP_TIMEOUT)
            async with request as resp:
                body = await resp.json(content_type=None)
                if resp.status >= 400 or not isinstance(body, dict) or not body.get("access_token"):
                    code = body.get("error", "") if isinstance(body, dict) else ""
                    log.warning("the token endpoint refused the bot's credentials: HTTP %s %s", resp.status, code)
                    raise ConnectorError(f"token endpoint HTTP {resp.status} {code}".strip(), status=503)
                return str(body["access_token"]), float(body.get("expires_in") or 3600)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            raise ConnectorError(f"token endpoint unreachable ({type(exc).__name__})", status=503) from None


# ========================================================================== connector


def _payload(activity: Activity | Mapping[str, Any]) -> Any:
    """The activity as JSON. msrest's ``serialize`` walks every attachment's content
    against its models, which for an Adaptive Card (a plain dict already) was 40% of a
    reply's CPU: attachments are added as they are instead."""
    if not isinstance(activity, Activity):
        return dict(activity)
    attachments = activity.attachments
    if not attachments:
        return activity.serialize()
    activity.attachments = None
    try:
        body = activity.serialize()
    finally:
        activity.attachments = attachments
    body["attachments"] = [
        {"contentType": a.content_type, "content": a.content, **({"name": a.name} if a.name else {})}
        for a in attachments
    ]
    return body


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class BotConnector:
    """One service URL's Bot Connector, over the shared aiohttp session.

    Stands in for msrest's ``ConnectorClient``: ``connector.conversations`` is itself,
    with the four calls ``CloudAdapterBase`` makes.
    """

    def __init__(self, service_url: str, session: aiohttp.ClientSession, tokens: AccessTokens | None) -> None:
        self.service_url = service_url.rstrip("/")
        self.session = session
        self.tokens = tokens
        self.conversations = self

    def _url(self, conversation_id: str, activity_id: str = "") -> URL:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        if activity_id:
            path += f"/{quote(activity_id, safe='')}"
        return URL(self.service_url + path, encoded=True)

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("POST", self._url(conversation_id, activity_id), _payload(activity))

    async def send_to_conversation(self, conversation_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("POST", self._url(conversation_id), _payload(activity))

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Activity | Mapping[str, Any]) -> ResourceResponse:
        return await self._call("PUT", self._url(conversation_id, activity_id), _payload(activity))

    async def delete_activity(self, conversation_id: str, activity_id: str) -> None:
        await self._call("DELETE", self._url(conversation_id, activity_id), None)

    async def _call(self, method: str, url: URL, payload: Any) -> ResourceResponse:
        headers = await self.tokens.headers() if self.tokens is not None else {}
        try:
            async with self.session.request(method, url, json=payload, headers=headers, timeout=_HTTP_TIMEOUT) as resp:
                if resp.status >= 400:
                    raise await self._error(resp)
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ConnectorError(f"bot connector unreachable ({type(exc).__name__})") from None
        except ValueError:
            body = None  # a 2xx without a JSON body: sent, but no id
        return ResourceResponse(id=str(body.get("id", "")) if isinstance(body, dict) else "")

    async def _error(self, resp: aiohttp.ClientResponse) -> ConnectorError:
        code = ""
        try:
            body = await resp.json(content_type=None)
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                code = str(body["error"].get("code", ""))[:60]
        except (ValueError, aiohttp.ClientError):
            pass
        if resp.status == 401 and self.tokens is not None:
            self.tokens.invalidate()
        retry_after = _retry_after(resp.headers.get("Retry-After")) if resp.status == 429 else None
        return ConnectorError(f"bot connector HTTP {resp.status} {code}".strip(), status=resp.status, retry_after=retry_after)


class ConnectorPool(ConnectorFactory):
    """One ``BotConnector`` per service URL for the process (the SDK makes one per turn)."""

    def __init__(self, session: aiohttp.ClientSession, tokens: AccessTokens | None) -> None:
        self.session = session
        self.tokens = tokens
        self._connectors: dict[str, BotConnector] = {}

    async def create(self, service_url: str, audience: str | None = None) -> BotConnector:
        return self.get(service_url)

    def get(self, service_url: str) -> BotConnector:
        key = service_url.rstrip("/")
        connector = self._connectors.get(key)
        if connector is None:
            if len(self._connectors) >= _MAX_CONNECTORS:
                self._connectors.pop(next(iter(self._connectors)))
            connector = self._connectors[key] = BotConnector(key, self.session, self.tokens)
        return connector


# ======================================================================== activities


def _addressable(activity: Activity) -> bool:
    """Whether a reply has somewhere to go: a conversation and a service URL."""
    return bool(conversation_id(activity) and activity.service_url)


def reference_of(activity: Activity) -> dict[str, str]:
    """What a proactive message needs later (stored under ``teams:ref:{conversation}``)."""
    recipient = activity.recipient
    return {
        "service_url": str(activity.service_url or ""),
        "conversation_id": conversation_id(activity),
        "tenant_id": tenant_of(activity),
        "bot_id": str(getattr(recipient, "id", "") or ""),
        "bot_name": str(getattr(recipient, "name", "") or ""),
        "channel_id": str(activity.channel_id or ""),
        "conversation_type": conversation_kind(activity).value,
    }


# ========================================================================== rendering


def markdown_text(text: str) -> str:
    """Neutral text as a Teams markdown message: ``**bold**`` and ``[label](url)`` are
    already markdown; each line becomes its own paragraph, since hosts disagree on
    whether a single newline breaks a line."""
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line.strip())


def card_activity(card: Card) -> Activity:
    content = adaptive.render_card(card)
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=content)],
        summary=content.get("fallbackText") or None,
    )


def form_activity(form_card: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=form_card)])


def reply_activity(reply: Reply) -> Activity | None:
    if reply.card is not None:
        return card_activity(reply.card)
    if reply.text.strip():
        return Activity(type=ActivityTypes.message, text=markdown_text(reply.text), text_format="markdown")
    return None


def text_card(text: str) -> dict[str, Any]:
    """A text reply as a card, where only a card can go (replacing a submitted form)."""
    return adaptive.render_card(Card(title="", blocks=(Text(text),), fallback=text))


def form_with_errors(form_card: dict[str, Any], errors: Mapping[str, str], values: Mapping[str, str]) -> dict[str, Any]:
    """The form card again, with what the user typed kept and each error in red under its
    input (Adaptive Cards cannot show a server-side error on an input itself). Errors
    for no known input go above the inputs."""
    card = copy.deepcopy(form_card)
    body: list[dict[str, Any]] = []
    ids = {el.get("id") for el in card.get("body", []) if isinstance(el, dict)}
    loose = [msg for key, msg in errors.items() if key not in ids]
    for el in card.get("body", []):
        if loose and str(el.get("type", "")).startswith("Input."):
            body.extend(_error_block(msg) for msg in loose)
            loose = []
        el_id = el.get("id")
        if el_id in values and _accepts(el, values[el_id]):
            el["value"] = values[el_id]
        body.append(el)
        if el_id in errors:
            body.append(_error_block(errors[el_id]))
    body.extend(_error_block(msg) for msg in loose)
    card["body"] = body
    return card


def _accepts(element: dict[str, Any], value: str) -> bool:
    if element.get("type") == "Input.ChoiceSet":
        return value in {c.get("value") for c in element.get("choices", [])}
    return element.get("type") == "Input.Text"


def _error_block(message: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": plain(message), "color": "Attention", "wrap": True, "spacing": "None", "size": "Small"}


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
    return InvokeResponse(status=200, body=InvokeAnswer(status_code=200, type=CARD_CONTENT_TYPE, value=card))


def keep_card_response() -> InvokeResponse:
    """Processed, no new card: the card on screen stays as it is (Universal Actions'
    response format: only ``application/vnd.microsoft.card.adaptive`` replaces it)."""
    return message_response("")


def message_response(text: str) -> InvokeResponse:
    return InvokeResponse(status=200, body=InvokeAnswer(status_code=200, type=MESSAGE_RESPONSE_TYPE, value=text))


def _bad_invoke(message: str) -> InvokeResponse:
    error = {"code": "BadRequest", "message": message}
    return InvokeResponse(status=400, body=InvokeAnswer(status_code=400, type="application/vnd.microsoft.error", value=error))


# ============================================================================ storage


class ConversationReferences:
    """Where each Teams conversation can be reached later, for proactive messages.

    JSON in the store under ``teams:ref:{conversation_id}``; an in-process copy of what
    was last written means an unchanged reference costs no store call on each turn.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._written: dict[str, str] = {}

    async def remember(self, reference: Mapping[str, str]) -> None:
        conversation = reference.get("conversation_id", "")
        if not conversation or not reference.get("service_url"):
            return
        value = json.dumps(dict(reference), sort_keys=True, separators=(",", ":"))
        if self._written.get(conversation) == value:
            return
        try:
            await self.store.set(REF_PREFIX + conversation, value)
        except StoreUnavailable:
            log.info("store unavailable: Teams conversation reference not saved this turn")
            return
        if len(self._written) >= _MAX_CACHED_REFS:
            self._written.clear()
        self._written[conversation] = value

    async def get(self, conversation: str) -> dict[str, str] | None:
        """The stored reference, or None (also when the store cannot be reached)."""
        try:
            return await self.load(conversation)
        except StoreUnavailable:
            return None

    async def load(self, conversation: str) -> dict[str, str] | None:
        """The stored reference, or None; raises ``StoreUnavailable``, so that the outbox
        retries an item later instead of parking it for want of a service URL."""
        raw = await self.store.get(REF_PREFIX + conversation)
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def forget(self, conversation: str) -> None:
        self._written.pop(conversation, None)
        try:
            await self.store.delete(REF_PREFIX + conversation)
        except StoreUnavailable:
            log.info("store unavailable: Teams conversation reference not deleted")


class FormMemory:
    """The last form card shown to a user in a conversation, so a submit with errors can
    show the same form again with the errors (the invoke carries only the values)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _key(where: Where, user_id: str) -> str:
        return f"{FORM_PREFIX}{where.tenant}:{where.conversation}:{user_id}"

    async def remember(self, where: Where, user_id: str, card: dict[str, Any]) -> None:
        try:
            await self.store.set(self._key(where, user_id), json.dumps(card, separators=(",", ":")), ttl=FORM_TTL)
        except StoreUnavailable:
            log.info("store unavailable: form not kept for re-display")

    async def recall(self, where: Where, user_id: str) -> dict[str, Any] | None:
        try:
            raw = await self.store.get(self._key(where, user_id))
            value = json.loads(raw) if raw else None
        except (StoreUnavailable, ValueError):
            return None
        return value if isinstance(value, dict) else None


# =========================================================================== notifier


class TeamsNotifier:
    """Posts and updates cards in Teams conversations for the outbox (``handlers.ports.Notifier``).

    The service URL is the target's, else the one stored when the bot last heard from
    that conversation.
    """

    def __init__(self, connectors: ConnectorPool, references: ConversationReferences) -> None:
        self.connectors = connectors
        self.references = references

    async def post(self, target: Target, card: Card) -> str:
        connector = await self._connector(target)
        activity = self._activity(card)
        try:
            response = await connector.send_to_conversation(target.conversation, activity)
        except ConnectorError as exc:
            raise exc.delivery_error() from None
        return response.id or ""

    async def update(self, target: Target, ref: str, card: Card) -> None:
        connector = await self._connector(target)
        activity = self._activity(card)
        activity.id = ref
        try:
            await connector.update_activity(target.conversation, ref, activity)
        except ConnectorError as exc:
            raise exc.delivery_error() from None

    async def locate(self, target: Target) -> Target:
        """``target`` with the service URL and tenant stored when the bot last heard from
        its conversation, where the target does not name them (a team channel in config).
        The service URL travels in ``target.address`` (``config/``: ``service_url``)."""
        if target.address.get("service_url"):
            return target
        stored = await self.references.load(target.conversation) or {}
        return replace(target, address={**target.address, "service_url": str(stored.get("service_url", ""))},
                       tenant=target.tenant or str(stored.get("tenant_id", "")))

    async def _connector(self, target: Target) -> BotConnector:
        service_url = (await self.locate(target)).address.get("service_url", "")
        if not service_url:
            raise DeliveryError("teams: no service URL known for this conversation (the bot never heard from it)", permanent=True)
        return self.connectors.get(service_url)

    @staticmethod
    def _activity(card: Card) -> Activity:
        try:
            return card_activity(card)
        except ValueError as exc:
            raise DeliveryError(f"teams: card cannot be rendered ({exc})", permanent=True) from None


# ================================================================================ bot


class TeamsBot(ActivityHandler):
    """Turns activities into neutral turns and the handlers' responses into Teams replies.

    Message-like activities are answered after the HTTP response (tracked background
    tasks); card actions are answered in the invoke response itself, as Teams requires.
    Nothing here raises: a failure is logged, counted and answered as well as possible.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        store: Store,
        references: ConversationReferences,
        forms: FormMemory,
        metrics: Metrics,
        background: Background,
    ) -> None:
        super().__init__()
        self.dispatcher = dispatcher
        self.store = store
        self.references = references
        self.forms = forms
        self.metrics = metrics
        self.background = background

    # -- entry -------------------------------------------------------------------
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self.references.remember(reference_of(activity))
        try:
            await super().on_turn(turn_context)
        except Exception:  # noqa: BLE001 - a bug must not become a 500 (Teams would retry)
            self.metrics.bug("teams", "turn")
            log.exception("handling a Teams %s activity failed", activity.type)
            if activity.type == ActivityTypes.invoke and not turn_context.turn_state.get(TurnContext._INVOKE_RESPONSE_KEY):
                sorry = self._sorry(activity)
                await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=message_response(sorry)))

    def _sorry(self, activity: Activity) -> str:
        """The polite answer to a card press that hit a bug, in the user's language if known."""
        lang = locale_language(locale_of(activity)) or "en"
        return plain(Translator(lang, self.dispatcher.services.catalog.texts)("error.internal"))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value:
            await self._on_submit_message(turn_context)
            return
        turn = self._text_turn(activity)
        if turn is None or not await self._first(f"dedupe:teams:activity:{turn.where.conversation}:{activity.id}", DEDUPE_TTL, bool(activity.id)):
            return
        outcome = await self._run(turn)
        await self._later(turn_context, self._deliver(turn_context, turn, outcome.response))

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
        if not _addressable(activity):
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
        kind = TurnKind.SUBMIT if verb in self.dispatcher.router.submits else TurnKind.ACTION
        return Turn(
            kind=kind,
            where=where_of(activity),
            user_id=user_id,
            user_name=user_name,
            locale=locale_of(activity),
            action=verb,
            data=dict(data),
            dedupe_key=dedupe,
        )

    async def _run(self, turn: Turn) -> Outcome:
        started = time.perf_counter()
        outcome = await self.dispatcher.dispatch(turn)
        self.metrics.observe("teams", outcome.intent, time.perf_counter() - started)
        return outcome

    async def _first(self, key: str, ttl: float, enabled: bool = True) -> bool:
        """True the first time ``key`` is seen: Teams may redeliver, users double-click."""
        if not enabled:
            return True
        try:
            return await self.store.add(key, "1", ttl=ttl)
        except StoreUnavailable:
            return True  # better a rare duplicate answer than silence

    # -- card actions ------------------------------------------------------------
    async def _on_card_action(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        try:
            verb, data = adaptive.parse_invoke_value(activity.value)
        except ValueError as exc:
            return _bad_invoke(str(exc))
        if activity.value.get("trigger") == "automatic":
            # Teams refreshing a card as it is shown. None of this bot's cards asks for a
            # refresh, so the card is an old one or not ours: running its verb would act
            # without anyone pressing anything. Success without a card keeps the card as
            # it is (only a card response replaces it), and the empty message shows nothing.
            return keep_card_response()
        turn = self._action_turn(activity, verb, data, f"teams:invoke:{activity.id or ''}")
        outcome = await self._run(turn)
        return await self._answer_invoke(turn_context, turn, outcome.response)

    async def _answer_invoke(self, turn_context: TurnContext, turn: Turn, response: Response) -> InvokeResponse:
        """The invoke's answer: a card replaces the pressed one in place, a message is shown
        to the presser; anything for the whole conversation is also posted."""
        if isinstance(response, OpenForm):
            card = adaptive.render_form(response.form)
            await self.forms.remember(turn.where, turn.user_id, card)
            return card_response(card)
        if isinstance(response, FormErrors):
            form = await self.forms.recall(turn.where, turn.user_id)
            if form is None:
                return message_response(" ".join(plain(m) for m in response.errors.values()))
            return card_response(form_with_errors(form, response.errors, turn.data))
        if not isinstance(response, Reply):
            return message_response("")
        if response.card is not None and (response.replace or turn.kind is TurnKind.SUBMIT):
            return card_response(adaptive.render_card(response.card))
        if response.card is None and turn.kind is TurnKind.SUBMIT:
            return card_response(text_card(response.text))
        if response.card is not None or not response.private:
            await self._later(turn_context, self._send(turn_context, reply_activity(response)))
        summary = (response.card.fallback or response.card.title) if response.card is not None else response.text
        return message_response(" ".join(plain(summary).split()))

    async def _on_submit_message(self, turn_context: TurnContext) -> None:
        """A message carrying a card's ``Action.Submit`` data (clients without Universal
        Actions): the same turn as the invoke, answered with messages and updates."""
        activity = turn_context.activity
        try:
            verb, data = adaptive.parse_submit_value(activity.value)
        except ValueError:
            return  # not one of our cards
        turn = self._action_turn(activity, verb, data, f"teams:submit:{activity.id or ''}")
        outcome = await self._run(turn)
        response = outcome.response
        if isinstance(response, Reply) and response.replace and response.card is not None and activity.reply_to_id:
            update = card_activity(response.card)
            update.id = activity.reply_to_id
            await self._later(turn_context, self._update(turn_context, update))
            return
        await self._later(turn_context, self._deliver(turn_context, turn, response))

    # -- welcome -----------------------------------------------------------------
    async def _welcome(self, turn_context: TurnContext) -> None:
        """The welcome card, once per conversation even though Teams announces an install
        twice (conversationUpdate and installationUpdate)."""
        activity = turn_context.activity
        if not _addressable(activity):
            return
        where = where_of(activity)
        if not await self._first(f"dedupe:teams:welcome:{where.tenant}:{where.conversation}", WELCOME_TTL):
            return
        user_id, user_name = user_of(activity)
        if TurnKind.INSTALL in self.dispatcher.router.special:
            turn = Turn(kind=TurnKind.INSTALL, where=where, user_id=user_id, user_name=user_name, locale=locale_of(activity))
        else:
            turn = Turn(kind=TurnKind.MESSAGE, where=where, user_id=user_id, user_name=user_name, locale=locale_of(activity), text="help")
        outcome = await self._run(turn)
        await self._later(turn_context, self._deliver(turn_context, turn, outcome.response, thread=False))

    # -- delivery ----------------------------------------------------------------
    async def _later(self, turn_context: TurnContext, work: Coroutine[Any, Any, None]) -> None:
        """Outbound calls run after the HTTP answer (tracked, drained at shutdown), except
        when the caller asked for the replies in the response (``expectReplies``: the SDK
        buffers them and returns them in the body, so they must exist before it answers)."""
        if turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
            await work
            return
        await self.background.spawn(work)

    async def _deliver(self, turn_context: TurnContext, turn: Turn, response: Response, *, thread: bool = True) -> None:
        if isinstance(response, Reply):
            await self._send(turn_context, reply_activity(response), thread=thread)
        elif isinstance(response, OpenForm):
            card = adaptive.render_form(response.form)
            await self.forms.remember(turn.where, turn.user_id, card)
            await self._send(turn_context, form_activity(card), thread=thread)
        elif isinstance(response, FormErrors):
            form = await self.forms.recall(turn.where, turn.user_id)
            if form is not None:
                await self._send(turn_context, form_activity(form_with_errors(form, response.errors, turn.data)))
            else:
                text = "\n".join(response.errors.values())
                await self._send(turn_context, reply_activity(Reply(text=text)))
        elif isinstance(response, NoReply):
            return

    async def _send(self, turn_context: TurnContext, activity: Activity | None, *, thread: bool = True) -> None:
        """Through the SDK's ``TurnContext`` (which addresses the reply); ``thread=False``
        posts at the top of the conversation instead of replying to the incoming activity."""
        if activity is None:
            return
        try:
            if thread and turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
                await turn_context.send_activity(activity)  # buffered into the HTTP response
            elif thread:
                # What TurnContext.send_activity does, minus its deep copy of the activity.
                reference = TurnContext.get_conversation_reference(turn_context.activity)
                outgoing = TurnContext.apply_conversation_reference(activity, reference)
                await turn_context.adapter.send_activities(turn_context, [outgoing])
            else:
                reference = TurnContext.get_conversation_reference(turn_context.activity)
                outgoing = TurnContext.apply_conversation_reference(activity, reference)
                outgoing.reply_to_id = None
                outgoing.conversation = copy.copy(reference.conversation)  # not the incoming activity's object
                outgoing.conversation.id = conversation_id(turn_context.activity)
                await turn_context.adapter.send_activities(turn_context, [outgoing])
        except ConnectorError as exc:
            self.metrics.errors.labels("teams", "post").inc()
            log.warning("sending a reply to Teams failed: %s", exc.reason)
        except Exception:  # noqa: BLE001 - a reply that cannot even be built is a bug to log, not a crash
            self.metrics.bug("teams", "reply")
            log.exception("building a reply to Teams failed")

    async def _update(self, turn_context: TurnContext, activity: Activity) -> None:
        try:
            await turn_context.update_activity(activity)
        except ConnectorError as exc:
            self.metrics.errors.labels("teams", "update").inc()
            log.warning("updating a Teams card failed: %s", exc.reason)
        except Exception:  # noqa: BLE001 - see _send
            self.metrics.bug("teams", "reply")
            log.exception("building a Teams card update failed")


# ============================================================================ adapter


class TeamsAdapter:
    """Receives ``POST /api/messages``, runs it through ``CloudAdapter``, owns the notifier.

    With ``MICROSOFT_APP_ID`` every request must carry a Bot Framework token; without it
    only ``TEAMS_DEV_NO_AUTH=1`` makes the adapter accept requests (unauthenticated, for
    the Bot Framework Emulator), and ``bot.app`` builds no adapter at all otherwise.
    """

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        store: Store,
        session: aiohttp.ClientSession,
        metrics: Metrics,
        background: Background,
    ) -> None:
        if not settings.microsoft_app_id and not settings.teams_dev_no_auth:
            raise ValueError("Teams needs MICROSOFT_APP_ID (or TEAMS_DEV_NO_AUTH=1 for the Emulator)")
        self.settings = settings
        self.metrics = metrics
        self.auth_enabled = bool(settings.microsoft_app_id)
        self.metadata_url = settings.botframework_openid_metadata_url or DEFAULT_OPENID_METADATA_URL
        self.tokens = AccessTokens(session, settings) if self.auth_enabled else None
        self.connectors = ConnectorPool(session, self.tokens)
        keys = SigningKeys(session, self.metadata_url) if self.auth_enabled else None
        self.authentication = TeamsAuthentication(settings.microsoft_app_id, keys, self.connectors)
        self.cloud = CloudAdapter(self.authentication)
        self.cloud.on_turn_error = self._on_turn_error
        self.references = ConversationReferences(store)
        self.notifier = TeamsNotifier(self.connectors, self.references)
        self.bot = TeamsBot(dispatcher, store, self.references, FormMemory(store), metrics, background)

    async def start(self) -> None:
        """Say how requests are authenticated. Keys are fetched on the first request, so
        starting never waits on (or needs) the network."""
        if self.auth_enabled:
            if self.settings.teams_dev_no_auth:
                log.warning("TEAMS_DEV_NO_AUTH is ignored: MICROSOFT_APP_ID is set, so every Teams request is authenticated")
            log.info("Teams: Bot Framework tokens verified with keys from %s (%s)", self.metadata_url, self.settings.microsoft_app_type)
        else:
            log.warning("Teams: TEAMS_DEV_NO_AUTH=1 and no MICROSOFT_APP_ID: accepting UNAUTHENTICATED requests (Emulator only)")
        tenants = self.settings.teams_tenants
        log.info("Teams: answering %s", f"tenant(s) {', '.join(sorted(tenants))} only" if tenants else "any tenant")

    async def close(self) -> None:
        """Nothing to release: the HTTP session belongs to the app."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.auth_enabled:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return self._unauthorized()  # no credentials at all
            try:
                # Signature, issuer, audience, expiry and the key's endorsement for Teams,
                # before a byte of the body is read: an unauthenticated request costs one
                # token check, never a parse. ``CloudAdapter.process`` checks the same
                # token again (answered from the cache) with the activity's serviceUrl.
                await self.authentication.identity(auth, TEAMS_CHANNEL, None)
            except AuthFailed:
                return self._unauthorized()
        if request.content_type != "application/json":
            return self._refuse(415, "format", "expected an application/json Bot Framework activity")
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._refuse(400, "format", "body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return self._refuse(400, "format", "body is not a Bot Framework activity")
        refused = refusal(body, emulator_allowed=not self.auth_enabled, tenants=self.settings.teams_tenants)
        if refused is not None:
            log.info("refused a Teams activity: %s", refused[1])
            return self._refuse(403, *refused)
        try:
            response = await self.cloud.process(request, self.bot)
        except web.HTTPUnauthorized:
            return self._unauthorized()
        except web.HTTPException as exc:
            return self._refuse(exc.status if exc.status < 500 else 400, "format", exc.reason)
        except DeserializationError:
            return self._refuse(400, "format", "activity does not match the Bot Framework schema")
        except Exception:  # noqa: BLE001 - never a 500 to Teams (it would retry the same activity)
            self.metrics.bug("teams", "activity")
            log.exception("processing a Teams activity failed")
            return web.Response(status=200)
        if response is None or response.status == 201:
            return web.Response(status=200)
        return response

    def _unauthorized(self) -> web.Response:
        self.metrics.rejected.labels("teams", "auth").inc()
        return web.json_response({"error": "unauthorized"}, status=401)

    def _refuse(self, status: int, reason: str, message: str) -> web.Response:
        self.metrics.rejected.labels("teams", reason).inc()
        return web.json_response({"error": message}, status=status)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        self.metrics.bug("teams", "turn")
        log.error("a Teams turn failed", exc_info=error)


__all__ = [
    "AccessTokens",
    "BotConnector",
    "ConnectorError",
    "ConnectorPool",
    "ConversationReferences",
    "SigningKeys",
    "TeamsAdapter",
    "TeamsAuthentication",
    "TeamsBot",
    "TeamsNotifier",
    "strip_mentions",
    "where_of",
]
