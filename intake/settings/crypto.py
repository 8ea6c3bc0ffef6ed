"""Secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key from the configuration."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from intake.errors import ConfigError


class SecretBox:
    """Encrypt and decrypt tenant secrets with ENCRYPTION_KEY."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                "ENCRYPTION_KEY: not a Fernet key (32 url-safe base64-encoded bytes); make one"
                " with `intake settings new-key`"
            ) from None

    def seal(self, plain: str) -> str:
        """Return the encrypted, authenticated token of `plain`."""
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, token: str) -> str:
        """Return the plain text of a token sealed with this key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "ENCRYPTION_KEY: a stored secret does not open with this key (was the key"
                " changed?); set the key it was written with, or enter the secret again"
            ) from None


def new_key() -> str:
    """Return a fresh random key for ENCRYPTION_KEY."""
    return Fernet.generate_key().decode()
