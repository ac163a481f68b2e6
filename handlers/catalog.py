"""The configuration the handlers work from: site facts, accounts, team, routing, texts.

These models are the schema of the YAML files in ``config/``; ``bot.config`` reads the
files and validates them against these models, so a mistake is reported with the file
and the field, and a bad file never half-loads. All models are frozen: handlers share
one ``Catalog`` across concurrent turns.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["en", "fr"]
LANGS: tuple[Lang, ...] = ("en", "fr")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9][0-9 ]{6,20}$")
_ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
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
    """Where an account's conversations live on each platform."""

    slack_channels: tuple[str, ...] = ()
    slack_users: tuple[str, ...] = ()
    teams_conversations: tuple[str, ...] = ()
    teams_users: tuple[str, ...] = ()


class Account(_Model):
    """A customer being onboarded (or done onboarding) at the site."""

    id: str
    name: str = Field(min_length=1)
    status: Literal["onboarding", "complete"]
    access_opens: dt.date | None = None
    language: Lang = "en"
    team: AccountTeam
    links: Links = Links()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ACCOUNT_ID.match(value):
            raise ValueError("use lower-case letters, digits and dashes (2 to 41 characters)")
        return value

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
    slack_user_id: str | None = None
    teams_user_id: str | None = None

    _email = field_validator("email")(_check_email)


class TeamsTarget(_Model):
    """A Teams conversation the bot can post into proactively."""

    conversation_id: str
    service_url: str
    tenant_id: str = ""


class OnboardingTeam(_Model):
    name: str
    email: str
    phone: str = ""
    language: Lang = "en"
    slack_channel: str | None = None
    teams: TeamsTarget | None = None
    members: tuple[Member, ...] = Field(min_length=1)
    remind_after_minutes: dict[Literal["normal", "urgent"], int] = Field(
        default_factory=lambda: {"normal": 240, "urgent": 30}
    )

    _email = field_validator("email")(_check_email)

    @model_validator(mode="after")
    def _somewhere_to_post(self) -> "OnboardingTeam":
        if not self.slack_channel and not self.teams:
            raise ValueError("name slack_channel, teams, or both: escalations must go somewhere")
        for urgency, minutes in self.remind_after_minutes.items():
            if minutes < 1:
                raise ValueError(f"remind_after_minutes.{urgency} must be at least 1")
        return self

    def member_for(self, platform: str, user_id: str) -> Member | None:
        for member in self.members:
            if platform == "slack" and member.slack_user_id == user_id:
                return member
            if platform == "teams" and member.teams_user_id == user_id:
                return member
            if platform == "console" and member.email == user_id:
                return member
        return None


class Route(_Model):
    """One routing topic: words that point a question at a role or a desk."""

    id: str
    target: Literal[
        "account_manager",
        "customer_success_manager",
        "sales_engineer",
        "billing_analyst",
        "service_desk",
        "portal",
        "onboarding_team",
    ]
    before_access: Literal[
        "account_manager",
        "customer_success_manager",
        "sales_engineer",
        "billing_analyst",
        "onboarding_team",
        "same",
    ] = "same"
    keywords: dict[Lang, tuple[str, ...]]

    @field_validator("keywords")
    @classmethod
    def _both_languages(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for lang in LANGS:
            if not value.get(lang):
                raise ValueError(f"needs at least one keyword in {lang!r}")
        return value


class Routing(_Model):
    routes: tuple[Route, ...] = ()


class Catalog(_Model):
    """Everything loaded from ``config/``, validated as one."""

    site: Site
    accounts: tuple[Account, ...]
    onboarding: OnboardingTeam
    routing: Routing = Routing()
    texts: dict[Lang, dict[str, str]]

    @model_validator(mode="after")
    def _consistent(self) -> "Catalog":
        seen: dict[str, str] = {}
        for account in self.accounts:
            if account.id in seen:
                raise ValueError(f"account id {account.id!r} is used twice")
            seen[account.id] = account.id
        owners: dict[str, str] = {}
        for account in self.accounts:
            for conv in (*account.links.slack_channels, *account.links.teams_conversations):
                if conv in owners:
                    raise ValueError(
                        f"conversation {conv!r} is linked to both {owners[conv]!r} and {account.id!r}"
                    )
                owners[conv] = account.id
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
