"""Loading ``config/`` into a validated ``Catalog``.

Each file is validated against its part of the schema, then the files are checked
against each other (a team channel that is also a customer's, a text in one language
only...). Every problem is reported at once, each naming the file, the field and, for
an account, its id; nothing is returned unless everything is valid, so a bad file never
half-loads.

Links, member ids and team targets are keyed by platform name (``links: {slack:
{conversations: [...]}}``); the names are checked here, against the platforms the bot
has. Files written for versions that named each platform's fields (``slack_channels``,
``teams_user_id``, ``slack_channel``...) still load: ``bot.config_old_shape`` rewrites
them into the keyed shape before validation, with a warning that names the new shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config_old_shape import rewrite_old_keys
from handlers.catalog import LANGS, Account, Catalog, Links, OnboardingTeam, Routing, Site
from handlers.match_index import FACT
from handlers.wording_model import NOTHING, WordingModel

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One mistake: the file, the field (empty for the whole file) and what is wrong."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists one line per mistake (``details``
    the same as ``Problem`` values, for JSON output)."""

    def __init__(self, problems: list[Problem] | list[str]):
        self.details = [p if isinstance(p, Problem) else Problem("", "", p) for p in problems]
        self.problems = [str(p) for p in self.details]
        super().__init__("invalid configuration:\n  " + "\n  ".join(self.problems))


class _Accounts(BaseModel):
    accounts: tuple[Account, ...]


_FILES: dict[str, type[BaseModel]] = {
    "site.yaml": Site,
    "accounts.yaml": _Accounts,
    "onboarding.yaml": OnboardingTeam,
    "routing.yaml": Routing,
}
_NAMED_BY = {"accounts": ("account", "id"), "routes": ("route", "id"), "narrower": ("route", "id"),
             "members": ("member", "email")}
"""Lists whose items a problem names by a field of the item (an account by its id), not by position."""


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic location as a reader finds it in the file: ``account 'acme': team.email``
    rather than ``accounts[0].team.email``."""
    segments: list[str] = []  # "account 'acme'", "team.email"
    path = ""
    node = data
    for index, part in enumerate(loc):
        item = node[part] if isinstance(part, int) and isinstance(node, list) and part < len(node) else \
            (node.get(part) if isinstance(node, dict) else None)
        kind, key = _NAMED_BY.get(str(loc[index - 1]), ("", "")) if index else ("", "")
        name = item.get(key) if isinstance(part, int) and isinstance(item, dict) and key else None
        if isinstance(name, str) and name:
            parent = path.rpartition(".")[0]
            if parent:
                segments.append(parent)
            segments.append(f"{kind} {name!r}")
            path = ""
        elif isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
        node = item
    if path:
        segments.append(path)
    return ": ".join(segments)


def _message(error: ErrorDetails) -> str:
    """Pydantic's message without its machinery ("Value error, ...")."""
    if error.get("type") == "missing":
        return "required, but missing"
    message = str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _read(path: Path, label: str, problems: list[Problem]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        problems.append(Problem(label, "", "file missing"))
    except yaml.YAMLError as exc:
        problems.append(Problem(label, "", f"not valid YAML: {exc}"))
    except UnicodeDecodeError:
        problems.append(Problem(label, "", "not UTF-8 text"))
    return None


def _validate(label: str, model: type[BaseModel], data: Any, problems: list[Problem], platforms: Collection[str]) -> Any:
    """``data`` as ``model``, with the platform names links, ids and targets may use."""
    try:
        return model.model_validate(data if data is not None else {}, context={"platforms": frozenset(platforms)})
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(Problem(label, _where(tuple(error["loc"]), data), _message(error)))
    return None


def _read_texts(root: Path, problems: list[Problem]) -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        label = f"locales/{lang}.yaml"
        data = _read(root / "locales" / f"{lang}.yaml", label, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(label, "", "expected key: text pairs"))
            continue
        for key, value in data.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(label, str(key), "must be a non-empty text"))
        texts[lang] = {str(k): str(v) for k, v in data.items()}
    return texts


# -- checks across files -------------------------------------------------------------------


def _texts_in_both_languages(texts: dict[str, dict[str, str]]) -> list[Problem]:
    """A key in one language only: named in the file that lacks it."""
    if len(texts) < len(LANGS):
        return []  # a file that could not be read is reported already
    out = []
    for lang in LANGS:
        for other in LANGS:
            for key in sorted(set(texts[other]) - set(texts[lang])):
                out.append(Problem(f"locales/{lang}.yaml", key, f"missing (locales/{other}.yaml has it)"))
    return out


