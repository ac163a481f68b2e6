"""The texts the onboarding team configures: its name per language and the bot's
guidance until access opens, validated like the rest of config/."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_catalog
from tests.config_copy import config_dir, edit  # noqa: F401 - config_dir is a fixture
from tests.conftest import ROOT


def test_the_team_name_is_per_language():
    team = load_catalog(ROOT / "config").onboarding
    assert team.name_in("en") == "AM11 onboarding team" and team.name_in("fr") == "équipe d'intégration AM11"
    assert team.name == "AM11 onboarding team"  # the English name, for code that shows one


def test_a_single_name_still_loads_for_both_languages(config_dir):
    edit(config_dir / "onboarding.yaml", lambda d: d.update(name="AM11 onboarding team"))
    team = load_catalog(config_dir).onboarding
    assert team.name_in("en") == team.name_in("fr") == "AM11 onboarding team"


def test_a_name_missing_in_one_language_is_refused(config_dir):
    edit(config_dir / "onboarding.yaml", lambda d: d.update(name={"en": "AM11 onboarding team"}))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert any("onboarding.yaml" in p and "needs a name in 'fr'" in p for p in err.value.problems)


def test_a_french_name_that_cannot_follow_l_apostrophe_is_refused(config_dir):
    edit(config_dir / "onboarding.yaml", lambda d: d.update(name={"en": "Onboarding", "fr": "Service d'intégration"}))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert any("l'" in p and "vowel" in p for p in err.value.problems)


def test_the_guidance_may_only_use_known_placeholders(config_dir):
    def change(d):
        d["before_access_guidance"]["fr"] = "Appelez {manger} au {manager_phone}."

    edit(config_dir / "onboarding.yaml", change)
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    [problem] = err.value.problems
    assert "onboarding.yaml" in problem and "before_access_guidance" in problem and "{manger}" in problem


def test_the_guidance_needs_both_languages(config_dir):
    edit(config_dir / "onboarding.yaml", lambda d: d["before_access_guidance"].pop("en"))
    with pytest.raises(ConfigError) as err:
        load_catalog(config_dir)
    assert any("before_access_guidance" in p and "'en'" in p for p in err.value.problems)


def test_without_configured_guidance_the_locale_text_is_used(config_dir):
    edit(config_dir / "onboarding.yaml", lambda d: d.pop("before_access_guidance"))
    catalog = load_catalog(config_dir)
    assert catalog.onboarding.before_access_guidance is None
    assert "{manager}" in catalog.texts["en"]["access.guidance"]
