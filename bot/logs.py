"""Logging set-up: text or JSON lines, and a filter every record passes on its way out.

The filter sits on the root handler, so it sees what every logger writes, the SDKs'
included (bolt, slack_sdk, botbuilder, aiohttp). Code here never logs request bodies,
but a library might (bolt quotes a request it refuses; an exception message may quote
a URL with a token or a value a customer typed), so the filter, applied to the message
with its arguments and to the exception text:

* masks known secrets, Slack/JWT token shapes and Redis URL passwords;
* masks every stand-alone 4-digit number (the shape of a service-desk PIN), except a
  port after a host (``:3978``) and the year of an ISO date (``2026-12-02``);
* escapes newlines and other control characters in the message, so nothing quoted
  from a request can start a forged line of its own, and indents every line of an
  exception's text for the same reason;
* bounds both: a quoted request is an excerpt, never the whole body.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from typing import TextIO

_TOKENS = re.compile(r"\b(xox[abprs]-[A-Za-z0-9-]{6,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
_REDIS_PASSWORD = re.compile(r"(redis(?:s)?://[^:/@\s]*:)([^@\s]+)(@)")
# Four digits not inside a longer number; a URL-encoded separator (%20, %2B, %3A, %0A...)
# before them counts as a separator, not as digits.
_CODE = re.compile(r"(?:(?<![0-9])|(?<=%[0-9A-Fa-f]{2}))([0-9]{4})(?![0-9])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_MESSAGE = 2000
MAX_EXCEPTION = 8000
MASK = "****"


def mask_codes(text: str) -> str:
    """Every stand-alone 4-digit number as ``****``, but for ports and ISO-date years."""

    def keep_or_mask(m: re.Match[str]) -> str:
        start, end = m.start(1), m.end(1)
        before = text[start - 1] if start else ""
        after = text[end : end + 3]
        if before == ":" and start >= 2 and (text[start - 2].isalnum() or text[start - 2] in "]"):
            return m.group(1)  # host:port
        if re.match(r"-[01]\d-", after + text[end + 3 : end + 4]):
            return m.group(1)  # 2026-12-02
        return MASK

    return _CODE.sub(keep_or_mask, text)


def escape_controls(text: str) -> str:
    """Newlines, control and invisible format characters as visible escapes (``\\n``)."""

    def escape(m: re.Match[str]) -> str:
        ch = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{ord(ch):04x}")

    return _CONTROL.sub(escape, text)


def excerpt(text: str, limit: int) -> str:
    """At most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


class RedactingFilter(logging.Filter):
    """Masks secrets and codes, escapes control characters, bounds sizes (see the module)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = _TOKENS.sub("***", text)
        text = _REDIS_PASSWORD.sub(r"\1***\3", text)
        return mask_codes(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True  # a record reaching a second handler is already clean
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a library's bad format string is still logged, raw
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = excerpt(escape_controls(self.redact(message)), MAX_MESSAGE)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            text = excerpt(self.redact(record.exc_text), MAX_EXCEPTION)
            # Each line escaped and indented: no line of it can pass for a log line.
            record.exc_text = "\n".join("  | " + escape_controls(line) for line in text.split("\n"))
        if record.stack_info:
            record.stack_info = "\n".join("  | " + escape_controls(line) for line in self.redact(record.stack_info).split("\n"))
        record._redacted = True
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


def configure(level: str, fmt: str, secrets: Iterable[str], stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These libraries log request payloads at DEBUG; user text must not reach the logs.
    for chatty in ("slack_bolt", "slack_sdk", "botbuilder", "msrest", "msal", "urllib3", "aiohttp.access"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLevelName(level) if isinstance(logging.getLevelName(level), int) else logging.INFO))
