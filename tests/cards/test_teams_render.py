"""Teams Adaptive Card renderer: golden outputs, the official 1.5 schema, Teams rules,
round trips of invoke values."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import teams, teams_actions
from cards.model import (
    Button,
    Card,
    Choice,
    Contact,
    Divider,
    Fields,
    Form,
    Note,
    SelectInput,
    Style,
    Text,
    TextInput,
)
from tests.cards.dump_samples import assert_golden, renderings
from tests.cards.samples import escalation_form, sample_cards, sample_forms
from tests.cards.validate import adaptive_errors, assert_valid_adaptive

TEAMS_FILES = sorted(name for name in renderings() if name.endswith(".teams.json"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every clickable action in reading order (body ActionSets, then the card's own)."""
    out = [a for el in card["body"] if el["type"] == "ActionSet" for a in el["actions"]]
    return out + card.get("actions", [])


# ------------------------------------------------------------------ golden + valid


@pytest.mark.parametrize("name", TEAMS_FILES)
def test_golden(name: str) -> None:
    assert_golden(name, renderings()[name])


@pytest.mark.parametrize("name", sorted(sample_cards()))
def test_sample_cards_match_the_schema(name: str) -> None:
    card = sample_cards()[name]
    assert_valid_adaptive(teams.render_card(card))
    assert_valid_adaptive(teams.render_attachment(card))


@pytest.mark.parametrize("name", sorted(sample_forms()))
def test_sample_forms_match_the_schema(name: str) -> None:
    assert_valid_adaptive(teams.render_form(sample_forms()[name]))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda c: c["body"][0].update(colour="red"), "'colour' was unexpected"),
        (lambda c: c["body"][0].update(wrap="yes"), "is not of type 'boolean'"),
        (lambda c: c["body"][0].update(type="TextBlok"), "not valid under any"),
        (lambda c: c["body"][0].pop("text"), "'text' is a required property"),
        (lambda c: c["actions"][0].update(verb=3), "is not of type 'string'"),
        (lambda c: c.update(fallbackText=["x"]), "is not of type 'string'"),
        (lambda c: c.update(extra=True), "'extra' was unexpected"),
    ],
)
def test_schema_check_can_fail(breakage: Any, message: str) -> None:
    """A deliberately broken card must fail, or the green tests above prove nothing."""
    card = teams.render_card(sample_cards()["service_desk"])
    breakage(card)
    errors = adaptive_errors(card)
    assert errors and message in "\n".join(errors)
    with pytest.raises(AssertionError):
        assert_valid_adaptive(card)


@pytest.mark.parametrize("name", TEAMS_FILES)
def test_teams_rules(name: str) -> None:
    """What cardcheck's Teams rules check, kept here so CI catches it without node."""
    card = renderings()[name]
    assert card["version"] == "1.5" and card["$schema"] == teams.SCHEMA
    assert len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode()) < 0.85 * teams.MAX_CARD_BYTES
    for node in _walk(card):
        if node.get("type") in ("Action.Execute", "Action.Submit", "Action.OpenUrl"):
            assert "style" not in node, "Teams ignores positive/destructive styles"
        if node.get("type") == "Action.Execute":
            assert node["verb"] and node["fallback"]["type"] == "Action.Submit"
        if node.get("type") == "Action.OpenUrl":
            assert re.match(r"https?://|mailto:|tel:", node["url"])
        if node.get("type") == "ActionSet" or node is card:
            assert len(node.get("actions", [])) <= teams.MAX_ACTIONS
        if node.get("type") == "TextBlock":
            assert node["text"].strip(), "empty TextBlock"
        assert "${" not in json.dumps(node) or node is not card


# ------------------------------------------------------------------------- blocks


def test_title_and_text() -> None:
    card = teams.render_card(Card("**Hello** world", (Text("a **b** [c](https://c.example)\nline 2\n\npara 2"),)))
    title, *lines = card["body"]
    assert title == {
        "type": "TextBlock",
        "text": "Hello world",
        "size": "Large",
        "weight": "Bolder",
        "wrap": True,
        "style": "heading",
    }
    assert lines == [
        {"type": "TextBlock", "text": "a **b** [c](https://c.example)", "wrap": True},
        {"type": "TextBlock", "text": "line 2", "wrap": True, "spacing": "None"},
        {"type": "TextBlock", "text": "para 2", "wrap": True},
    ]
    assert card["fallbackText"] == "Hello world"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("** spaced **", "**spaced**"),
        ("R&D <team>", "R&D <team>"),
        ("a lone ** stays", "a lone ** stays"),
        ("**see [docs](https://d.example)**", "**see** **[docs](https://d.example)**"),
        ("Français é à ç", "Français é à ç"),
    ],
)
def test_markdown(source: str, expected: str) -> None:
    assert teams.render_card(Card("", (Text(source),)))["body"] == [{"type": "TextBlock", "text": expected, "wrap": True}]


