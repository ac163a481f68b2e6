"""Loading ``config/`` into a validated ``Catalog``.

Each file is validated against its part of the schema so an error names the file,
the field and the problem; nothing is returned unless every file is valid, so a bad
file never half-loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from handlers.catalog import LANGS, Account, Catalog, OnboardingTeam, Routing, Site

try:  # the C loader is several times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists one line per mistake."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


class _Accounts(BaseModel):
    accounts: tuple[Account, ...]


_FILES: dict[str, type[BaseModel] | None] = {
    "site.yaml": Site,
    "accounts.yaml": _Accounts,
    "onboarding.yaml": OnboardingTeam,
    "routing.yaml": Routing,
}


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _read(path: Path, problems: list[str]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader
    except FileNotFoundError:
        problems.append(f"{path}: file missing")
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
    except UnicodeDecodeError:
        problems.append(f"{path}: not UTF-8 text")
    return None


def _validate(path: Path, model: type[BaseModel], data: Any, problems: list[str]) -> Any:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(f"{path}: {_where(error['loc'])}: {error['msg']}")
    return None


def load_catalog(config_dir: Path | str) -> Catalog:
    """Read and validate every file under ``config_dir``; raise ``ConfigError`` listing
    every problem found (not just the first)."""
    root = Path(config_dir)
    problems: list[str] = []
    parts: dict[str, Any] = {}
    for name, model in _FILES.items():
        path = root / name
        if name == "routing.yaml" and not path.exists():
            parts[name] = Routing()
            continue
        data = _read(path, problems)
        if model is not None and (data is not None or not problems):
            parts[name] = _validate(path, model, data, problems)
    texts: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        path = root / "locales" / f"{lang}.yaml"
        data = _read(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{path}: expected key: text pairs")
            continue
        for key, value in data.items():
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{path}: {key}: must be a non-empty text")
        texts[lang] = {str(k): str(v) for k, v in data.items()}
    if problems:
        raise ConfigError(problems)
    try:
        return Catalog(
            site=parts["site.yaml"],
            accounts=parts["accounts.yaml"].accounts,
            onboarding=parts["onboarding.yaml"],
            routing=parts["routing.yaml"],
            texts=texts,
        )
    except ValidationError as exc:
        raise ConfigError(
            [f"{root}: {_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        ) from None
