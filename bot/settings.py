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
        log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in ("text", "json"):
            raise SettingsError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}")
        app_type = env.get("MICROSOFT_APP_TYPE", "").strip() or "MultiTenant"
        if app_type not in _APP_TYPES:
            raise SettingsError(f"MICROSOFT_APP_TYPE must be one of {', '.join(_APP_TYPES)}, got {app_type!r}")
        tenant_id = env.get("MICROSOFT_APP_TENANT_ID", "").strip()
        if app_type == "SingleTenant" and env.get("MICROSOFT_APP_ID", "").strip() and not tenant_id:
            raise SettingsError("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID (the only tenant it answers)")
        port = _int(env, "PORT", 3978)
        public_url = env.get("PUBLIC_URL", "").strip().rstrip("/") or f"http://localhost:{port}"
        scheme, sep, rest = public_url.partition("://")
        if not sep or scheme.lower() not in ("https", "http") or not rest:
            raise SettingsError(f"PUBLIC_URL must be a full address such as https://bot.example.com, got {public_url!r}")
        api_url = env.get("SLACK_API_URL", "").strip() or "https://slack.com/api/"
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            port=port,
            host=env.get("HOST", "").strip() or "0.0.0.0",
            public_url=public_url,
            config_dir=Path(env.get("BOT_CONFIG_DIR", "").strip() or "config"),
            log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
            log_format=log_format,
            redis_url=env.get("REDIS_URL", "").strip(),
            redis_sentinels=_sentinels(env.get("REDIS_SENTINELS", "")),
            redis_sentinel_master=env.get("REDIS_SENTINEL_MASTER", "").strip() or "mymaster",
            redis_cache_seconds=_seconds(env, "REDIS_CACHE_SECONDS", 5.0),
            slack_signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "").strip()),
            slack_bot_token=Secret(env.get("SLACK_BOT_TOKEN", "").strip()),
            slack_api_url=api_url,
            slack_api_timeout=_seconds(env, "SLACK_API_TIMEOUT", 10.0) or 10.0,
            state_dir=Path(env.get("STATE_DIR", "").strip() or ".bot-state"),
            shutdown_drain_seconds=_seconds(env, "SHUTDOWN_DRAIN_SECONDS", 10.0),
            microsoft_app_id=env.get("MICROSOFT_APP_ID", "").strip(),
            microsoft_app_password=Secret(env.get("MICROSOFT_APP_PASSWORD", "").strip()),
            microsoft_app_type=app_type,
            microsoft_app_tenant_id=tenant_id,
            microsoft_allowed_tenants=tuple(t.strip().lower() for t in env.get("MICROSOFT_ALLOWED_TENANTS", "").split(",") if t.strip()),
            botframework_openid_metadata_url=env.get("BOTFRAMEWORK_OPENID_METADATA_URL", "").strip(),
            botframework_token_url=env.get("BOTFRAMEWORK_TOKEN_URL", "").strip(),
            teams_dev_no_auth=env.get("TEAMS_DEV_NO_AUTH", "").strip() in ("1", "true", "yes"),
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
