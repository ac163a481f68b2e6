"""Config validation: every problem named with its file and field; nothing half-loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_catalog
from tests.config_copy import config_dir, edit  # noqa: F401 - config_dir is a fixture
from tests.conftest import ROOT


def test_the_demo_config_is_valid_and_written_in_the_current_shape():
    warnings: list = []
    catalog = load_catalog(ROOT / "config", warnings=warnings)
    assert {a.id for a in catalog.accounts} == {"acme-logistics", "globex-media", "initech-cloud"}
    assert catalog.onboarding.targets["slack"].conversation == "C0ONBOARD01"
    assert warnings == []


def test_demo_links_match_the_documented_channels():
    catalog = load_catalog(ROOT / "config")
    acme = catalog.account("acme-logistics")
    globex = catalog.account("globex-media")
    import datetime as dt

    today = dt.date(2026, 11, 26)
    assert "C0DEMO00001" in acme.links["slack"].conversations and not acme.access_open(today)
    assert "19:demo-acme@thread.tacv2" in acme.links["teams"].conversations
    assert "C0DEMO00002" in globex.links["slack"].conversations and globex.access_open(today)
    assert all("C0UNLINKED1" not in a.links["slack"].conversations for a in catalog.accounts)
    assert any(m.ids.get("slack") == "U0ONBOARD1" for m in catalog.onboarding.members)


def test_a_bad_email_names_file_and_field(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["team"]["billing_analyst"].update(email="nope"))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    [problem] = err.value.problems
    assert problem.startswith("accounts.yaml: account 'acme-logistics': team.billing_analyst.email: ") and "e-mail" in problem


def test_every_problem_is_reported_not_just_the_first(config_dir):
    edit(config_dir / "site.yaml", lambda d: d["service_desk"].update(phone="call us"))
    edit(config_dir / "onboarding.yaml", lambda d: d.update(members=[]))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    text = "\n".join(err.value.problems)
    assert "site.yaml: service_desk.phone" in text and "onboarding.yaml: members" in text


def test_unknown_fields_and_broken_yaml_are_refused(config_dir):
    edit(config_dir / "site.yaml", lambda d: d.update(colour="blue"))
    (config_dir / "locales" / "fr.yaml").write_text("key: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    text = "\n".join(err.value.problems)
    assert "site.yaml: colour: Extra inputs are not permitted" in text
    assert "fr.yaml: not valid YAML" in text


def test_a_text_missing_in_one_language_is_refused(config_dir):
    with (config_dir / "locales" / "en.yaml").open("a") as handle:
        handle.write("\nonly.english: Hello\n")
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert "only.english" in str(err.value)


def test_a_conversation_linked_to_two_accounts_is_refused(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][1]["links"].update(slack={"conversations": ["C0DEMO00001"]}))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert ("accounts.yaml: account 'globex-media': links.slack.conversations: 'C0DEMO00001' is already account "
            "'acme-logistics''s") in err.value.problems


# -- through the CLI: check-config and serve refuse, naming file, field and account -----------

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402


def cli(*args: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "BOT_CONFIG_DIR": str(config), "PORT": "0", **env})


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_a_team_channel_that_is_also_a_customers_is_refused(config_dir, command):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][1]["links"].update(slack={"conversations": ["C0ONBOARD01"]}))
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][2]["links"].update(
        teams={"conversations": ["19:demo-onboarding@thread.tacv2"]}))
    result = cli(command, config=config_dir)
    assert result.returncode == 1
    assert "onboarding.yaml: targets.slack: 'C0ONBOARD01' is also customer account 'globex-media'" in result.stderr
    assert "onboarding.yaml: targets.teams: '19:demo-onboarding@thread.tacv2' is also customer account 'initech-cloud'" in result.stderr
    assert "other customers' escalations" in result.stderr


def test_routing_without_topics_is_refused(config_dir):
    edit(config_dir / "routing.yaml", lambda d: d.update(routes=[], fallback_routes=[], urgent_route=None))
    result = cli("check-config", config=config_dir)
    assert result.returncode == 1 and "routing.yaml: routes: no topics" in result.stderr


def test_an_account_without_account_manager_is_named_by_its_id(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][2]["team"].pop("account_manager"))
    result = cli("check-config", config=config_dir)
    assert result.returncode == 1
    assert "accounts.yaml: account 'initech-cloud': team.account_manager: required, but missing" in result.stderr
    assert "accounts[2]" not in result.stderr


def test_every_problem_at_once_per_file_and_across_files(config_dir):
    edit(config_dir / "site.yaml", lambda d: d["service_desk"].update(phone="call us"))
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["links"].update(slack={"conversations": ["C0ONBOARD01"]}))
    edit(config_dir / "onboarding.yaml", lambda d: d.pop("targets"))
    with (config_dir / "locales" / "en.yaml").open("a") as handle:
        handle.write("\nonly.english: Hello\n")
    result = cli("check-config", config=config_dir)
    err = result.stderr
    assert result.returncode == 1
    assert "site.yaml: service_desk.phone" in err
    assert "onboarding.yaml: targets: name where the team's cards go" in err
    assert "locales/fr.yaml: only.english: missing (locales/en.yaml has it)" in err
    assert "Value error" not in err and "(top level)" not in err


def test_cross_file_problems_come_with_per_file_ones(config_dir):
    edit(config_dir / "site.yaml", lambda d: d["service_desk"].update(phone="call us"))
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["links"].update(slack={"conversations": ["C0ONBOARD01"]}))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    text = "\n".join(err.value.problems)
    assert "site.yaml: service_desk.phone" in text and "'C0ONBOARD01' is also customer account 'acme-logistics'" in text


def test_config_errors_are_json_with_log_format_json(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][2]["team"].pop("account_manager"))
    result = cli("check-config", config=config_dir, LOG_FORMAT="json")
    assert result.returncode == 1
    [line] = [json.loads(raw) for raw in result.stderr.splitlines()]
    assert line["level"] == "error" and line["file"] == "accounts.yaml"
    assert line["field"] == "account 'initech-cloud': team.account_manager" and line["problem"] == "required, but missing"


def test_a_public_url_without_scheme_is_refused(config_dir):
    for command in ("serve", "manifest", "check-config"):
        args = (command, "slack") if command == "manifest" else (command,)
        result = cli(*args, config=config_dir, PUBLIC_URL="bot.example.com")
        assert result.returncode == 2 and "PUBLIC_URL must be a full address" in result.stderr, result.stderr
    result = cli("check-config", config=config_dir, PUBLIC_URL="bot.example.com", LOG_FORMAT="json")
    assert "PUBLIC_URL" in json.loads(result.stderr)["msg"]


def test_a_public_url_that_is_not_https_is_warned_about_in_manifest(config_dir):
    result = cli("manifest", "slack", config=config_dir, PUBLIC_URL="http://bot.example.com")
    assert result.returncode == 0 and "request_url: http://bot.example.com/slack/events" in result.stdout
    assert "is not HTTPS" in result.stderr and "is not HTTPS" not in result.stdout
    quiet = cli("manifest", "slack", config=config_dir, PUBLIC_URL="https://bot.example.com")
    assert "HTTPS" not in quiet.stderr
