"""What every configuration model shares: the languages, and frozen, strict models.

Its own module so that ``handlers.catalog`` and ``handlers.routing_schema`` can both build
on it without importing each other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")
Words = dict[Lang, tuple[str, ...]]
Texts = dict[Lang, str]


class FrozenModel(BaseModel):
    """Frozen (handlers share one catalog across concurrent turns) and strict (an unknown
    key is a mistake to report, not to ignore)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
