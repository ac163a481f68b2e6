"""What the Teams platform keeps in the store between turns: where each conversation can be
reached (for proactive messages), and the form last shown to each user (to show it again
with errors, since a submit carries only the values)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from cards.model import Form, form_from_json, form_to_json
from handlers.ports import Store, StoreUnavailable
from handlers.turn import Where

log = logging.getLogger(__name__)

REF_PREFIX = "teams:ref:"
FORM_PREFIX = "teams:form:"
FORM_TTL = 24 * 3600.0
_MAX_CACHED_REFS = 10_000


class ConversationReferences:
    """Where each Teams conversation can be reached later, for proactive messages.

    JSON in the store under ``teams:ref:{conversation_id}``; an in-process copy of what
    was last written means an unchanged reference costs no store call on each turn.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._written: dict[str, str] = {}

    async def remember(self, reference: Mapping[str, str]) -> None:
        conversation = reference.get("conversation_id", "")
        if not conversation or not reference.get("service_url"):
            return
        value = json.dumps(dict(reference), sort_keys=True, separators=(",", ":"))
        if self._written.get(conversation) == value:
            return
        try:
            await self.store.set(REF_PREFIX + conversation, value)
        except StoreUnavailable:
            log.info("store unavailable: Teams conversation reference not saved this turn")
            return
        if len(self._written) >= _MAX_CACHED_REFS:
            self._written.clear()
        self._written[conversation] = value

    async def get(self, conversation: str) -> dict[str, str] | None:
        """The stored reference, or None (also when the store cannot be reached)."""
        try:
            return await self.load(conversation)
        except StoreUnavailable:
            return None

    async def load(self, conversation: str) -> dict[str, str] | None:
        """The stored reference, or None; raises ``StoreUnavailable``, so that the outbox
        retries an item later instead of parking it for want of a service URL."""
        raw = await self.store.get(REF_PREFIX + conversation)
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def forget(self, conversation: str) -> None:
        self._written.pop(conversation, None)
        try:
            await self.store.delete(REF_PREFIX + conversation)
        except StoreUnavailable:
            log.info("store unavailable: Teams conversation reference not deleted")


class FormMemory:
    """The last form shown to a user in a conversation, as the neutral ``Form``, so a
    submit with errors can show the same form again with the values and the errors."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _key(where: Where, user_id: str) -> str:
        return f"{FORM_PREFIX}{where.tenant}:{where.conversation}:{user_id}"

    async def remember(self, where: Where, user_id: str, form: Form) -> None:
        try:
            await self.store.set(self._key(where, user_id), json.dumps(form_to_json(form), separators=(",", ":")), ttl=FORM_TTL)
        except StoreUnavailable:
            log.info("store unavailable: form not kept for re-display")

    async def recall(self, where: Where, user_id: str) -> Form | None:
        try:
            raw = await self.store.get(self._key(where, user_id))
            value: Any = json.loads(raw) if raw else None
            return form_from_json(value) if isinstance(value, dict) else None
        except (StoreUnavailable, ValueError):
            return None


__all__ = ["FORM_PREFIX", "REF_PREFIX", "ConversationReferences", "FormMemory"]
