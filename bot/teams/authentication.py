"""Inbound authentication: Bot Framework tokens checked by the SDK's own validators.

Why it goes around the SDK here: the stock ``ConfigurationBotFrameworkAuthentication``
reads signing keys with ``_OpenIdMetadata``, which fetches the OpenID configuration and
JWKS with blocking ``requests`` on the event loop, keeps them in a process-wide cache,
and raises IndexError on an unknown key id (a 500). ``TeamsAuthentication`` runs the
SDK's ``JwtTokenExtractor`` (issuer allow-list, endorsements, algorithm allow-list, RS256
signature, expiry with 5 minutes of clock skew) and ``ChannelValidation.validate_identity``
(issuer and audience = our app id), then the SDK's ``serviceurl`` claim check; only its
key source is ours (``bot.teams.keys``). Every failure becomes ``AuthFailed`` (a
PermissionError), which ``CloudAdapter.process`` turns into 401.

It relies on ``JwtTokenExtractor`` keeping its key source in ``open_id_metadata`` and its
options in ``validation_parameters`` (its ``__init__`` is skipped, see below) and on the
``BotFrameworkAuthentication`` methods ``CloudAdapter`` calls: tests/bot/test_teams_sdk.py
fails if the SDK changes either.
"""

from __future__ import annotations

import logging
import time

import jwt
from botbuilder.schema import Activity, CallerIdConstants
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

from bot.teams.keys import AuthFailed, SigningKeys

log = logging.getLogger(__name__)

DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
CHANNEL_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER  # https://api.botframework.com
BOT_CONNECTOR_AUDIENCE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # https://api.botframework.com
_CLOCK_SKEW = 5 * 60  # the SDK's tolerance for exp/nbf


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

    def __init__(self, app_id: str, keys: SigningKeys | None, connectors: ConnectorFactory) -> None:
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


__all__ = ["BOT_CONNECTOR_AUDIENCE", "DEFAULT_OPENID_METADATA_URL", "AuthFailed", "TeamsAuthentication"]
