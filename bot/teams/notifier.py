"""Proactive posts to Teams conversations for the outbox (``handlers.ports.Notifier``)."""

from __future__ import annotations

from dataclasses import replace

from botbuilder.schema import Activity

from bot.teams.connector import BotConnector, ConnectorPool
from bot.teams.messages import card_activity
from bot.teams.state import ConversationReferences
from bot.teams.tokens import ConnectorError
from cards.model import Card
from handlers.ports import DeliveryError, Target


class TeamsNotifier:
    """Posts and updates cards in Teams conversations for the outbox (``handlers.ports.Notifier``).

    The service URL is the target's, else the one stored when the bot last heard from
    that conversation.
    """

    def __init__(self, connectors: ConnectorPool, references: ConversationReferences) -> None:
        self.connectors = connectors
        self.references = references

    async def post(self, target: Target, card: Card) -> str:
        connector = await self._connector(target)
        activity = self._activity(card)
        try:
            response = await connector.send_to_conversation(target.conversation, activity)
        except ConnectorError as exc:
            raise exc.delivery_error() from None
        return response.id or ""

    async def update(self, target: Target, ref: str, card: Card) -> None:
        connector = await self._connector(target)
        activity = self._activity(card)
        activity.id = ref
        try:
            await connector.update_activity(target.conversation, ref, activity)
        except ConnectorError as exc:
            raise exc.delivery_error() from None

    async def locate(self, target: Target) -> Target:
        """``target`` with the service URL and tenant stored when the bot last heard from
        its conversation, where the target does not name them (a team channel in config).
        The service URL travels in ``target.address`` (``config/``: ``service_url``)."""
        if target.address.get("service_url"):
            return target
        stored = await self.references.load(target.conversation) or {}
        return replace(target, address={**target.address, "service_url": str(stored.get("service_url", ""))},
                       tenant=target.tenant or str(stored.get("tenant_id", "")))

    async def _connector(self, target: Target) -> BotConnector:
        service_url = (await self.locate(target)).address.get("service_url", "")
        if not service_url:
            raise DeliveryError("teams: no service URL known for this conversation (the bot never heard from it)", permanent=True)
        return self.connectors.get(service_url)

    @staticmethod
    def _activity(card: Card) -> Activity:
        try:
            return card_activity(card)
        except ValueError as exc:
            raise DeliveryError(f"teams: card cannot be rendered ({exc})", permanent=True) from None


__all__ = ["TeamsNotifier"]
