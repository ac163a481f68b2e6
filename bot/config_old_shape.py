"""``config/`` as versions before platform-keyed links, ids and targets wrote it.

Those versions named each platform's fields (``links.slack_channels``, a member's
``teams_user_id``, the team's ``slack_channel`` and ``teams``). A deployment upgraded
without rewriting its files must keep working, so ``bot.config`` passes every file
through ``rewrite_old_keys`` before validation: each old key moves to its place in the
keyed shape and is reported as a warning naming what to write instead. A key written
both ways is refused rather than guessed. Nothing else reads the old names: deleting
this module (and its call) is all it takes to stop accepting them.
"""

from __future__ import annotations

from typing import Any

Report = tuple[str, str, str]
"""(file, field, message), as ``bot.config.Problem`` takes them."""

_OLD_LINKS = {"slack_channels": ("slack", "conversations"), "slack_users": ("slack", "users"),
              "teams_conversations": ("teams", "conversations"), "teams_users": ("teams", "users")}
_OLD_IDS = {"slack_user_id": "slack", "teams_user_id": "teams"}
_OLD_TEAM_TARGETS = {"slack_channel": ("slack", "targets: {slack: <channel id>}"),
                     "teams": ("teams", "targets: {teams: {conversation: ..., service_url: ..., tenant: ...}}")}
_OLD_TEAMS_FIELDS = {"conversation_id": "conversation", "tenant_id": "tenant"}


class _Rewrite:
    """One file's rewrite: the warnings (old keys read) and problems (keys given twice)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.warnings: list[Report] = []
        self.problems: list[Report] = []

    def move(self, data: dict[str, Any], old: str, parent: dict[str, Any], key: str, new: str, prefix: str) -> None:
        """Move ``data[old]`` to ``parent[key]`` (``new``: how the new shape writes it),
        unless something is there already."""
        value = data.pop(old)
        if value is None:
            return
        if key in parent:
            self.problems.append((self.file, f"{prefix}{old}", f"given twice: as {old} and as {new}; keep {new} only"))
            return
        parent[key] = value
        self.warnings.append((self.file, f"{prefix}{old}", f"deprecated, still read: write {new} instead"))


def _account_links(account: dict[str, Any], rewrite: _Rewrite) -> None:
    links = account.get("links")
    if not isinstance(links, dict) or not set(links) & set(_OLD_LINKS):
        return
    account["links"] = links = dict(links)
    name = account.get("id")
    prefix = (f"account {name!r}: " if isinstance(name, str) and name else "") + "links."
    for old, (platform, kind) in _OLD_LINKS.items():
        if old not in links:
            continue
        new = f"links: {{{platform}: {{{kind}: [...]}}}}"
        place = links.get(platform, {})
        if not isinstance(place, dict):
            rewrite.problems.append((rewrite.file, f"{prefix}{old}", f"given twice: as {old} and as {new}; keep {new} only"))
            links.pop(old)
            continue
        links[platform] = place = dict(place)
        rewrite.move(links, old, place, kind, new, prefix)
        if not place:
            links.pop(platform)


def _team_targets(team: dict[str, Any], rewrite: _Rewrite) -> None:
    if not set(team) & set(_OLD_TEAM_TARGETS):
        return
    targets = team.get("targets")
    if targets is not None and not isinstance(targets, dict):
        return  # validation says what targets must be
    team["targets"] = targets = dict(targets or {})
    if isinstance(team.get("teams"), dict):
        team["teams"] = {_OLD_TEAMS_FIELDS.get(k, k): v for k, v in team["teams"].items()}
    for old, (platform, new) in _OLD_TEAM_TARGETS.items():
        if old in team:
            rewrite.move(team, old, targets, platform, new, "")


def _member_ids(team: dict[str, Any], rewrite: _Rewrite) -> None:
    members = team.get("members")
    if not isinstance(members, list):
        return
    team["members"] = members = [dict(m) if isinstance(m, dict) else m for m in members]
    for member in members:
        if not isinstance(member, dict) or not set(member) & set(_OLD_IDS):
            continue
        ids = member["ids"] = dict(member["ids"]) if isinstance(member.get("ids"), dict) else {}
        email = member.get("email")
        prefix = f"member {email!r}: " if isinstance(email, str) and email else "members: "
        for old, platform in _OLD_IDS.items():
            if old in member:
                rewrite.move(member, old, ids, platform, f"ids: {{{platform}: <user id>}}", prefix)


def rewrite_old_keys(file: str, data: Any) -> tuple[Any, list[Report], list[Report]]:
    """``data`` read from ``file`` (``accounts.yaml``, ``onboarding.yaml``; others pass
    through) with the old keys moved into the keyed shape, the warnings (one per old key)
    and the problems (a key given both ways). ``data`` itself is not changed."""
    rewrite = _Rewrite(file)
    if file == "accounts.yaml" and isinstance(data, dict) and isinstance(data.get("accounts"), list):
        data = {**data, "accounts": [dict(a) if isinstance(a, dict) else a for a in data["accounts"]]}
        for account in data["accounts"]:
            if isinstance(account, dict):
                _account_links(account, rewrite)
    elif file == "onboarding.yaml" and isinstance(data, dict):
        data = dict(data)
        _team_targets(data, rewrite)
        _member_ids(data, rewrite)
    return data, rewrite.warnings, rewrite.problems
