"""The wording model: trained on the current sets, read the same way it was trained, and
consulted by the matcher only within its rules (it overrules when sure, adds urgency
only where the words do not say the trouble is past, planned or supposed)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import ConfigError, load_catalog
from handlers.match_index import build_index
from handlers.matching import match
from handlers.wording_model import FEATURES, Guess, WordingModel, features
from tests.handlers import routing_accuracy as accuracy
from tests.handlers import train_wording_model as trainer

ROOT = Path(__file__).resolve().parents[2]


def test_the_model_was_trained_on_the_sets_as_they_are_now():
    data = json.loads(trainer.MODEL.read_text(encoding="utf-8"))
    assert data["trained_on"] == trainer.fingerprints(), "a labelled set changed: run ./dev train and commit the model"
    assert data["features"] == FEATURES


def test_features_fold_case_and_accents_and_keep_words_and_pairs():
    assert features("Baie") == features("baie") == features("BAIE")
    assert features("élec") == features("elec")
    found = features("new rack")
    assert {" ne", "rack", "w:new", "w:rack", "w:new rack"} <= set(found)
    assert features("") == []


@pytest.mark.slow
def test_scoring_in_plain_python_agrees_with_the_trainer():
    """The weights the bot reads give the labels scikit-learn's model gives, on every
    question it was trained on (pruned weights may move a probability, not an answer)."""
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    items = trainer.training_items()
    texts = [item.q for item in items]
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=trainer.MIN_DF)
    x = vectorizer.fit_transform(texts)
    fitted = LogisticRegression(C=trainer.C, max_iter=5000).fit(x, [trainer.label(item) for item in items])
    model = WordingModel(json.loads(trainer.MODEL.read_text(encoding="utf-8")))
    theirs = fitted.predict(x)
    ours = [model.guess(text).label for text in texts]
    agree = sum(a == b for a, b in zip(ours, theirs))
    assert agree >= 0.99 * len(texts), f"{len(texts) - agree} answers differ"


def test_a_model_of_another_feature_version_is_refused():
    data = json.loads(trainer.MODEL.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match="train it again"):
        WordingModel({**data, "features": "something else"})


# -- loading --------------------------------------------------------------------------

@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def test_without_the_model_file_the_routing_words_answer_alone(config_dir: Path):
    (config_dir / "routing_model.json").unlink()
    catalog = load_catalog(config_dir)
    assert catalog.routing.wording is None
    assert match(build_index(catalog.routing), "who handles invoices?").guessed == ""


def test_a_model_naming_a_role_routing_yaml_lacks_is_refused_with_the_command_to_train(config_dir: Path):
    path = config_dir / "routing_model.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["labels"][0] = "facility_manager"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_catalog(config_dir)
    assert "routing_model.json: labels: facility_manager: not in routing.yaml; ./dev train" in str(error.value)


def test_a_broken_model_file_is_a_config_error_not_a_crash(config_dir: Path):
    (config_dir / "routing_model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="routing_model.json"):
        load_catalog(config_dir)


def test_routing_yaml_cannot_carry_a_model(config_dir: Path):
    path = config_dir / "routing.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nwording: {labels: [none]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="routing_model.json"):
        load_catalog(config_dir)


# -- the second opinion's rules, with a model that says what the test wants ------------

@dataclass
class Says:
    """A stand-in model: every question gets this guess."""

    label: str
    probability: float = 0.9
    urgent: float = 0.0
    labels: tuple[str, ...] = ()

    def guess(self, text: str) -> Guess:
        return Guess(self.label, self.probability, self.urgent)


def index_with(catalog, model: Says | None):
    return build_index(catalog.routing.model_copy(update={"wording": model}))


def test_a_sure_model_overrules_the_words_and_keeps_their_owner_second(catalog):
    words = match(index_with(catalog, None), "who handles invoices?")
    assert words.route == "invoices"
    found = match(index_with(catalog, Says("customer_success_manager")), "who handles invoices?")
    assert found.route == "service_management" and found.also == "invoices"
    assert "wording model: customer_success_manager 0.90" in found.explain()


def test_an_unsure_model_or_one_that_sees_nothing_leaves_the_words_alone(catalog):
    assert match(index_with(catalog, Says("customer_success_manager", 0.5)), "who handles invoices?").route == "invoices"
    assert match(index_with(catalog, Says("none", 0.99)), "who handles invoices?").route == "invoices"


def test_the_model_picks_the_owners_topic_among_what_the_words_found(catalog):
    # the words found the commercial and the capacity topics; the model says AM: the
    # best of the AM's topics the words found, not the AM's first topic
    found = match(index_with(catalog, Says("account_manager")), "we need two more racks")
    assert found.route == "capacity"


def test_a_sure_model_answers_what_the_words_could_not(catalog):
    text = "something only the model understands, zorglub"
    assert match(index_with(catalog, None), text).route is None
    found = match(index_with(catalog, Says("billing_analyst")), text)
    assert found.route == "invoices" and found.why_not_sure == ""
    fact = match(index_with(catalog, Says("fact:eco")), text)
    assert fact.fact == "eco"


def test_urgency_is_added_by_the_model_but_never_where_the_words_calm_it(catalog):
    urgent = Says("service_desk", urgent=0.95)
    found = match(index_with(catalog, urgent), "the thing in row 4 makes a weird noise and smells")
    assert found.urgent and found.urgent_by == ("wording model",)
    assert not match(index_with(catalog, urgent), "who do I call if our link goes down?").urgent
    assert not match(index_with(catalog, urgent), "we need to power down our rack for maintenance").urgent
    # and never taken away
    assert match(index_with(catalog, Says("none", urgent=0.0)), "URGENT our servers are unreachable").urgent


def test_a_fact_about_the_owner_the_model_names_stays_a_fact(catalog):
    found = match(index_with(catalog, Says("service_desk")), "after onboarding, who do we call?")
    assert found.fact == "gsd_first_contact"


def test_small_talk_is_not_sent_to_the_model(catalog):
    assert match(index_with(catalog, Says("billing_analyst", 0.99)), "hello").route is None


def test_the_real_model_on_plain_questions(catalog):
    index = build_index(catalog.routing)
    assert index.wording is not None
    assert match(index, "qui contacter pour une nouvelle baie ?").route is not None
    assert not match(index, "smart hands").urgent  # a plain request is no emergency
    assert match(index, "plus de courant dans la baie 12").urgent


def test_the_evaluator_never_trains_on_the_independent_set():
    assert not {path for _, path in accuracy.INDEPENDENT_SETS} & set(trainer.SETS)
