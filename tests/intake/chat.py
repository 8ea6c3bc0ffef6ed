"""Helpers for the chat's tests: a customer's widget over HTTP, an agent's message from the desk."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.intake.conftest import json_of

SITE = "https://help.nimbus.example"  # the origins of the tenants' base_url in site.yaml
SITES = {"eur": SITE, "km": "https://support.kestrel.example"}
CHATS = "/desk/eur/chats"


class Customer:
    """A customer's widget: a chat opened through the HTTP calls."""

    def __init__(self, client: FlaskClient, tenant: str = "eur", name: str = "Ada Lovelace",
                 email: str = "ada@example.com") -> None:  # fmt: skip
        self.client, self.tenant = client, tenant
        self.origin = SITES[tenant]
        opened = client.post(f"/chat/{tenant}/sessions", json={"name": name, "email": email},
                             headers={"Origin": self.origin})  # fmt: skip
        assert opened.status_code == 201, opened.get_data(as_text=True)
        self.id: int = json_of(opened)["session"]["id"]
        self.token: str = json_of(opened)["token"]

    def call(self, method: str, what: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Origin": self.origin,
                   **kwargs.pop("headers", {})}  # fmt: skip
        path = f"/chat/{self.tenant}/sessions/{self.id}{what}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def say(self, text: str, client_id: str | None = None) -> Any:
        return self.call("POST", "/messages", json={"text": text, "client_id": client_id})

    def messages(self, after: int = 0, wait: int = 0) -> list[dict[str, Any]]:
        answer = self.call("GET", f"/messages?after={after}&wait={wait}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found: list[dict[str, Any]] = answer.json["messages"]
        return found


def desk_send(agent: FlaskClient, chat_id: int, text: str) -> Any:
    """Send an agent's message the way the chat page's script does."""
    page = agent.get(f"{CHATS}/{chat_id}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    headers = {"X-Requested-With": "fetch", "X-CSRFToken": token.group(1)}
    return agent.post(f"{CHATS}/{chat_id}/messages", data={"text": text}, headers=headers)
