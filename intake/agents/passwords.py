"""Agents' passwords: Argon2id hashes (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from intake.errors import InvalidInput

PASSWORD_MIN = 12
PASSWORD_MAX = 200
# Repetition is what NIST SP 800-63B asks verifiers to refuse (with known-breached passwords).
DIFFERENT_MIN = 5
_hasher = PasswordHasher()
# A hash of nobody's password with the hasher's parameters (RFC 9106's low-memory choice),
# verified against when the account does not exist, so both cases cost the same time from the
# first request on. Stored rather than made at import, which cost every command ~0.2 s.
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$uurabeJbMjVopngEmxasOQ"
    "$zUyIbu3Eizh1sktV//mFr3sP4b+py0Oa0PQVaWKE4aQ"
)


def _dummy() -> str:
    return _DUMMY


def check_password(password: str, field: str = "password") -> str:
    """Return the password if it is acceptable as a new password, else raise InvalidInput."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"Use at least {PASSWORD_MIN} characters.", field)
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"Use at most {PASSWORD_MAX} characters.", field)
    if len(set(password)) < DIFFERENT_MIN:  # twelve spaces, "aaaaaaaaaaaa", "abababababab"
        raise InvalidInput("Use a password that repeats less: it needs at least "
                           f"{DIFFERENT_MIN} different characters.", field)  # fmt: skip
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