def _accounts_distinct(accounts: tuple[Account, ...]) -> list[Problem]:
    """Each account id once, each conversation in one account only."""
    out = []
    seen: set[str] = set()
    owners: dict[tuple[str, str], str] = {}
    for account in accounts:
        if account.id in seen:
            out.append(Problem("accounts.yaml", f"account {account.id!r}", "this id is used twice"))
        seen.add(account.id)
        for platform, links in account.links.items():
            for conv in links.conversations:
                owner = owners.get((platform, conv))
                if owner is not None and owner != account.id:
                    out.append(Problem("accounts.yaml", f"account {account.id!r}: links.{platform}.conversations",
                                       f"{conv!r} is already account {owner!r}'s"))
                owners[platform, conv] = account.id
    return out


def _team_channels_are_not_customers(team: OnboardingTeam, accounts: tuple[Account, ...]) -> list[Problem]:
    """The onboarding team's channel receives every customer's escalations: if it were
    also a customer's channel, that customer would read the others' escalations."""
    out = []
    for account in accounts:
        for platform, place in team.targets.items():
            if place.conversation in account.links.get(platform, Links()).conversations:
                out.append(Problem(
                    "onboarding.yaml", f"targets.{platform}",
                    f"{place.conversation!r} is also customer account {account.id!r}'s conversation (accounts.yaml, "
                    f"links.{platform}.conversations): team cards, with other customers' escalations, would be posted there",
                ))
    return out


MODEL_FILE = "routing_model.json"


def _with_wording_model(root: Path, routing: Routing, problems: list[Problem]) -> Routing:
    """``routing`` with the trained wording model of ``routing_model.json`` beside it.

    Without the file the routing words answer alone. A model whose labels name a role
    or fact that routing.yaml no longer has was trained for other routing: refused,
    with the command that trains it again."""
    path = root / MODEL_FILE
    if not path.exists():
        return routing
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = WordingModel(data)
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(Problem(MODEL_FILE, "", f"not a wording model this version reads ({exc}); ./dev train writes one"))
        return routing
    targets = {each.target for route in routing.routes for each in route.self_and_narrower()}
    known = {NOTHING, *targets} | {FACT + fact.id for fact in routing.facts}
    unknown = [label for label in model.labels if label not in known]
    if unknown:
        problems.append(Problem(MODEL_FILE, "labels", f"{', '.join(unknown)}: not in routing.yaml; ./dev train trains it again"))
        return routing
    return routing.model_copy(update={"wording": model})


def _routing_has_topics(routing: Routing) -> list[Problem]:
    if routing.routes:
        return []
    return [Problem("routing.yaml", "routes", "no topics: every question would be answered with 'not sure'")]


def load_catalog(config_dir: Path | str, *, platforms: Collection[str] | None = None,
                 warnings: list[Problem] | None = None) -> Catalog:
    """Read and validate every file under ``config_dir``; raise ``ConfigError`` listing
    every problem found, in each file and across files (not just the first).

    ``platforms``: the names links, member ids and targets may use (by default those of
    the platforms the bot has, ``bot.platforms.config_names``). ``warnings`` collects
    what still loads but should be rewritten (keys of an older shape); left out, each is
    logged instead."""
    if platforms is None:
        from bot.platforms import config_names

        platforms = config_names()
    root = Path(config_dir)
    problems: list[Problem] = []
    found: list[Problem] = []
    parts: dict[str, Any] = {}
    for name, model in _FILES.items():
        data = _read(root / name, name, problems)
        if data is not None:
            data, old_keys, conflicts = rewrite_old_keys(name, data)
            found.extend(Problem(*each) for each in old_keys)
            problems.extend(Problem(*each) for each in conflicts)
        if data is not None or (root / name).exists():
            parts[name] = _validate(name, model, data, problems, platforms)
    texts = _read_texts(root, problems)
    problems.extend(_texts_in_both_languages(texts))
    accounts = parts.get("accounts.yaml")
    team = parts.get("onboarding.yaml")
    if warnings is not None:
        warnings.extend(found)
    else:
        for warning in found:
            log.warning("configuration: %s", warning)
    if accounts is not None:
        problems.extend(_accounts_distinct(accounts.accounts))
        if team is not None:
            problems.extend(_team_channels_are_not_customers(team, accounts.accounts))
    if parts.get("routing.yaml") is not None:
        problems.extend(_routing_has_topics(parts["routing.yaml"]))
        parts["routing.yaml"] = _with_wording_model(root, parts["routing.yaml"], problems)
    if problems:
        raise ConfigError(problems)
    try:
        return Catalog(
            site=parts["site.yaml"],
            accounts=parts["accounts.yaml"].accounts,
            onboarding=parts["onboarding.yaml"],
            routing=parts["routing.yaml"],
            texts=texts,  # type: ignore[arg-type]  # the languages are checked above, and the model validates them
        )
    except ValidationError as exc:
        raise ConfigError([Problem(str(root), _where(tuple(e["loc"]), None), _message(e)) for e in exc.errors()]) from None