def test_fields_become_a_factset() -> None:
    card = teams.render_card(Card("F", (Fields((("**Phone**", "+31 **20**"), ("", ""), ("Email", "[m](mailto:m@e.example)"))),)))
    assert card["body"][1] == {
        "type": "FactSet",
        "facts": [{"title": "Phone", "value": "+31 **20**"}, {"title": "Email", "value": "[m](mailto:m@e.example)"}],
    }


def test_contact_container() -> None:
    """The role before the name, as on Slack; the phone a tel: link whose label never wraps."""
    contact = Contact("Account manager", "Sanne de Vries", "s@example.com", "+31 20 555 0101", "Contracts & **pricing**")
    [_, container] = teams.render_card(Card("T", (contact,)))["body"]
    assert container == {
        "type": "Container",
        "spacing": "Medium",
        "items": [
            {"type": "TextBlock", "text": "**Account manager** — Sanne de Vries", "wrap": True},
            {
                "type": "TextBlock",
                "text": "[s@example.com](mailto:s@example.com) · [+31\u00a020\u00a0555\u00a00101](tel:+31205550101)",
                "wrap": True,
                "spacing": "None",
            },
            {"type": "TextBlock", "text": "Contracts & **pricing**", "wrap": True, "isSubtle": True, "size": "Small", "spacing": "None"},
        ],
    }


def test_note_and_divider() -> None:
    card = teams.render_card(Card("N", (Divider(), Text("a"), Divider(), Divider(), Note("small"), Divider())))
    assert card["body"][1:] == [
        {"type": "TextBlock", "text": "a", "wrap": True},
        {"type": "TextBlock", "text": "small", "wrap": True, "isSubtle": True, "size": "Small", "separator": True, "spacing": "Medium"},
    ]


def test_empty_blocks_produce_no_elements() -> None:
    card = teams.render_card(Card("E", (Text(""), Note(" \n "), Fields(()), Contact("", ""), Divider(), Text("x"))))
    assert card["body"][1:] == [{"type": "TextBlock", "text": "x", "wrap": True}]  # no content, no separator


# ------------------------------------------------------------------------ actions


def test_buttons() -> None:
    card = teams.render_card(
        Card(
            "B",
            buttons=(
                Button("Go", "go.now", {"k": "v"}, style=Style.PRIMARY),
                Button("Stop", "stop", style=Style.DANGER),
                Button("Site", url="https://e.example/?a=1&b=2"),
            ),
        )
    )
    go, stop, site = card["actions"]
    assert go == {
        "type": "Action.Execute",
        "title": "Go",
        "verb": "go.now",
        "data": {"k": "v"},
        "fallback": {"type": "Action.Submit", "title": "Go", "data": {"verb": "go.now", "data": {"k": "v"}}},
    }
    assert "style" not in stop
    assert site == {"type": "Action.OpenUrl", "title": "Site", "url": "https://e.example/?a=1&b=2"}


def test_eight_buttons_all_shown_in_order_within_limits() -> None:
    source = sample_cards()["help_menu"]
    card = teams.render_card(source)
    assert [a["title"] for a in _actions(card)] == [b.label for b in source.buttons]
    sets = [el for el in card["body"] if el["type"] == "ActionSet"]
    assert [len(s["actions"]) for s in sets] + [len(card["actions"])] == [3, 3, 2]


def test_six_short_buttons_stay_top_level() -> None:
    card = teams.render_card(Card("B", buttons=tuple(Button(f"B{i}", f"b{i}") for i in range(6))))
    assert len(card["actions"]) == 6
    assert all(el["type"] != "ActionSet" for el in card["body"])


