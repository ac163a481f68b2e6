"""The Teams app package: a zip Teams accepts, built from the settings."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from bot.teams.package import PLACEHOLDER_APP_ID, PackageError, teams_manifest, write_teams_package

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "5f0c7e2a-3b1d-4c9e-8a6f-0d2b4e6a8c10"


def settings(**env: str) -> Settings:
    return Settings.from_env({"MICROSOFT_APP_ID": APP_ID, "PUBLIC_URL": "https://bot.example.com", "BOT_CONFIG_DIR": str(ROOT / "config"), **env})


def read_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw RGBA rows) read from the IHDR and IDAT chunks."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.setdefault(kind, b"")
        chunks[kind] += body
        pos += 12 + length
    assert b"IEND" in chunks
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8
    return width, height, colour, zlib.decompress(chunks[b"IDAT"])


def pixels(raw: bytes, width: int) -> list[tuple[int, int, int, int]]:
    stride = width * 4 + 1
    out = []
    for row in range(len(raw) // stride):
        line = raw[row * stride : (row + 1) * stride]
        assert line[0] == 0  # no filter
        out += [tuple(line[1 + i : 5 + i]) for i in range(0, width * 4, 4)]
    return out


@pytest.fixture
def package(tmp_path, catalog) -> zipfile.ZipFile:
    out = write_teams_package(settings(), catalog, tmp_path / "teams-app.zip")
    return zipfile.ZipFile(out)


def test_zip_holds_the_manifest_and_two_icons_at_its_root(package):
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert package.testzip() is None


def test_manifest_targets_schema_1_17_and_ids_are_consistent(package):
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["$schema"] == "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
    assert manifest["manifestVersion"] == "1.17"
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is False
    assert manifest["validDomains"] == ["bot.example.com"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert all(ch in "0123456789." for ch in manifest["version"]) and manifest["version"].count(".") == 2


def test_commands_have_descriptions_within_teams_limits(package):
    manifest = json.loads(package.read("manifest.json"))
    [command_list] = manifest["bots"][0]["commandLists"]
    titles = [c["title"] for c in command_list["commands"]]
    assert titles == ["help", "team", "gsd", "ecp", "ask", "escalate", "status", "lang"]
    assert len(titles) <= 10
    for command in command_list["commands"]:
        assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128


def test_names_descriptions_and_developer_urls(package):
    manifest = json.loads(package.read("manifest.json"))
    assert 0 < len(manifest["name"]["short"]) <= 30 and 0 < len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["description"]["short"]) <= 80 and 0 < len(manifest["description"]["full"]) <= 4000
    assert "AM11" in manifest["name"]["short"]
    developer = manifest["developer"]
    assert developer["name"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith("https://")
    assert manifest["accentColor"].startswith("#") and len(manifest["accentColor"]) == 7


def test_color_icon_is_192_and_opaque(package):
    width, height, colour, raw = read_png(package.read("color.png"))
    assert (width, height) == (192, 192)
    px = pixels(raw, width)
    assert len(px) == 192 * 192
    assert all(p[3] == 255 for p in px)
    assert len({p[:3] for p in px}) > 2  # a glyph, not a flat square
    assert px[0][:3] != (255, 255, 255) and (255, 255, 255, 255) in px


def test_outline_icon_is_32_white_on_transparent(package):
    width, height, colour, raw = read_png(package.read("outline.png"))
    assert (width, height) == (32, 32)
    assert colour == 6  # RGBA: transparency is required
    px = pixels(raw, width)
    assert all(p[:3] == (255, 255, 255) for p in px)  # only white
    assert px[0][3] == 0  # transparent background
    opaque = sum(1 for p in px if p[3] == 255)
    assert 100 < opaque < 32 * 32 / 2  # a glyph


def test_placeholder_id_with_a_warning_when_app_id_is_unset(catalog, caplog):
    manifest = teams_manifest(settings(MICROSOFT_APP_ID=""), catalog)
    assert manifest["id"] == manifest["bots"][0]["botId"] == PLACEHOLDER_APP_ID
    assert "MICROSOFT_APP_ID is not set" in caplog.text


def test_app_id_that_is_no_guid_is_refused(catalog):
    with pytest.raises(PackageError, match="GUID"):
        teams_manifest(settings(MICROSOFT_APP_ID="not-a-guid"), catalog)


def test_valid_domain_follows_public_url(catalog):
    manifest = teams_manifest(settings(PUBLIC_URL="https://onboarding.am11.example.net:8443/bot"), catalog)
    assert manifest["validDomains"] == ["onboarding.am11.example.net"]


def test_same_settings_give_the_same_bytes(tmp_path, catalog):
    a = write_teams_package(settings(), catalog, tmp_path / "a.zip").read_bytes()
    b = write_teams_package(settings(), catalog, tmp_path / "b.zip").read_bytes()
    assert a == b


def test_cli_writes_the_package(tmp_path, monkeypatch, capsys):
    for name, value in {"MICROSOFT_APP_ID": APP_ID, "PUBLIC_URL": "https://bot.example.com", "BOT_CONFIG_DIR": str(ROOT / "config")}.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "pkg" / "teams.zip"
    assert main(["manifest", "teams", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["bots"][0]["botId"] == APP_ID
