"""The Teams app package: ``manifest.json`` (schema v1.17) and its two icons, in one zip.

``onboarding-bot manifest teams --out FILE`` writes it; upload it in Teams (Apps > Manage
your apps > Upload an app) or in the Teams Developer Portal. Everything comes from the
settings and the catalog, so the package always points at this deployment: the bot id is
``MICROSOFT_APP_ID`` and the only valid domain is ``PUBLIC_URL``'s host.

The icons are drawn here, in pure Python (zlib + struct), so building a package needs no
download and no image library: a server rack, the site's most recognisable object, white
on the accent colour (``color.png``, 192x192, glyph inside Teams' 120 px safe zone) and
white on transparent (``outline.png``, 32x32, as Teams requires).
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings
from handlers.catalog import Catalog

log = logging.getLogger(__name__)

SCHEMA_URL = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
PLACEHOLDER_APP_ID = "00000000-0000-0000-0000-000000000000"
ACCENT = (0x1F, 0x29, 0x37)  # the Slack manifest's background colour: one brand on both platforms
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SCOPES = ("personal", "team", "groupChat")
LIMITS = {"name.short": 30, "name.full": 100, "description.short": 80, "description.full": 4000, "command.title": 32, "command.description": 128}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same settings give the same bytes

COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "What I can do, with buttons for the main answers"),
    ("team", "Your account team: who handles what, and how to reach them"),
    ("gsd", "How to reach the Global Service Desk, and whether it is open to you yet"),
    ("ecp", "How the customer portal (ECP) works"),
    ("ask", "Ask a question in your own words; I point you to the right person or desk"),
    ("escalate", "Send a request to the onboarding team"),
    ("status", "Your requests to the onboarding team and where they stand"),
    ("lang", "Choose my reply language: lang fr or lang en"),
)


class PackageError(ValueError):
    """The settings or catalog cannot make a valid package; the message says what to fix."""


# ============================================================================ manifest


def _app_id(settings: Settings) -> str:
    app_id = settings.microsoft_app_id.strip()
    if not app_id:
        log.warning("MICROSOFT_APP_ID is not set: the Teams package uses the placeholder id %s; "
                    "set it to the bot's Microsoft app id before uploading", PLACEHOLDER_APP_ID)
        return PLACEHOLDER_APP_ID
    if not _GUID.match(app_id):
        raise PackageError(f"MICROSOFT_APP_ID must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got {app_id!r}")
    return app_id


def _version() -> str:
    """The project's version when it is plain major.minor.patch (what Teams accepts)."""
    try:
        version = importlib.metadata.version("am11-onboarding-bot")
    except importlib.metadata.PackageNotFoundError:
        return "1.0.0"
    return version if _SEMVER.match(version) else "1.0.0"


def _https(url: str, what: str) -> str:
    if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        raise PackageError(f"{what} must be an https URL, got {url!r}")
    return url


def _domain(public_url: str) -> str:
    host = urlsplit(public_url).hostname
    if not host:
        raise PackageError(f"PUBLIC_URL has no host name: {public_url!r}")
    return host


def _check_lengths(manifest: dict[str, Any]) -> None:
    checks = [
        ("name.short", manifest["name"]["short"]),
        ("name.full", manifest["name"]["full"]),
        ("description.short", manifest["description"]["short"]),
        ("description.full", manifest["description"]["full"]),
    ]
    for command in manifest["bots"][0]["commandLists"][0]["commands"]:
        checks.append(("command.title", command["title"]))
        checks.append(("command.description", command["description"]))
    for field, value in checks:
        if not value or len(value) > LIMITS[field]:
            raise PackageError(f"Teams manifest {field} must be 1 to {LIMITS[field]} characters, got {len(value)}: {value!r}")