@pytest.mark.parametrize("button", [Button("nothing"), Button("bad", "a", {"k": 1})])  # type: ignore[dict-item]
def test_unsendable_buttons_raise(button: Button) -> None:
    with pytest.raises(ValueError):
        teams.render_card(Card("B", buttons=(button,)))


def test_oversized_card_is_cut_to_fit_with_a_visible_ellipsis() -> None:
    import json

    rendered = teams.render_card(Card("Big", tuple(Text("x" * 1000) for _ in range(40))))
    assert len(json.dumps(rendered, ensure_ascii=False, separators=(",", ":")).encode()) <= teams.MAX_CARD_BYTES
    assert all(b["text"].endswith("…") for b in rendered["body"][1:])


def test_a_card_that_cannot_fit_even_cut_short_raises() -> None:
    with pytest.raises(ValueError, match="bytes"):
        teams.render_card(Card("Big", tuple(Text("x" * 100) for _ in range(400))))


def test_attachment() -> None:
    card = sample_cards()["service_desk"]
    assert teams.render_attachment(card) == {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": teams.render_card(card),
    }


# -------------------------------------------------------------------------- forms


def test_form() -> None:
    form = escalation_form()
    card = teams.render_form(form)
    title, intro, subject, urgency, details, callback = card["body"]
    assert title["text"] == "Escalate an issue" and title["style"] == "heading"
    assert intro["text"] == "Your **account manager** gets this at once and answers within one working day."
    assert subject == {
        "type": "Input.Text",
        "id": "subject",
        "label": "Subject",
        "isMultiline": False,
        "placeholder": "e.g. Cross-connect XC-1042 still not delivered",
        "maxLength": 150,
        "isRequired": True,
        "errorMessage": "Subject",
    }
    assert urgency["type"] == "Input.ChoiceSet" and urgency["style"] == "compact"
    assert urgency["value"] == "normal"
    assert urgency["choices"][0] == {"title": "Low: this week is fine", "value": "low"}
    assert details["isMultiline"] is True and details["isRequired"] is False and "errorMessage" not in details
    assert callback["value"] == "+31 6 1234 5678"
    [submit] = card["actions"]
    assert submit["type"] == "Action.Execute"
    assert submit["title"] == "Send to account team"
    assert submit["verb"] == "escalate.submit"
    assert submit["data"] == dict(form.data)


@pytest.mark.parametrize(
    "form",
    [
        Form("T", "a", (TextInput("account", "A"),), "OK", "No", data={"account": "x"}),
        Form("T", "a", (TextInput("t", "T"), TextInput("t", "T2")), "OK", "No"),
        Form("T", "a", (SelectInput("s", "S", (Choice("x", "X"),), initial="nope"),), "OK", "No"),
        Form("T", "a", (SelectInput("s", "S", ()),), "OK", "No"),
        Form("T", "", (TextInput("t", "T"),), "OK", "No"),
    ],
)
def test_unsendable_forms_raise(form: Form) -> None:
    with pytest.raises(ValueError):
        teams.render_form(form)


# ------------------------------------------------------------------------ parsing


