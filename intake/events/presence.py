"""Who is online, and who has which ticket open or is typing in it, from the events bus.

Each desk page says so every few seconds (`announce`); every process keeps what it heard in
a board, read by the pages' live streams and the chat widget's "is anyone in". An entry lapses
after TTL seconds without news, so a closed tab disappears on its own. A board listens to every
tenant once a serving process starts (`watch`: a fresh process knows who is online by the next
heartbeat) and takes each event in as it arrives, so its queue never fills however rarely it
is read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from intake.events.bus import Event, EventBus, Subscription

TTL = 35.0  # seconds; pages announce every 15 s
BEAT = 15.0  # how long a board listens before it has heard every open page once
STATES = ("online", "away", "viewing", "typing")


@dataclass(frozen=True)
class Seen:
    """What one agent was last seen doing."""

    agent_id: int
    name: str
    state: str
    ticket_id: int | None
    at: float


class PresenceBoard:
    """This process's view of every tenant's agents' presence."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._lock = threading.RLock()
        self._subscriptions: dict[str, Subscription] = {}
        self._since: dict[str, float] = {}  # tenant -> when this board began to listen
        # tenant -> (agent id, ticket id or None) -> what was seen
        self._seen: dict[str, dict[tuple[int, int | None], Seen]] = {}

    def watch(self, tenant_ids: tuple[str, ...]) -> None:
        """Listen to these tenants' presence from now on (a serving process, at its start)."""
        for tenant_id in tenant_ids:
            self._subscribe(tenant_id)

    def announce(self, tenant_id: str, agent_id: int, name: str, state: str,
                 ticket_id: int | None = None) -> None:  # fmt: skip
        """Tell every process what an agent is doing now."""
        if state not in STATES:
            raise ValueError(state)
        self._subscribe(tenant_id)
        data = {"agent_id": agent_id, "name": name, "ticket_id": ticket_id}
        self.bus.publish(Event(f"presence.{state}", tenant_id, data))

    def _subscribe(self, tenant_id: str) -> None:
        with self._lock:
            if tenant_id not in self._subscriptions:
                self._seen[tenant_id] = {}
                self._since[tenant_id] = time.monotonic()
                self._subscriptions[tenant_id] = self.bus.subscribe(
                    tenant_id, ["presence."], wake=lambda: self._absorb(tenant_id)
                )

    def _absorb(self, tenant_id: str) -> None:
        """Take in the events queued for a tenant (called as each arrives)."""
        now = time.monotonic()
        with self._lock:
            subscription = self._subscriptions.get(tenant_id)
            if subscription is None:
                return
            seen = self._seen[tenant_id]
            for event in subscription.drain():
                data = event.data
                state = event.topic.removeprefix("presence.")
                ticket = data.get("ticket_id")
                agent_id = int(data.get("agent_id", 0))
                ticket_id = ticket if isinstance(ticket, int) else None
                name = str(data.get("name", ""))
                seen[(agent_id, ticket_id)] = Seen(agent_id, name, state, ticket_id, now)
                if ticket_id is not None:  # working on a ticket: the agent is online
                    seen[(agent_id, None)] = Seen(agent_id, name, "online", None, now)

    def _drain(self, tenant_id: str) -> dict[tuple[int, int | None], Seen]:
        self._subscribe(tenant_id)
        self._absorb(tenant_id)
        now = time.monotonic()
        with self._lock:
            seen = self._seen[tenant_id]
            for key in [k for k, v in seen.items() if now - v.at > TTL]:
                del seen[key]
            return dict(seen)

    def on_ticket(self, tenant_id: str, ticket_id: int) -> list[Seen]:
        """Return the agents who have the ticket open (typing first), by name."""
        seen = [v for (_a, t), v in self._drain(tenant_id).items() if t == ticket_id]
        return sorted(seen, key=lambda s: (s.state != "typing", s.name))

    def tickets_open(self, tenant_id: str) -> dict[int, list[str]]:
        """Return, per ticket id, the names of the agents who have it open."""
        opened: dict[int, list[str]] = {}
        for (_agent, ticket), seen in self._drain(tenant_id).items():
            if ticket is not None:
                opened.setdefault(ticket, []).append(seen.name)
        return {t: sorted(names) for t, names in opened.items()}

    def heard_everyone(self, tenant_id: str) -> bool:
        """Say whether this board has listened for a page's beat: before, an agent it has not
        heard of may well be online (a process just started)."""
        self._subscribe(tenant_id)
        with self._lock:
            return time.monotonic() - self._since[tenant_id] >= BEAT

    def agents(self, tenant_id: str) -> dict[int, str]:
        """Return each present agent's state: online or away."""
        states: dict[int, str] = {}
        for (agent_id, ticket), seen in self._drain(tenant_id).items():
            if ticket is None:
                states[agent_id] = "away" if seen.state == "away" else "online"
        return states

    def close(self) -> None:
        """Drop the subscriptions."""
        with self._lock:
            for subscription in self._subscriptions.values():
                subscription.close()
            self._subscriptions.clear()
