"""The command line: check-config, manifest slack, console, and serve's start-up summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

from bot.cli import describe
from bot.settings import Settings
from tests.conftest import ROOT

CLI = [sys.executable, "-m", "bot.cli"]


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, input=stdin,
                          env={**os.environ, **(env or {})})


def test_check_config_ok():
    result = run("check-config")
    assert result.returncode == 0 and "OK (3 accounts" in result.stdout


def test_check_config_reports_file_field_problem(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    path = tmp_path / "config" / "accounts.yaml"
    path.write_text(path.read_text().replace("status: complete", "status: finished"))
    result = run("check-config", env={"BOT_CONFIG_DIR": str(tmp_path / "config")})
    assert result.returncode == 1
    assert "accounts.yaml: account 'globex-media': status" in result.stderr


def test_slack_manifest_uses_public_url():
    result = run("manifest", "slack", env={"PUBLIC_URL": "https://bot.example.org"})
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["event_subscriptions"]["request_url"] == "https://bot.example.org/slack/events"
    assert manifest["settings"]["interactivity"]["request_url"] == "https://bot.example.org/slack/events"
    assert manifest["features"]["slash_commands"][0]["command"] == "/equinix"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "chat:write" in manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "escalate_message"


def test_serve_summary_says_what_to_set_without_secrets():
    lines = "\n".join(describe(Settings.from_env({})))
    assert "embedded in-memory store" in lines
    assert "set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN" in lines
    assert "set MICROSOFT_APP_ID" in lines
    secret = "s3cr3t-signing-value"
    enabled = "\n".join(describe(Settings.from_env({"SLACK_SIGNING_SECRET": secret, "SLACK_BOT_TOKEN": "xoxb-1-2"})))
    assert "Slack: enabled" in enabled and secret not in enabled and "xoxb" not in enabled
    assert "no platform is configured" not in enabled


def test_serve_without_any_platform_says_how_to_try_the_bot_and_which_config(tmp_path):
    lines = "\n".join(describe(Settings.from_env({"BOT_CONFIG_DIR": str(tmp_path)})))
    assert "./dev console" in lines
    assert "TEAMS_DEV_NO_AUTH=1" in lines and "Bot Framework Emulator" in lines
    assert f"config: {tmp_path.resolve()}" in lines
    emulator = "\n".join(describe(Settings.from_env({"TEAMS_DEV_NO_AUTH": "1"})))
    assert "./dev console" not in emulator and "config: " in emulator


def test_bad_settings_are_named():
    result = run("check-config", env={"LOG_FORMAT": "xml"})
    assert result.returncode == 2 and "LOG_FORMAT" in result.stderr


def test_console_answers_commands_and_buttons():
    result = run("console", "--account", "acme-logistics", stdin="team\n2\n")
    assert result.returncode == 0, result.stderr
    assert "Sanne de Vries" in result.stdout
    assert "Global Service Desk" in result.stdout or "Customer portal" in result.stdout


def test_serve_starts_and_answers_health(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([*CLI, "serve"], cwd=ROOT, env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "STATE_DIR": str(tmp_path / "state")},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "embedded in-memory store" in out and "stopped" in out
    assert "./dev console" in out and f"config: {ROOT / 'config'}" in out


def test_console_explains_a_route():
    result = run("console", stdin="why who handles our invoices?\n")
    assert result.returncode == 0, result.stderr
    assert "-> invoices" in result.stdout and "invoice +" in result.stdout


def test_console_escalation_form_takes_numbers_defaults_and_asks_again_on_errors():
    typed = "escalate\nab\n5\n\nshort\nBadge does not open\nTwo engineers could not enter the IBX.\nstatus\n"
    result = run("console", stdin=typed)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Subject: Please write at least 3 characters." in out  # errors named by label
    assert "ESC-000001" in out and "Site access" in out and "Normal" in out
    assert "Badge does not open" in out


def test_serve_warns_when_the_public_url_is_not_https():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "PUBLIC_URL": "http://bot.example.com",
           "SLACK_SIGNING_SECRET": "x" * 32, "SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    proc = subprocess.Popen([*CLI, "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    import threading
    import time

    seen: list[str] = []
    threading.Thread(target=lambda: seen.extend(proc.stdout), daemon=True).start()  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 15
        while not any("PUBLIC_URL" in line for line in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert any("PUBLIC_URL http://bot.example.com is not HTTPS" in line for line in seen), seen


def test_console_teaches_a_question_and_why_names_the_lesson():
    typed = ("my zorglub wobbles again, code 4821\nstats\n2\n1\n3\n"
             "why my zorglub wobbles again, code 1234\nlessons\nforget lesson 1\nwhy my zorglub wobbles again\n")
    result = run("console", "--user", "iris.onboarding@example.com", stdin=typed)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Usage, last 7 days" in out and "“my zorglub wobbles again, code ####”" in out
    assert "goes to Network products and managed services" in out
    assert out.count("taught by Iris Onboarding on ") == 2  # in ``why``, then in ``lessons``
    assert "-> network_services: taught by" in out
    assert "Forgotten" in out and "4821" not in out and "1234" not in out
