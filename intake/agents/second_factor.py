"""Two-factor sign-in: an authenticator app's codes (RFC 6238) and one-time recovery codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
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


def matching_step(secret: str, code: str) -> int | None:
    """Return the 30-second step whose code `code` is: the app's current one, or the one
    before or after (a clock a little off); None if it is none of them. Spaces and dashes
    between the six digits 0-9 do not matter."""
    digits = "".join(c for c in code if c not in " -")
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(dt.datetime.now(dt.UTC))
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


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
