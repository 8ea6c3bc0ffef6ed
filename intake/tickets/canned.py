"""Saved replies of a tenant, with placeholders filled in for one ticket."""

from __future__ import annotations

import string

from intake.models import Agent, ChatSession, SupportTicket

PLACEHOLDERS = ("customer_name", "reference", "subject", "agent_name")


class _Known(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays as it was typed


def fill_in(text: str, ticket: SupportTicket, agent: Agent) -> str:
    """Return a saved reply with {customer_name}, {reference}, {subject}, {agent_name} filled."""
    values = _Known(customer_name=ticket.customer_name, reference=ticket.reference,
                    subject=ticket.subject, agent_name=agent.name)  # fmt: skip
    try:
        return string.Formatter().vformat(text, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return text  # stray braces: insert the text as written


def fill_chat(text: str, chat: ChatSession, agent: Agent) -> str:
    """Return a saved reply with the chat's customer and agent filled in."""
    values = _Known(customer_name=chat.customer_name, agent_name=agent.name)
    try:
        return string.Formatter().vformat(text, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return text
