"""Slack Block Kit renderer: golden outputs, slack_sdk validation, limits, round trips."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import slack
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
from tests.cards.samples import escalation_form, sample_cards, sample_forms, sample_homes
from tests.cards.validate import assert_valid_blocks, assert_valid_view

SLACK_FILES = sorted(name for name in renderings() if name.endswith(".slack.json"))


def _buttons(blocks: list[dict]) -> list[dict]:
    return [el for b in blocks if b["type"] == "actions" for el in b["elements"]]


def _section_texts(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b]


# ------------------------------------------------------------------ golden + valid


@pytest.mark.parametrize("name", SLACK_FILES)
def test_golden(name: str) -> None:
    assert_golden(name, renderings()[name])


@pytest.mark.parametrize("name", sorted(sample_cards()))
def test_sample_messages_are_valid(name: str) -> None:
    assert_valid_blocks(slack.render_message(sample_cards()[name]))


@pytest.mark.parametrize("name", sorted(sample_forms()))
def test_sample_modals_are_valid(name: str) -> None:
    assert_valid_view(slack.render_modal(sample_forms()[name]))


@pytest.mark.parametrize("name", sorted(sample_homes()))
def test_sample_homes_are_valid(name: str) -> None:
    assert_valid_view(slack.render_home(sample_homes()[name]))


def test_validation_can_fail() -> None:
    """The helpers must reject what Slack rejects, or a green test proves nothing."""
    good = slack.render_message(sample_cards()["service_desk"])
    bad_key = json.loads(json.dumps(good))
    bad_key["blocks"][1]["colour"] = "red"  # unknown key: slack_sdk drops it silently
    with pytest.raises(AssertionError):
        assert_valid_blocks(bad_key)
    too_long = json.loads(json.dumps(good))
    too_long["blocks"][0]["text"]["text"] = "x" * 151  # header limit
    with pytest.raises(Exception):
        assert_valid_blocks(too_long)
    bare = json.loads(json.dumps(good))
    bare["blocks"][1]["text"] = "plain string"  # the API wants a text object
    with pytest.raises(AssertionError):
        assert_valid_blocks(bare)
    view = slack.render_modal(escalation_form())
    view["title"]["text"] = "x" * 25
    with pytest.raises(Exception):
        assert_valid_view(view)


# ------------------------------------------------------------------------- markup


def _one_text(text: str) -> str:
    [section] = slack.render_message(Card("t", (Text(text),)))["blocks"][1:]
    return section["text"]["text"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("plain", "plain"),
        ("a **bold** word", "a *bold* word"),
        ("see [the docs](https://x.example/a?b=1&c=2)", "see <https://x.example/a?b=1&amp;c=2|the docs>"),
        ("R&D <team> > you", "R&amp;D &lt;team&gt; &gt; you"),
        ("<!channel> hi", "&lt;!channel&gt; hi"),
        ("[a|b](https://x.example/p|q)", "<https://x.example/p%7Cq|a|b>"),
        ("** spaced **", "*spaced*"),
        ("AM**11**s", "AM\u200b*11*\u200bs"),
        ("a lone ** stays", "a lone ** stays"),
        ("**see [docs](https://d.example)**", "*see* *<https://d.example|docs>*"),
        ("**two\nlines**", "*two*\n*lines*"),
        ("éà ç — « ok »", "éà ç — « ok »"),
        ("[not a link](javascript:alert(1))", "[not a link](javascript:alert(1))"),
    ],
)
def test_mrkdwn_conversion(source: str, expected: str) -> None:
    assert _one_text(source) == expected


def test_escaping_happens_before_markup() -> None:
    """User text is escaped first, so markup we add is never escaped and user text
    can never produce a link or mention."""
    text = _one_text("**a<b** [x&y <z>](https://e.example/?q=1&r=2)")
    assert text == "*a&lt;b* <https://e.example/?q=1&amp;r=2|x&amp;y &lt;z&gt;>"


def test_long_text_is_split_between_sentences_and_keeps_every_word() -> None:
    paragraph = " ".join(f"Sentence {i} has [a link](https://e.example/{i}) & **bold {i}**." for i in range(200))
    message = slack.render_message(Card("Long", (Text(paragraph),)))
    texts = _section_texts(message)
    assert len(texts) > 1
    assert all(len(t) <= 3000 for t in texts)
    for t in texts:
        assert t.count("<") == t.count(">"), "a link was cut"
        assert t.count("*") % 2 == 0, "a bold run was cut"
        assert t.rstrip().endswith("."), "pieces should end at a sentence end"
    words = " ".join(texts).split()
    assert words == slack.mrkdwn_chunks(paragraph, 10**6)[0].split()
    assert_valid_blocks(message)


def test_paragraphs_split_at_line_breaks() -> None:
    paragraph = ("word " * 400).strip()  # 1999 characters: two do not fit in 3000
    texts = _section_texts(slack.render_message(Card("P", (Text("\n\n".join([paragraph] * 4)),))))
    assert texts == [paragraph] * 4


def test_one_enormous_word_is_cut() -> None:
    message = slack.render_message(Card("W", (Text("&" * 5000),)))
    texts = _section_texts(message)
    assert all(len(t) <= 3000 for t in texts)
    assert "".join(texts) == "&amp;" * 5000
    assert_valid_blocks(message)


def test_bold_and_links_survive_small_limits() -> None:
    assert slack.mrkdwn_chunks("**" + "b" * 70 + "**", 30) == ["*" + "b" * 28 + "*", "*" + "b" * 28 + "*", "*" + "b" * 14 + "*"]
    # A link whose URL alone is over the limit cannot stay a link; its label stays.
    assert slack.mrkdwn_chunks("[label](https://e.example/" + "a" * 50 + ")", 30) == ["label"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*"ab *[]()<>&|\né_", "https://x.io", "**", "[l](https://u.io/a)"]), max_size=300).map("".join))
def test_any_text_renders_to_valid_chunks(text: str) -> None:
    for limit in (20, 3000):
        chunks = slack.mrkdwn_chunks(text, limit)
        assert all(0 < len(c) <= limit for c in chunks)
    message = slack.render_message(Card("Fuzz", (Text(text), Note(text), Fields((("L", text),)))))
    assert_valid_blocks(message)


# ------------------------------------------------------------------------- blocks


def test_header_is_plain_and_truncated() -> None:
    message = slack.render_message(Card("**Big** " + "word " * 60))
    header = message["blocks"][0]
    assert header["type"] == "header"
    assert header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= 150
    assert header["text"]["text"].startswith("Big word")
    assert header["text"]["text"].endswith("…")


def test_fields_are_chunked_by_ten_and_capped() -> None:
    items = tuple((f"Label {i}", f"value {i}") for i in range(13)) + (("Long", "x " * 1500),)
    message = slack.render_message(Card("F", (Fields(items),)))
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert [len(s["fields"]) for s in sections] == [10, 4]
    assert sections[0]["fields"][0] == {"type": "mrkdwn", "text": "*Label 0*\nvalue 0"}
    long = sections[1]["fields"][-1]["text"]
    assert len(long) <= 2000 and long.endswith("…") and long.startswith("*Long*\n")
    assert_valid_blocks(message)


def test_contact_reads_role_name_then_reach_then_about() -> None:
    """Role first, then the name; the phone a tel: link whose label never wraps."""
    card = Card("Team", (Contact("Account manager", "Sanne de Vries", "s@example.com", "+31 20 555 0101", "Ask <me> & more"),))
    blocks = slack.render_message(card)["blocks"]
    assert blocks[1] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*Account manager* — Sanne de Vries\n<mailto:s@example.com|s@example.com>  ·  "
                    "<tel:+31205550101|+31\u00a020\u00a0555\u00a00101>",
        },
    }
    assert blocks[2] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Ask &lt;me&gt; &amp; more"}]}


def test_consecutive_contacts_are_separated() -> None:
    blocks = slack.render_message(sample_cards()["account_team"])["blocks"]
    kinds = [b["type"] for b in blocks]
    assert kinds == ["header"] + ["section", "context", "divider"] * 4 + ["context", "actions"]


def test_dividers_never_lead_trail_or_double() -> None:
    card = Card("D", (Divider(), Text("a"), Divider(), Divider(), Note("n"), Divider()))
    kinds = [b["type"] for b in slack.render_message(card)["blocks"]]
    assert kinds == ["header", "section", "divider", "context"]


def test_empty_blocks_produce_nothing() -> None:
    card = Card("E", (Text(""), Note("  "), Fields(()), Contact("", "")))
    assert [b["type"] for b in slack.render_message(card)["blocks"]] == ["header"]


def test_fallback_text() -> None:
    assert slack.render_message(Card("T", fallback="Fall & back"))["text"] == "Fall &amp; back"
    assert slack.render_message(Card("Title <x>"))["text"] == "Title &lt;x&gt;"


def test_too_many_blocks_is_an_error() -> None:
    with pytest.raises(ValueError, match="50"):
        slack.render_message(Card("Many", tuple(Text(f"t{i}") for i in range(50))))


# ------------------------------------------------------------------------ buttons


def test_buttons() -> None:
    card = Card(
        "B",
        buttons=(
            Button("Plain", "a.b", {"k": "v"}),
            Button("Go", "go", style=Style.PRIMARY),
            Button("Stop", "stop", style=Style.DANGER),
            Button("Site", url="https://e.example/?a=1&b=2"),
            Button("x" * 100, "long"),
        ),
    )
    plain, go, stop, site, long = _buttons(slack.render_message(card)["blocks"])
    assert plain == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Plain", "emoji": True},
        "action_id": "ob:a.b:0",
        "value": '{"a":"a.b","d":{"k":"v"}}',
    }
    assert go["style"] == "primary" and stop["style"] == "danger"
    assert site == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Site", "emoji": True},
        "action_id": "ob-link:3",
        "url": "https://e.example/?a=1&b=2",
    }
    assert len(long["text"]["text"]) == 75 and long["text"]["text"].endswith("…")


def test_eight_buttons_make_balanced_rows_with_unique_ids() -> None:
    blocks = slack.render_message(sample_cards()["help_menu"])["blocks"]
    rows = [b["elements"] for b in blocks if b["type"] == "actions"]
    assert [len(r) for r in rows] == [3, 3, 2]
    ids = [el["action_id"] for r in rows for el in r]
    assert len(set(ids)) == 8
    assert all(len(i) <= 255 for i in ids)


def test_few_short_buttons_stay_on_one_row() -> None:
    card = Card("B", buttons=tuple(Button(f"B{i}", f"b{i}") for i in range(5)))
    assert [len(b["elements"]) for b in slack.render_message(card)["blocks"] if b["type"] == "actions"] == [5]


@pytest.mark.parametrize(
    "button",
    [
        Button("big", "a", {"k": "x" * 2000}),
        Button("nothing"),
        Button("bad data", "a", {"k": 1}),  # type: ignore[dict-item]
        Button("long id", "a" * 300),
        Button("long url", url="https://e.example/" + "a" * 3000),
    ],
)
def test_unsendable_buttons_raise(button: Button) -> None:
    with pytest.raises(ValueError):
        slack.render_message(Card("B", buttons=(button,)))


# -------------------------------------------------------------------------- modal


def test_modal_structure() -> None:
    view = slack.render_modal(escalation_form())
    assert view["type"] == "modal"
    assert view["callback_id"] == "ob:escalate.submit"
    assert json.loads(view["private_metadata"]) == {"account": "acme-logistics", "source": "team.card"}
    assert view["title"]["text"] == "Escalate an issue"
    assert view["submit"]["text"] == "Send to account team"
    assert view["close"]["text"] == "Cancel"
    intro, subject, urgency, details, callback = view["blocks"]
    assert intro["type"] == "section" and "*account manager*" in intro["text"]["text"]
    assert subject == {
        "type": "input",
        "block_id": "subject",
        "label": {"type": "plain_text", "text": "Subject", "emoji": True},
        "element": {
            "type": "plain_text_input",
            "action_id": "subject",
            "multiline": False,
            "max_length": 150,
            "placeholder": {"type": "plain_text", "text": "e.g. Cross-connect XC-1042 still not delivered", "emoji": True},
        },
        "optional": False,
    }
    select = urgency["element"]
    assert select["type"] == "static_select"
    assert select["initial_option"] in select["options"]
    assert select["initial_option"]["value"] == "normal"
    assert details["optional"] is True and details["element"]["multiline"] is True
    assert callback["element"]["initial_value"] == "+31 6 1234 5678"


def test_modal_texts_are_truncated_to_24() -> None:
    view = slack.render_modal(sample_forms()["french_form"])
    assert view["title"]["text"] == "Demander une escalade…"
    assert view["submit"]["text"] == "Envoyer à l'équipe de…"
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))


@pytest.mark.parametrize(
    "form",
    [
        Form("T", "a", (SelectInput("s", "S", (Choice("x", "X"),), initial="nope"),), "OK", "No"),
        Form("T", "a", (TextInput("t", "T"),), "OK", "No", data={"big": "x" * 3000}),
        Form("T", "a", (TextInput("t", "T"), TextInput("t", "T2")), "OK", "No"),
        Form("", "a", (TextInput("t", "T"),), "OK", "No"),
        Form("T", "", (TextInput("t", "T"),), "OK", "No"),
        Form("T", "a", (SelectInput("s", "S", ()),), "OK", "No"),
    ],
)
def test_unsendable_forms_raise(form: Form) -> None:
    with pytest.raises(ValueError):
        slack.render_modal(form)


# --------------------------------------------------------------------------- home


def test_home_prefixes_action_ids_with_card_index() -> None:
    cards = sample_homes()["home"]
    view = slack.render_home(cards)
    ids = [el["action_id"] for el in _buttons(view["blocks"])]
    assert len(ids) == len(set(ids))
    assert "ob:escalate.open:0-2" in ids and "ob:escalate.open:1-2" in ids
    headers = [i for i, b in enumerate(view["blocks"]) if b["type"] == "header"]
    assert view["blocks"][headers[1] - 1]["type"] == "divider"
    for el in _buttons(view["blocks"]):
        if "value" in el:
            assert slack.parse_action(el["action_id"], el["value"])[0] == json.loads(el["value"])["a"]


def test_home_over_100_blocks_raises() -> None:
    cards = tuple(Card(f"C{i}", tuple(Text(f"t{j}") for j in range(10))) for i in range(10))
    with pytest.raises(ValueError, match="100"):
        slack.render_home(cards)


# ------------------------------------------------------------------ parse_action


@pytest.mark.parametrize("name", sorted(sample_cards()))
def test_parse_action_round_trips_every_sample_button(name: str) -> None:
    card = sample_cards()[name]
    elements = _buttons(slack.render_message(card)["blocks"])
    assert len(elements) == len(card.buttons)
    for button, el in zip(card.buttons, elements):
        if button.url:
            assert slack.is_link_action(el["action_id"]) and "value" not in el
            continue
        assert not slack.is_link_action(el["action_id"])
        assert slack.parse_action(el["action_id"], el["value"]) == (button.action, dict(button.data))


@settings(max_examples=100, deadline=None)
@given(
    action=st.text(min_size=1, max_size=60).filter(lambda a: a.strip()),
    data=st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5),
)
def test_parse_action_round_trips_anything(action: str, data: dict[str, str]) -> None:
    [row] = slack.render_message(Card("R", buttons=(Button("b", action, data),)))["blocks"][1:]
    el = row["elements"][0]
    assert slack.parse_action(el["action_id"], el["value"]) == (action, data)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (None, None),
        (123, '{"a":"x","d":{}}'),
        ("other:x:0", '{"a":"x","d":{}}'),
        ("ob:", '{"a":"x","d":{}}'),
        ("ob:x", '{"a":"x","d":{}}'),
        ("ob:x:abc", '{"a":"x","d":{}}'),
        ("ob::0", '{"a":"","d":{}}'),
        ("ob:x:0", None),
        ("ob:x:0", ""),
        ("ob:x:0", "not json"),
        ("ob:x:0", "[1, 2]"),
        ("ob:x:0", '"x"'),
        ("ob:x:0", "{}"),
        ("ob:x:0", '{"a": 5}'),
        ("ob:x:0", '{"a":"y","d":{}}'),
        ("ob:x:0", '{"a":"x","d":[]}'),
        ("ob:x:0", '{"a":"x","d":{"k":1}}'),
        ("ob:x:0", '{"a":"x","d":{"k":null}}'),
        ("ob:x:0", {"a": "x"}),
        ("ob:x:0", b'{"a":"x","d":{}}'),
        ("ob-link:0", None),
    ],
)
def test_parse_action_rejects_garbage(action_id: object, value: object) -> None:
    with pytest.raises(ValueError):
        slack.parse_action(action_id, value)


@settings(max_examples=200, deadline=None)
@given(action_id=st.one_of(st.none(), st.integers(), st.text(max_size=30).map(lambda s: "ob:" + s)), value=st.one_of(st.none(), st.text(max_size=60), st.binary(max_size=10), st.dictionaries(st.text(), st.text())))
def test_parse_action_only_ever_raises_value_error(action_id: object, value: object) -> None:
    try:
        slack.parse_action(action_id, value)
    except ValueError:
        pass


# --------------------------------------------------------- parse_view_submission


def _submitted(view: dict, values: dict[str, object]) -> dict:
    """A view_submission ``view`` as Slack sends it: our view plus id and state."""
    state: dict[str, dict] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        el = block["element"]
        entry: dict[str, object] = {"type": el["type"]}
        v = values.get(block["block_id"])
        if el["type"] == "plain_text_input":
            entry["value"] = v
        else:
            entry["selected_option"] = None if v is None else next(o for o in el["options"] if o["value"] == v)
        state[block["block_id"]] = {el["action_id"]: entry}
    return {**view, "id": "V0123", "team_id": "T1", "hash": "h", "state": {"values": state}}


def test_parse_view_submission_round_trip() -> None:
    form = escalation_form()
    view = _submitted(
        slack.render_modal(form),
        {"subject": "XC-1042 late", "urgency": "high", "details": None, "callback": "+31 6 0000 0000"},
    )
    action, data, values = slack.parse_view_submission(view)
    assert action == "escalate.submit"
    assert data == dict(form.data)
    assert values == {"subject": "XC-1042 late", "urgency": "high", "details": "", "callback": "+31 6 0000 0000"}


def test_parse_view_submission_unselected_select_is_empty() -> None:
    view = _submitted(slack.render_modal(sample_forms()["french_form"]), {"subject": "x", "urgency": None})
    assert slack.parse_view_submission(view)[2] == {"subject": "x", "urgency": ""}


def _garbage_views() -> list[object]:
    good = _submitted(slack.render_modal(escalation_form()), {"subject": "x", "urgency": "low"})

    def with_(**changes: object) -> dict:
        return {**good, **changes}

    return [
        None,
        "view",
        [],
        {},
        with_(callback_id=None),
        with_(callback_id="other"),
        with_(callback_id="ob:"),
        with_(private_metadata="not json"),
        with_(private_metadata="[1]"),
        with_(private_metadata='{"k": 1}'),
        with_(state=None),
        with_(state={"values": []}),
        with_(state={"values": {"b": "x"}}),
        with_(state={"values": {"b": {"a": "x"}}}),
        with_(state={"values": {"b": {"a": {"type": "plain_text_input", "value": 3}}}}),
        with_(state={"values": {"b": {"a": {"type": "static_select", "selected_option": "x"}}}}),
        with_(state={"values": {"b": {"a": {"type": "static_select", "selected_option": {"value": 1}}}}}),
        with_(state={"values": {"b": {"a": {"type": "datepicker", "selected_date": "2026-01-01"}}}}),
    ]


@pytest.mark.parametrize("view", _garbage_views())
def test_parse_view_submission_rejects_garbage(view: object) -> None:
    with pytest.raises(ValueError):
        slack.parse_view_submission(view)


def test_no_platform_imports() -> None:
    source = open(slack.__file__, encoding="utf-8").read()
    assert not re.search(r"^\s*(from|import)\s+(slack_sdk|slack_bolt|handlers|bot)\b", source, re.M)
