"""Two-factor codes: an authenticator app's key and codes (TOTP, RFC 6238, through pyotp),
and single-use recovery codes.

A key is 160 random bits (32 base32 characters, as RFC 4226 recommends); the
app shows a six-digit code for each 30-second step. A code is accepted for the
step of the given moment and one step either side, so a phone's clock may be
30 seconds off. Recovery codes are 16 random base32 characters (80 bits) in
groups of four; only their SHA-256 is stored, which nobody can reverse by
guessing at 80 bits.

    >>> from datetime import UTC, datetime
    >>> key = new_key()
    >>> at = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    >>> matching_step(key, pyotp.TOTP(key).at(at), at) == pyotp.TOTP(key).timecode(at)
    True
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import pyotp
from pyotp.exceptions import OTPVerificationError

ISSUER = "backplan"
"""The name the authenticator app shows above the account's codes."""
DRIFT_STEPS = 1
"""Steps of 30 s a code may be early or late (a phone's clock a little off)."""
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_APP_CODE = re.compile(r"\d{6}")
_SPACING = re.compile(r"[\s-]+")


def new_key() -> str:
    """A new authenticator key: 32 base32 characters (160 bits)."""
    return pyotp.random_base32(32)


def spaced(key: str) -> str:
    """A key in groups of four, as people type it into an app: ``ABCD EFGH ...``."""
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def setup_uri(key: str, email: str) -> str:
    """The ``otpauth://`` address an app reads from the QR code."""
    return pyotp.TOTP(key).provisioning_uri(name=email, issuer_name=ISSUER)


def cleaned(typed: str) -> str:
    """What was typed, without spaces and dashes, in lower case.

    >>> cleaned(" 123 456 "), cleaned("ABCD-efgh ijkl-MNOP")
    ('123456', 'abcdefghijklmnop')
    """
    return _SPACING.sub("", typed).lower()


def is_app_code(typed: str) -> bool:
    """Whether ``typed`` is six digits (an app's code) rather than a recovery code."""
    return bool(_APP_CODE.fullmatch(cleaned(typed)))


def matching_step(key: str, typed: str, at: datetime) -> int | None:
    """The 30-second step whose code ``typed`` is, within a step of ``at``; None if none."""
    if not is_app_code(typed):
        return None
    try:
        return pyotp.TOTP(key).verify_and_get_timecode(
            cleaned(typed), for_time=at, valid_window=DRIFT_STEPS
        )
    except OTPVerificationError:
        return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` random recovery codes such as ``k7qm-2xrd-w4ha-pz3n``."""
    codes = []
    for _ in range(count):
        chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(chars[i : i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_hash(typed: str) -> str:
    """The stored form of a recovery code (however it was spaced or cased when typed)."""
    return hashlib.sha256(cleaned(typed).encode()).hexdigest()
