"""Limits on sign-in attempts, per account and per address, in the rate-limit storage.

An account is locked at one address after a few failures there, and everywhere only after many
from several: one stranger who knows an agent's address must not lock the agent out of the
desk from the office, while guesses spread over many addresses still meet a limit.

The storage is the one RATELIMIT_STORAGE_URI names (memory for one process, Redis for
several), through the `limits` library that Flask-Limiter is built on, so the counts hold
on every deployment the docs describe.
"""

from __future__ import annotations

import ipaddress
import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from intake.counts import Resilient, storage_options
from intake.errors import TooMany

ACCOUNT_LIMIT = "5 per 15 minutes"  # one account, from one address
ACCOUNT_EVERYWHERE_LIMIT = "50 per 15 minutes"  # one account, from all addresses
ADDRESS_LIMIT = "20 per 15 minutes"  # one address, all accounts


def network_of(address: str) -> str:
    """Return the network an address counts for: an IPv6 address's /64 (one machine holds
    all of it), an IPv4 address itself."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class SignInThrottle:
    """Count failed sign-ins; refuse further attempts for a while once a limit is reached."""

    def __init__(self, storage_uri: str) -> None:
        storage = storage_from_string(storage_uri, **storage_options(storage_uri))
        assert isinstance(storage, Storage)  # the synchronous kind, for these URIs
        self.storage = storage
        shared = MovingWindowRateLimiter(self.storage)
        # Signing in must not fail with the storage (Redis): counted here while it is down.
        self.limiter = Resilient(lambda: shared, MovingWindowRateLimiter(MemoryStorage()))
        self.limits = (parse(ACCOUNT_LIMIT), parse(ACCOUNT_EVERYWHERE_LIMIT), parse(ADDRESS_LIMIT))

    def _keys(self, tenant_id: str, email: str, address: str) -> list[tuple[RateLimitItem, str]]:
        here, everywhere, by_address = self.limits
        address = network_of(address)
        account = f"signin:{tenant_id}:{email.lower()}"
        return [(here, f"{account}:{address}"), (everywhere, account),
                (by_address, f"signin-ip:{address}")]  # fmt: skip

    def check(self, tenant_id: str, email: str, address: str) -> None:
        """Raise TooMany, saying how long to wait, if this account or address is locked out."""
        wait = 0.0
        for item, key in self._keys(tenant_id, email, address):
            if not self.limiter.test(item, key):
                wait = max(wait, self.limiter.reset_time(item, key) - time.time())
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            unit = "minute" if minutes == 1 else "minutes"
            raise TooMany(
                f"Too many failed sign-ins. Try again in {minutes} {unit}.",
                retry_after=math.ceil(wait),
                field="email",
            )

    def failed(self, tenant_id: str, email: str, address: str) -> None:
        """Count one failed attempt against the account and the address."""
        for item, key in self._keys(tenant_id, email, address):
            self.limiter.hit(item, key)

    def reset(self) -> None:
        """Forget every count (tests)."""
        self.storage.reset()
