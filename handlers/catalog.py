"""The configuration the handlers work from: site facts, accounts, team, routing, texts.

These models are the schema of the YAML files in ``config/``; ``bot.config`` reads the
files and validates them against these models, so a mistake is reported with the file
and the field, and a bad file never half-loads. All models are frozen: handlers share
one ``Catalog`` across concurrent turns.

What is particular to a platform (an account's conversations, a member's user id, where
the team's cards go) is keyed by the platform's name. Which names exist is the app's
business (it passes them as ``platforms`` in the validation context, and a name not
among them is refused); what the values mean is the platform adapter's.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from handlers.config_base import LANGS, FrozenModel, Lang, Texts, Words
from handlers.routing_schema import DESKS, Fact, Route, Routing, StandIn, Target
from handlers.turn import CONSOLE

__all__ = [
    "DESKS", "LANGS", "ROLES", "Account", "AccountTeam", "Catalog", "Fact", "Lang", "Links", "Member",
    "OnboardingTeam", "Person", "Place", "Route", "Routing", "Site", "StandIn", "Target", "Texts", "Words",
]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9][0-9 ]{6,20}$")
_ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
_PLATFORM = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


_Model = FrozenModel


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _check_platforms(value: dict[str, object], info: ValidationInfo) -> dict[str, object]:
    """The keys of a mapping by platform name are names, not ids pasted one level too
    high, and, when the caller says which platforms there are, one of those (a typo
    would leave its links or ids silently unused)."""
    known = (info.context or {}).get("platforms")
    for name in value:
        if not _PLATFORM.match(name):
            raise ValueError(f"{name!r} is no platform name (lower-case letters, digits and _, such as the adapters use)")
        if known is not None and name not in known:
            raise ValueError(f"no platform is called {name!r} (known: {', '.join(sorted(known))})")
    return value


def _check_phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError(f"{value!r} is not an international phone number (+31 20 ...)")
    return value


class Person(_Model):
    name: str = Field(min_length=1)
    email: str
    phone: str = ""

    _email = field_validator("email")(_check_email)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _check_phone(value) if value else value


ROLES: tuple[str, ...] = (
    "account_manager",
    "customer_success_manager",
    "sales_engineer",
    "billing_analyst",
)


class AccountTeam(_Model):
    account_manager: Person
    customer_success_manager: Person
    sales_engineer: Person
    billing_analyst: Person

    def by_role(self, role: str) -> Person:
        return getattr(self, role)


class Links(_Model):
    """An account's place on one platform: ``conversations`` (channels, group chats)
    belong to the account whoever writes in them; ``users`` are people whose direct
    messages with the bot do. Ids as that platform gives them. A list alone is the
    conversations (``<platform>: [<id>, ...]``)."""

    conversations: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        return {"conversations": data} if isinstance(data, list | tuple) else data


class Account(_Model):
    """A customer being onboarded (or done onboarding) at the site."""

    id: str
    name: str = Field(min_length=1)
    status: Literal["onboarding", "complete"]
    access_opens: dt.date | None = None
    language: Lang = "en"
    team: AccountTeam
    links: dict[str, Links] = Field(default_factory=dict)
    """By platform name: ``{<platform>: {conversations: [...], users: [...]}}``."""
    keep_question_samples: bool = True
    """False: the text of this account's questions is never kept, not even masked."""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ACCOUNT_ID.match(value):
            raise ValueError("use lower-case letters, digits and dashes (2 to 41 characters)")
        return value

    _links = field_validator("links")(_check_platforms)

    def access_open(self, today: dt.date) -> bool:
        """Whether the customer can use ECP and the GSD on ``today``."""
        if self.status == "complete":
            return True
        return self.access_opens is not None and today >= self.access_opens


class ServiceDesk(_Model):
    name: str
    phone: str
    email: str
    hours: str = "24/7"
    language: str = "English"

    _email = field_validator("email")(_check_email)
    _phone = field_validator("phone")(_check_phone)


class Portal(_Model):
    name: str
    url: str


class ResourceCenter(_Model):
    url: str
    download_url: str
    faq_url: str


class Site(_Model):
    code: str
    former_name: str
    city: str
    provider: str
    program: str
    service_desk: ServiceDesk
    portal: Portal
    resource_center: ResourceCenter


class Member(_Model):
    """An onboarding-team member: who may act on escalations and link channels."""

    name: str
    email: str
    ids: dict[str, str] = Field(default_factory=dict)
    """The member's user id on each platform, by platform name."""

    _email = field_validator("email")(_check_email)
    _ids = field_validator("ids")(_check_platforms)


class Place(_Model):
    """A conversation the bot can post into without being asked, on one platform.

    Written as the conversation's id alone, or as a mapping: ``conversation``,
    ``tenant`` (the workspace or tenant it belongs to, where the platform has them)
    and any other text fields, which become ``address``: what that platform's adapter
    needs to reach it (a service URL, say), carried to it unread.
    """

    conversation: str = Field(min_length=1)
    tenant: str = ""
    address: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, str):
            return {"conversation": data}
        if isinstance(data, dict) and "address" not in data:
            data = dict(data)
            data["address"] = {key: data.pop(key) for key in list(data) if key not in ("conversation", "tenant")}
        return data


GUIDANCE_FIELDS: tuple[str, ...] = ("manager", "manager_phone", "manager_email", "team", "team_phone", "team_email")
"""The placeholders ``before_access_guidance`` may use."""


