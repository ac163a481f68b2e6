"""Logging set-up: text or JSON lines, and a filter that masks secrets and 4-digit codes.

The filter is the last line of defence: code never logs request bodies or secrets, but
a third-party library might (an exception message quoting a URL with a token, say).
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Iterable

_TOKENS = re.compile(r"\b(xox[abprs]-[A-Za-z0-9-]{6,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
_REDIS_PASSWORD = re.compile(r"(redis(?:s)?://[^:/@\s]*:)([^@\s]+)(@)")


class RedactingFilter(logging.Filter):
    """Masks known secret values, Slack/JWT token shapes and Redis URL passwords."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = _TOKENS.sub("***", text)
        return _REDIS_PASSWORD.sub(r"\1***\3", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These libraries log request payloads at DEBUG; user text must not reach the logs.
    for chatty in ("slack_bolt", "slack_sdk", "botbuilder", "msrest", "msal", "urllib3", "aiohttp.access"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLevelName(level) if isinstance(logging.getLevelName(level), int) else logging.INFO))
