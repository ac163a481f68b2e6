"""config/ written before links, member ids and team targets were keyed by platform name
still loads, with a warning per old key naming the file, the field (the account or the
member) and what to write instead; platform names are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Problem, load_catalog
from bot.stores.memory import MemoryStore
from handlers.accounts import configured_account
from handlers.context import Services
from handlers.escalation_targets import team_targets
from handlers.ports import Target
from handlers.turn import ConversationKind, Where
from tests.config_copy import config_dir, edit  # noqa: F401 - config_dir is a fixture
from tests.conftest import ROOT

OLD_TEAM = {
    "slack_channel": "C0ONBOARD01",
    "teams": {"conversation_id": "19:demo-onboarding@thread.tacv2", "service_url": "https://smba.trafficmanager.net/emea/"},
}
"""onboarding.yaml's team channels as the demo config wrote them before."""


def old_shape(data_dir: Path) -> None:
    """Rewrite the copy's accounts.yaml and onboarding.yaml in the older shape, as a
    deployment made before the change has them."""
    def accounts(data: dict) -> None:
        for account in data["accounts"]:
            links = account.pop("links")
            account["links"] = {"slack_channels": links["slack"]["conversations"],
                                "teams_conversations": links["teams"]["conversations"]}

    def team(data: dict) -> None:
        data.pop("targets")
        data.update(OLD_TEAM)
        for member in data["members"]:
            ids = member.pop("ids")
            member.update(slack_user_id=ids["slack"], teams_user_id=ids["teams"])

    edit(data_dir / "accounts.yaml", accounts)
    edit(data_dir / "onboarding.yaml", team)


def cli(*args: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "BOT_CONFIG_DIR": str(config), **env})


def test_the_older_shape_loads_as_the_same_catalog_with_a_warning_per_old_key(config_dir):
    old_shape(config_dir)
    warnings: list[Problem] = []
    assert load_catalog(config_dir, warnings=warnings) == load_catalog(ROOT / "config")
    lines = [str(w) for w in warnings]
    assert len(lines) == 3 * 2 + 2 + 2 * 2  # two link lists per account, two team channels, two ids per member
    assert ("accounts.yaml: account 'acme-logistics': links.slack_channels: deprecated, still read: "
            "write links: {slack: {conversations: [...]}} instead") in lines
    assert "onboarding.yaml: slack_channel: deprecated, still read: write targets: {slack: <channel id>} instead" in lines
    assert any(line.startswith("onboarding.yaml: teams: deprecated") and "targets: {teams: {conversation: " in line for line in lines)
    assert ("onboarding.yaml: member 'iris.onboarding@example.com': teams_user_id: deprecated, still read: "
            "write ids: {teams: <user id>} instead") in lines


def test_without_a_list_the_warnings_are_logged(config_dir, caplog):
    old_shape(config_dir)
    load_catalog(config_dir)
    assert sum("deprecated, still read" in r.getMessage() for r in caplog.records if r.levelname == "WARNING") == 12


def test_the_old_keys_mean_what_they_meant(config_dir):
    """A DM link (``slack_users``), a tenant on the Teams target: read into the new
    shape, they still decide the account and reach the notifier."""
    old_shape(config_dir)
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][1]["links"].update(slack_users=["U0GLOBEX"], teams_users=["29:globex"]))
    edit(config_dir / "onboarding.yaml", lambda d: d["teams"].update(tenant_id="tenant-1"))
    catalog = load_catalog(config_dir, warnings=[])
    services = Services(catalog=catalog, store=MemoryStore(), clock=lambda: None)  # type: ignore[arg-type, return-value]
    dm = ConversationKind.DIRECT
    assert configured_account(Where("slack", "T0", "D0ANY", dm), "U0GLOBEX", services).id == "globex-media"  # type: ignore[union-attr]
    assert configured_account(Where("teams", "t", "a:1", dm), "29:globex", services).id == "globex-media"  # type: ignore[union-attr]
    assert configured_account(Where("slack", "T0", "C0ANY"), "U0GLOBEX", services) is None  # a user link is for DMs only
    assert configured_account(Where("teams", "t", "a:1", dm), "U0GLOBEX", services) is None  # on its own platform only
    assert team_targets(catalog) == [
        Target("slack", "C0ONBOARD01"),
        Target("teams", "19:demo-onboarding@thread.tacv2", "tenant-1", {"service_url": "https://smba.trafficmanager.net/emea/"}),
    ]
    assert catalog.onboarding.member_for("teams", "6f1c2a7e-0000-4000-8000-00000000a002").name == "Ruben Onboarding"  # type: ignore[union-attr]


