"""Config validation: every problem named with its file and field; nothing half-loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_catalog
from tests.conftest import ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_the_demo_config_is_valid():
    catalog = load_catalog(ROOT / "config")
    assert {a.id for a in catalog.accounts} == {"acme-logistics", "globex-media", "initech-cloud"}
    assert catalog.onboarding.slack_channel == "C0ONBOARD01"


def test_demo_links_match_the_documented_channels():
    catalog = load_catalog(ROOT / "config")
    acme = catalog.account("acme-logistics")
    globex = catalog.account("globex-media")
    import datetime as dt

    today = dt.date(2026, 11, 26)
    assert "C0DEMO00001" in acme.links.slack_channels and not acme.access_open(today)
    assert "19:demo-acme@thread.tacv2" in acme.links.teams_conversations
    assert "C0DEMO00002" in globex.links.slack_channels and globex.access_open(today)
    assert all("C0UNLINKED1" not in a.links.slack_channels for a in catalog.accounts)
    assert any(m.slack_user_id == "U0ONBOARD1" for m in catalog.onboarding.members)


def test_a_bad_email_names_file_and_field(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["team"]["billing_analyst"].update(email="nope"))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    [problem] = err.value.problems
    assert "accounts.yaml" in problem and "accounts[0].team.billing_analyst.email" in problem and "e-mail" in problem


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
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][1]["links"].update(slack_channels=["C0DEMO00001"]))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert "C0DEMO00001" in str(err.value) and "acme-logistics" in str(err.value)