def _placeholders(template: str) -> set[str]:
    return {name.split(":")[0].split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Digest(_Model):
    """When the weekly digest is posted in the team's channel: a day, an hour, a time zone."""

    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    hour: int = Field(ge=0, le=23)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is no IANA time zone (e.g. Europe/Amsterdam)") from None
        return value


class OnboardingTeam(_Model):
    """``config/onboarding.yaml``: the customer-support onboarding team.

    ``name`` is given per language (``{en: ..., fr: ...}``); a single text is still
    accepted and used in both. French sentences write "l'" before it, so the French
    name starts with a vowel or an h ("équipe d'intégration AM11").

    ``before_access_guidance`` is what the bot advises, on every card, while an account
    cannot use the portal and the service desk yet (the provider's page says nothing
    about that period, so this is the bot's own advice, worded as such). Placeholders:
    ``{manager}``, ``{manager_phone}``, ``{manager_email}`` (the account's Account
    Manager), ``{team}``, ``{team_phone}``, ``{team_email}``. Left out, the locale text
    ``access.guidance`` is used.
    """

    name: str
    """The name in English, for code that shows one name whatever the language."""
    names: Texts
    email: str
    phone: str = ""
    language: Lang = "en"
    before_access_guidance: Texts | None = None
    targets: dict[str, Place] = Field(default_factory=dict)
    """Where the team's cards are posted, by platform name (one place on each)."""
    members: tuple[Member, ...] = Field(min_length=1)
    remind_after_minutes: dict[Literal["normal", "urgent"], int] = Field(
        default_factory=lambda: {"normal": 240, "urgent": 30}  # type: ignore[arg-type]  # the keys are those two
    )
    digest: Digest | None = None

    _email = field_validator("email")(_check_email)
    _targets = field_validator("targets")(_check_platforms)

    @model_validator(mode="before")
    @classmethod
    def _name_per_language(cls, data: object) -> object:
        """``name: {en, fr}`` (or one text for both) becomes ``names``, and ``name``
        the English one."""
        if not isinstance(data, dict) or "names" in data:
            return data
        data = dict(data)
        raw = data.get("name")
        if isinstance(raw, str):
            data["names"] = {lang: raw for lang in LANGS}
        elif isinstance(raw, dict):
            data["names"] = raw
            data["name"] = str(raw.get("en") or "")
        return data

    @field_validator("names")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for lang in LANGS:
            if not (value.get(lang) or "").strip():
                raise ValueError(f"needs a name in {lang!r}")
        if value["fr"].strip()[0].lower() not in "aeiouyhàâéèêëîïôœ":
            raise ValueError(
                "fr: French sentences put « l' » before the name (« l'équipe d'intégration AM11 »), "
                "so start it with a vowel or an h"
            )
        return value

    @field_validator("before_access_guidance")
    @classmethod
    def _guidance(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        for lang in LANGS:
            text = (value.get(lang) or "").strip()
            if not text:
                raise ValueError(f"needs a text in {lang!r}")
            try:
                unknown = _placeholders(text) - set(GUIDANCE_FIELDS)
            except ValueError as exc:
                raise ValueError(f"{lang}: {exc} (write braces only around a placeholder)") from None
            if unknown:
                raise ValueError(
                    f"{lang}: unknown placeholder {{{sorted(unknown)[0]}}}; use " + ", ".join("{" + f + "}" for f in GUIDANCE_FIELDS)
                )
        return value

    @model_validator(mode="after")
    def _somewhere_to_post(self) -> OnboardingTeam:
        if not self.targets:
            raise ValueError("targets: name where the team's cards go, at least one place "
                             "({<platform>: <channel id>}): escalations must go somewhere")
        for urgency, minutes in self.remind_after_minutes.items():
            if minutes < 1:
                raise ValueError(f"remind_after_minutes.{urgency} must be at least 1")
        return self

    def name_in(self, lang: str) -> str:
        """The team's name in ``lang`` (English for an unknown language)."""
        return self.names.get(lang) or self.name  # type: ignore[call-overload]

    def member_for(self, platform: str, user_id: str) -> Member | None:
        """The member this user is on ``platform``: by the id configured for it, or, on
        the console (whose users are who they say), by e-mail address."""
        for member in self.members:
            if member.ids.get(platform) == user_id or (platform == CONSOLE and member.email == user_id):
                return member
        return None

    def conversations(self) -> frozenset[tuple[str, str]]:
        """The team's own conversations, as (platform, conversation id) pairs."""
        return frozenset((platform, place.conversation) for platform, place in self.targets.items())


class Catalog(_Model):
    """Everything loaded from ``config/``, validated as one."""

    site: Site
    accounts: tuple[Account, ...]
    onboarding: OnboardingTeam
    routing: Routing = Routing()
    texts: dict[Lang, dict[str, str]]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        seen: dict[str, str] = {}
        for account in self.accounts:
            if account.id in seen:
                raise ValueError(f"account id {account.id!r} is used twice")
            seen[account.id] = account.id
        owners: dict[tuple[str, str], str] = {}
        for account in self.accounts:
            for platform, links in account.links.items():
                for conv in links.conversations:
                    if (platform, conv) in owners:
                        raise ValueError(
                            f"conversation {conv!r} is linked to both {owners[platform, conv]!r} and {account.id!r}"
                        )
                    owners[platform, conv] = account.id
        missing = set(self.texts.get("en", {})) ^ set(self.texts.get("fr", {}))
        if missing:
            raise ValueError(
                "texts: keys present in one language only: " + ", ".join(sorted(missing)[:10])
            )
        return self

    def account(self, account_id: str) -> Account | None:
        for account in self.accounts:
            if account.id == account_id:
                return account
        return None