def teams_manifest(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """The manifest as a dict. Raises PackageError for anything Teams would refuse."""
    site = catalog.site
    app_id = _app_id(settings)
    center = _https(site.resource_center.url, "the site's resource_center.url")
    manifest: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": _version(),
        "id": app_id,
        "developer": {
            "name": site.provider,
            "websiteUrl": center,
            "privacyUrl": center,
            "termsOfUseUrl": center,
        },
        "name": {"short": f"{site.code} Onboarding", "full": f"{site.code} onboarding assistant"},
        "description": {
            "short": f"Your account team, the service desk and the onboarding team for {site.code}.",
            "full": (
                f"Helps customers being onboarded to {site.code} (formerly {site.former_name}) while they cannot "
                "use the customer portal or the Global Service Desk yet: who handles what on their account team, "
                "how to reach the service desk, how the portal works, and a direct line to the onboarding team. "
                "Mention the bot in a channel or chat with it directly. Answers in English and French."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": list(SCOPES),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": list(SCOPES), "commands": [{"title": t, "description": d} for t, d in COMMANDS]}
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [_domain(settings.public_url)],
    }
    _check_lengths(manifest)
    return manifest


# =============================================================================== icons


@dataclass(frozen=True, slots=True)
class RoundRect:
    x0: float
    y0: float
    x1: float
    y1: float
    r: float = 0.0

    def span(self, y: float) -> tuple[float, float] | None:
        if y < self.y0 or y >= self.y1:
            return None
        r = min(self.r, (self.x1 - self.x0) / 2, (self.y1 - self.y0) / 2)
        inset = 0.0
        if y < self.y0 + r:
            inset = r - math.sqrt(max(0.0, r * r - (self.y0 + r - y) ** 2))
        elif y > self.y1 - r:
            inset = r - math.sqrt(max(0.0, r * r - (y - (self.y1 - r)) ** 2))
        return self.x0 + inset, self.x1 - inset


@dataclass(frozen=True, slots=True)
class Circle:
    cx: float
    cy: float
    r: float

    def span(self, y: float) -> tuple[float, float] | None:
        dy = y - self.cy
        if abs(dy) >= self.r:
            return None
        dx = math.sqrt(self.r * self.r - dy * dy)
        return self.cx - dx, self.cx + dx


Shape = RoundRect | Circle


def coverage(size: int, strokes: Iterable[tuple[Shape, bool]], *, samples: int = 4) -> list[float]:
    """How much of each pixel the glyph covers (0..1), row by row.

    ``strokes`` are painted in order: True adds the shape, False cuts it out. Each pixel
    is sampled ``samples`` x ``samples`` times, which is all the anti-aliasing an icon
    this simple needs.
    """
    n = size * samples
    mask = bytearray(n * n)
    for shape, on in strokes:
        value = 1 if on else 0
        for j in range(n):
            span = shape.span((j + 0.5) / samples)
            if span is None:
                continue
            a = max(0, math.ceil(span[0] * samples - 0.5))
            b = min(n, math.ceil(span[1] * samples - 0.5))
            if b > a:
                mask[j * n + a : j * n + b] = bytes([value]) * (b - a)
    full = samples * samples
    out = []
    for y in range(size):
        rows = [mask[(y * samples + k) * n : (y * samples + k + 1) * n] for k in range(samples)]
        for x in range(size):
            lo, hi = x * samples, (x + 1) * samples
            out.append(sum(sum(row[lo:hi]) for row in rows) / full)
    return out


def rack(*, left: float, top: float, width: float, unit: float, gap: float, radius: float, led: float, slot: float) -> list[tuple[Shape, bool]]:
    """Three server units, each with a status light and a drive slot cut out: a rack.

    Positions are in pixels; the outline icon uses whole-pixel edges so its 32 px stay sharp.
    """
    strokes: list[tuple[Shape, bool]] = []
    for i in range(3):
        y = top + i * (unit + gap)
        middle = y + unit / 2
        strokes.append((RoundRect(left, y, left + width, y + unit, radius), True))
        strokes.append((Circle(left + unit / 2, middle, led), False))
        strokes.append((RoundRect(left + unit, middle - slot / 2, left + width - unit / 2, middle + slot / 2, slot / 2), False))
    return strokes


def png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG (no filtering: these images are tiny)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def color_icon() -> bytes:
    """192x192: the rack in white on the accent colour, inside the 120x120 safe zone."""
    cover = coverage(COLOR_SIZE, rack(left=40, top=42, width=112, unit=30, gap=9, radius=7, led=6, slot=6))
    pixels = bytearray()
    for c in cover:
        pixels += bytes(round(a + (255 - a) * c) for a in ACCENT) + b"\xff"
    return png(COLOR_SIZE, COLOR_SIZE, bytes(pixels))


def outline_icon() -> bytes:
    """32x32: the same rack, white on transparent, the only colours Teams allows here."""
    cover = coverage(OUTLINE_SIZE, rack(left=5, top=5, width=22, unit=6, gap=2, radius=1.5, led=1.5, slot=2))
    pixels = bytearray()
    for c in cover:
        pixels += b"\xff\xff\xff" + bytes([round(255 * c)])
    return png(OUTLINE_SIZE, OUTLINE_SIZE, bytes(pixels))


# ============================================================================= package


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_teams_package(settings: Settings, catalog: Catalog, out_path: Path | str) -> Path:
    """Write the app package zip (manifest.json, color.png, outline.png at its root)."""
    manifest = teams_manifest(settings, catalog)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(_entry("manifest.json"), json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        package.writestr(_entry("color.png"), color_icon())
        package.writestr(_entry("outline.png"), outline_icon())
    return out


__all__ = ["PackageError", "color_icon", "outline_icon", "png", "teams_manifest", "write_teams_package"]