def _invoke(action: dict[str, Any], inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``value`` of the adaptiveCard/action invoke Teams sends for ``action``."""
    return {
        "action": {"type": "Action.Execute", "verb": action["verb"], "data": {**action.get("data", {}), **(inputs or {})}},
        "trigger": "manual",
    }


@pytest.mark.parametrize("name", sorted(sample_cards()))
def test_parse_invoke_round_trips_every_sample_button(name: str) -> None:
    source = sample_cards()[name]
    for button, action in zip(source.buttons, _actions(teams.render_card(source))):
        if button.url:
            assert action["type"] == "Action.OpenUrl"
            continue
        assert teams_actions.parse_invoke_value(_invoke(action)) == (button.action, dict(button.data))
        assert teams_actions.parse_submit_value(action["fallback"]["data"]) == (button.action, dict(button.data))


def test_parse_invoke_of_a_form_merges_inputs() -> None:
    [submit] = teams.render_form(escalation_form())["actions"]
    inputs = {"subject": "XC-1042", "urgency": "high", "details": "", "callback": "+31"}
    verb, data = teams_actions.parse_invoke_value(_invoke(submit, inputs))
    assert verb == "escalate.submit"
    assert data == {"account": "acme-logistics", "source": "team.card", **inputs}
    assert teams_actions.parse_submit_value({**submit["fallback"]["data"], **inputs}) == (verb, data)


@settings(max_examples=100, deadline=None)
@given(
    verb=st.text(min_size=1, max_size=40),
    data=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
)
def test_parse_invoke_round_trips_anything(verb: str, data: dict[str, str]) -> None:
    [action] = teams.render_card(Card("R", buttons=(Button("b", verb, data),)))["actions"]
    assert teams_actions.parse_invoke_value(json.loads(json.dumps(_invoke(action)))) == (verb, data)


def test_parse_invoke_stringifies_scalars() -> None:
    value = {"action": {"type": "Action.Execute", "verb": "v", "data": {"n": 3, "f": 1.5, "t": True, "z": None}}}
    assert teams_actions.parse_invoke_value(value) == ("v", {"n": "3", "f": "1.5", "t": "true", "z": ""})
    assert teams_actions.parse_invoke_value({"action": {"type": "Action.Execute", "verb": "v"}}) == ("v", {})


@pytest.mark.parametrize(
    "value",
    [
        None,
        "x",
        [],
        {},
        {"action": None},
        {"action": "x"},
        {"action": {"verb": "v"}},
        {"action": {"type": "Action.Submit", "verb": "v"}},
        {"action": {"type": "Action.Execute"}},
        {"action": {"type": "Action.Execute", "verb": ""}},
        {"action": {"type": "Action.Execute", "verb": 3}},
        {"action": {"type": "Action.Execute", "verb": "v", "data": "str"}},
        {"action": {"type": "Action.Execute", "verb": "v", "data": []}},
        {"action": {"type": "Action.Execute", "verb": "v", "data": {"k": {"nested": 1}}}},
        {"action": {"type": "Action.Execute", "verb": "v", "data": {"k": [1]}}},
    ],
)
def test_parse_invoke_rejects_garbage(value: object) -> None:
    with pytest.raises(ValueError):
        teams_actions.parse_invoke_value(value)


@pytest.mark.parametrize("value", [None, [], {}, {"verb": ""}, {"verb": 1}, {"verb": "v", "data": []}, {"verb": "v", "x": {}}])
def test_parse_submit_rejects_garbage(value: object) -> None:
    with pytest.raises(ValueError):
        teams_actions.parse_submit_value(value)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["action", "type", "verb", "data", "k"]), inner, max_size=4),
        max_leaves=12,
    )
)
def test_parsers_only_ever_raise_value_error(value: object) -> None:
    for parse in (teams_actions.parse_invoke_value, teams_actions.parse_submit_value):
        try:
            parse(value)
        except ValueError:
            pass


def test_no_platform_imports() -> None:
    source = open(teams.__file__, encoding="utf-8").read()
    assert not re.search(r"^\s*(from|import)\s+(botbuilder|botframework|handlers|bot)\b", source, re.M)


# ---------------------------------------------------------- a form shown again with errors


def _errors_form():
    from cards.model import Choice, Form, SelectInput, TextInput

    return Form(title="Report", action="x.submit", submit_label="Send", cancel_label="Cancel", data={"origin": "t"},
                inputs=(TextInput("subject", "Subject"),
                        SelectInput("urgency", "Urgency", (Choice("normal", "Normal"), Choice("urgent", "Urgent")))))


def test_a_form_shown_again_keeps_what_was_typed_with_each_error_under_its_input():
    from cards.model import filled

    form = filled(_errors_form(), {"subject": "Badges", "urgency": "not-an-option", "origin": "t"})
    card = teams.render_form(form, {"urgency": "Pick one.", "other": "Something else."})
    body = card["body"]
    ids = [el.get("id") or el.get("text") for el in body]
    assert ids.index("Something else.") < ids.index("subject")  # an error for no input goes above them
    assert ids.index("Pick one.") == ids.index("urgency") + 1
    subject = next(el for el in body if el.get("id") == "subject")
    urgency = next(el for el in body if el.get("id") == "urgency")
    assert subject["value"] == "Badges" and "value" not in urgency  # a value that is no option is not kept
    assert_valid_adaptive(card)


def test_a_form_kept_between_showing_and_submit_comes_back_the_same():
    from cards.model import form_from_json, form_to_json

    form = _errors_form()
    assert form_from_json(json.loads(json.dumps(form_to_json(form)))) == form
    with pytest.raises(ValueError):
        form_from_json({"title": "no inputs"})