def test_check_config_passes_the_older_shape_and_says_what_to_rewrite(config_dir):
    old_shape(config_dir)
    result = cli("check-config", config=config_dir)
    assert result.returncode == 0, result.stderr
    assert "12 deprecated key(s) to rewrite" in result.stdout
    assert "accounts.yaml: account 'initech-cloud': links.teams_conversations: deprecated" in result.stderr
    as_json = cli("check-config", config=config_dir, LOG_FORMAT="json")
    lines = [json.loads(raw) for raw in as_json.stderr.splitlines()]
    assert len(lines) == 12 and all(line["level"] == "warning" for line in lines)


def test_a_key_in_both_shapes_is_refused_rather_than_guessed(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["links"].update(slack_channels=["C0OTHER"]))
    edit(config_dir / "onboarding.yaml", lambda d: d.update(slack_channel="C0OTHER"))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert sorted(err.value.problems) == [
        "accounts.yaml: account 'acme-logistics': links.slack_channels: given twice: as slack_channels and as "
        "links: {slack: {conversations: [...]}}; keep links: {slack: {conversations: [...]}} only",
        "onboarding.yaml: slack_channel: given twice: as slack_channel and as targets: {slack: <channel id>}; "
        "keep targets: {slack: <channel id>} only",
    ]


def test_a_mistake_in_the_older_shape_still_names_the_account(config_dir):
    old_shape(config_dir)
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][2]["links"].update(slack_users={"U0": 1}))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir, warnings=[])
    assert [p.split(": ")[:3] for p in err.value.problems] == [["accounts.yaml", "account 'initech-cloud'", "links.slack.users"]]


def test_platform_names_are_checked(config_dir):
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["links"].update(slak={"conversations": ["C0TYPO"]}))
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][1].update(links={"C0PASTED": {"conversations": []}}))
    edit(config_dir / "onboarding.yaml", lambda d: d["targets"].update(mattermost="town-square"))
    edit(config_dir / "onboarding.yaml", lambda d: d["members"][1]["ids"].update(tems="29:x"))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    problems = err.value.problems
    assert "accounts.yaml: account 'acme-logistics': links: no platform is called 'slak' (known: slack, teams)" in problems
    assert any(p.startswith("accounts.yaml: account 'globex-media': links: 'C0PASTED' is no platform name") for p in problems)
    assert "onboarding.yaml: targets: no platform is called 'mattermost' (known: slack, teams)" in problems
    assert "onboarding.yaml: member 'ruben.onboarding@example.com': ids: no platform is called 'tems' (known: slack, teams)" in problems
    assert len(problems) == 4


def test_a_new_platform_needs_no_change_to_the_schema(config_dir):
    """Only the list of platform names the bot has: links, ids and targets take any."""
    edit(config_dir / "accounts.yaml", lambda d: d["accounts"][0]["links"].update(chat=["room-1"]))
    edit(config_dir / "onboarding.yaml", lambda d: d["targets"].update(chat={"conversation": "room-team", "region": "eu"}))
    catalog = load_catalog(config_dir, platforms=("slack", "teams", "chat"))
    assert catalog.account("acme-logistics").links["chat"].conversations == ("room-1",)  # type: ignore[union-attr]
    assert Target("chat", "room-team", "", {"region": "eu"}) in team_targets(catalog)
    assert [t.platform for t in team_targets(catalog, frozenset({"chat"}))] == ["chat"]
