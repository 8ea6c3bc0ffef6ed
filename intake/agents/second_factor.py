"""Two-factor sign-in: an authenticator app's codes (RFC 6238) and one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno

RECOVERY_CODES = 10


def new_secret() -> str:
    """Return a fresh TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app reads (typed in or from the QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return the URI as an inline SVG QR code with a title for screen readers."""
    return str(
        segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
    )


def code_matches(secret: str, code: str) -> bool:
    """Say whether a six-digit code is the app's current one (or the one before or after)."""
    digits = "".join(c for c in code if c.isdigit())
    return len(digits) == 6 and pyotp.TOTP(secret).verify(digits, valid_window=1)


def new_recovery_codes() -> list[str]:
    """Return fresh recovery codes, shown once: ten groups like 7KQD-M2PX."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]


def hash_code(code: str) -> str:
    """Return the stored form of a recovery code (case and dashes do not matter)."""
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()
