"""Settings from the environment (12-factor), read once by the CLI and passed down.

Nothing reads the environment at import time. Secrets are wrapped in ``Secret`` so a
stray ``repr`` or log line shows ``***`` instead of the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class Secret(str):
    """A string that never shows itself in ``repr`` or f-string debugging."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SettingsError(f"{name} must be a number of seconds (0 or more), got {raw!r}")
    return value


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if not 0 <= value <= 366:
        raise SettingsError(f"{name} must be a number of days from 0 to 366, got {value}")
    return value


def _sentinels(raw: str) -> tuple[tuple[str, int], ...]:
    out = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit():
            raise SettingsError(f"REDIS_SENTINELS must look like host:port,host:port; got {part!r}")
        out.append((host.strip("[]"), int(port)))
    return tuple(out)


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    """The variable without surrounding spaces; ``default`` when unset or blank."""
    return env.get(name, "").strip() or default


def _log_format(env: Mapping[str, str]) -> str:
    log_format = _text(env, "LOG_FORMAT", "text").lower()
    if log_format not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}")
    return log_format


def _app_type(env: Mapping[str, str]) -> str:
    app_type = _text(env, "MICROSOFT_APP_TYPE", "MultiTenant")
    if app_type not in _APP_TYPES:
        raise SettingsError(f"MICROSOFT_APP_TYPE must be one of {', '.join(_APP_TYPES)}, got {app_type!r}")
    return app_type


def _tenant_id(env: Mapping[str, str]) -> str:
    tenant_id = _text(env, "MICROSOFT_APP_TENANT_ID")
    if _app_type(env) == "SingleTenant" and _text(env, "MICROSOFT_APP_ID") and not tenant_id:
        raise SettingsError("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID (the only tenant it answers)")
    return tenant_id


def _public_url(env: Mapping[str, str], port: int) -> str:
    public_url = _text(env, "PUBLIC_URL").rstrip("/") or f"http://localhost:{port}"
    scheme, sep, rest = public_url.partition("://")
    if not sep or scheme.lower() not in ("https", "http") or not rest:
        raise SettingsError(f"PUBLIC_URL must be a full address such as https://bot.example.com, got {public_url!r}")
    return public_url


def _slack_api_url(env: Mapping[str, str]) -> str:
    api_url = _text(env, "SLACK_API_URL", "https://slack.com/api/")
    return api_url if api_url.endswith("/") else api_url + "/"


@dataclass(frozen=True)
class Settings:
    port: int = 3978
    host: str = "0.0.0.0"
    public_url: str = "http://localhost:3978"
    config_dir: Path = Path("config")
    log_level: str = "INFO"
    log_format: str = "text"
    redis_url: str = ""
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "mymaster"
    redis_cache_seconds: float = 5.0
    slack_signing_secret: Secret = Secret("")
    slack_bot_token: Secret = Secret("")
    slack_api_url: str = "https://slack.com/api/"
    slack_command: str = "/equinix"
    slack_api_timeout: float = 10.0
    state_dir: Path = Path(".bot-state")
    shutdown_drain_seconds: float = 10.0
    microsoft_app_id: str = ""
    microsoft_app_password: Secret = Secret("")
    microsoft_app_type: str = "MultiTenant"
    microsoft_app_tenant_id: str = ""
    botframework_openid_metadata_url: str = ""
    botframework_token_url: str = ""
    microsoft_allowed_tenants: tuple[str, ...] = ()
    teams_dev_no_auth: bool = False
    max_body_bytes: int = 1024 * 1024
    rate_limit_per_user: int = 30
    rate_limit_per_conversation: int = 120
    rate_limit_escalations: int = 5
    lookup_budget_seconds: float = 0.5
    question_sample_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        port = _int(env, "PORT", 3978)
        return cls(
            port=port,
            host=_text(env, "HOST", "0.0.0.0"),
            public_url=_public_url(env, port),
            config_dir=Path(_text(env, "BOT_CONFIG_DIR", "config")),
            log_level=_text(env, "LOG_LEVEL", "INFO").upper(),
            log_format=_log_format(env),
            redis_url=_text(env, "REDIS_URL"),
            redis_sentinels=_sentinels(env.get("REDIS_SENTINELS", "")),
            redis_sentinel_master=_text(env, "REDIS_SENTINEL_MASTER", "mymaster"),
            redis_cache_seconds=_seconds(env, "REDIS_CACHE_SECONDS", 5.0),
            slack_signing_secret=Secret(_text(env, "SLACK_SIGNING_SECRET")),
            slack_bot_token=Secret(_text(env, "SLACK_BOT_TOKEN")),
            slack_api_url=_slack_api_url(env),
            slack_api_timeout=_seconds(env, "SLACK_API_TIMEOUT", 10.0) or 10.0,
            state_dir=Path(_text(env, "STATE_DIR", ".bot-state")),
            shutdown_drain_seconds=_seconds(env, "SHUTDOWN_DRAIN_SECONDS", 10.0),
            microsoft_app_id=_text(env, "MICROSOFT_APP_ID"),
            microsoft_app_password=Secret(_text(env, "MICROSOFT_APP_PASSWORD")),
            microsoft_app_type=_app_type(env),
            microsoft_app_tenant_id=_tenant_id(env),
            microsoft_allowed_tenants=tuple(t.strip().lower() for t in env.get("MICROSOFT_ALLOWED_TENANTS", "").split(",") if t.strip()),
            botframework_openid_metadata_url=_text(env, "BOTFRAMEWORK_OPENID_METADATA_URL"),
            botframework_token_url=_text(env, "BOTFRAMEWORK_TOKEN_URL"),
            teams_dev_no_auth=_text(env, "TEAMS_DEV_NO_AUTH") in ("1", "true", "yes"),
            rate_limit_per_user=_int(env, "RATE_LIMIT_PER_USER", 30),
            rate_limit_per_conversation=_int(env, "RATE_LIMIT_PER_CONVERSATION", 120),
            rate_limit_escalations=_int(env, "RATE_LIMIT_ESCALATIONS", 5),
            lookup_budget_seconds=_seconds(env, "LOOKUP_BUDGET_SECONDS", 0.5),
            question_sample_days=_days(env, "QUESTION_SAMPLE_DAYS", 30),
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and self.slack_bot_token)

    @property
    def teams_tenants(self) -> frozenset[str]:
        """The tenants whose Teams activities are answered; empty: any tenant. A
        single-tenant app answers its own tenant only, whatever the allow-list says."""
        if self.microsoft_app_type == "SingleTenant" and self.microsoft_app_tenant_id:
            return frozenset({self.microsoft_app_tenant_id.lower()})
        return frozenset(self.microsoft_allowed_tenants)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_dev_no_auth

    def secrets(self) -> list[str]:
        """Every secret value set, so log filters and tests can look for leaks."""
        return [s for s in (self.slack_signing_secret, self.slack_bot_token, self.microsoft_app_password) if s]
