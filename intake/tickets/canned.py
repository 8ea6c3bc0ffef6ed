"""Saved replies of a tenant, with placeholders filled in for one ticket."""

from __future__ import annotations

import re
from collections.abc import Mapping

from intake.models import Agent, ChatSession, SupportTicket

PLACEHOLDERS = ("customer_name", "reference", "subject", "agent_name")
# Exactly `{name}`: no format specs, indexes or attributes (str.format would run
# `{customer_name:>999999999}` or `{customer_name.__class__}` as written by an admin).
# `{{` and `}}` are a brace, as they were when replies were filled by str.format.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


def _fill(text: str, values: Mapping[str, str]) -> str:
    """Replace each known placeholder; anything else in braces stays as written."""

    def one(found: re.Match[str]) -> str:
        if found[1] is None:
            return found[0][0]  # a doubled brace: one
        return values.get(found[1], found[0])

    return _PLACEHOLDER.sub(one, text)


def fill_in(text: str, ticket: SupportTicket, agent: Agent) -> str:
    """Return a saved reply with {customer_name}, {reference}, {subject}, {agent_name} filled."""
    return _fill(text, {"customer_name": ticket.customer_name, "reference": ticket.reference,
                        "subject": ticket.subject, "agent_name": agent.name})  # fmt: skip


def fill_chat(text: str, chat: ChatSession, agent: Agent) -> str:
    """Return a saved reply with the chat's customer and agent filled in."""
    return _fill(text, {"customer_name": chat.customer_name, "agent_name": agent.name})


TICKETS_ONLY = ("reference", "subject")  # what a chat has none of


def tickets_only(text: str) -> list[str]:
    """Return the placeholders of a saved reply that only a ticket can fill."""
    used = {word for word in _PLACEHOLDER.findall(text) if word}
    return [name for name in TICKETS_ONLY if name in used]


def unknown_placeholders(text: str) -> list[str]:
    """Return the `{words}` of a saved reply that are no placeholder (a typo, most likely)."""
    words = (word for word in _PLACEHOLDER.findall(text) if word)  # not a doubled brace
    return [word for word in dict.fromkeys(words) if word not in PLACEHOLDERS]
