"""Agents' passwords: Argon2id hashes (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from intake.errors import InvalidInput

PASSWORD_MIN = 12
PASSWORD_MAX = 200
_hasher = PasswordHasher()


@functools.cache  # made on first use: hashing costs ~0.2 s, which every command would pay
def _dummy() -> str:
    """Return a hash verified against when the account does not exist, so both cases cost
    the same time."""
    return _hasher.hash("not a password of anyone")


def check_password(password: str, field: str = "password") -> str:
    """Return the password if it is acceptable as a new password, else raise InvalidInput."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"Use at least {PASSWORD_MIN} characters.", field)
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"Use at most {PASSWORD_MAX} characters.", field)
    return password


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Say whether `password` matches `hashed` (None: no account; still takes the time)."""
    try:
        return _hasher.verify(hashed or _dummy(), password[:PASSWORD_MAX]) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Say whether a hash was made with older parameters than today's."""
    return _hasher.check_needs_rehash(hashed)
