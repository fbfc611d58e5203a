"""Password rules (OWASP ASVS level 1) and Argon2id hashing.

Rules: at least 12 characters, accepted up to 128, no composition rules
(any characters, spaces included), and not one of the 30,000 most common
passwords (the list shipped inside the ``zxcvbn`` package; nothing is
downloaded at run time).
"""

from __future__ import annotations

import unicodedata
from functools import cache

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backplan.accounts.errors import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list shipped with ``zxcvbn``, lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def normalise(password: str) -> str:
    """NFKC, so that the same password typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: str, email: str = "") -> str:
    """The password to store, normalised; raises WeakPassword saying what to change.

    >>> check_new_password("correct horse battery staple")
    'correct horse battery staple'
    """
    pw = normalise(password)
    if len(pw) < MIN_LENGTH:
        raise WeakPassword(
            f"the password has {len(pw)} characters; use at least {MIN_LENGTH} "
            "(a few unrelated words make a long password that is easy to remember)"
        )
    if len(pw) > MAX_LENGTH:
        raise WeakPassword(f"the password has {len(pw)} characters; use at most {MAX_LENGTH}")
    lowered = pw.lower()
    if lowered in common_passwords():
        raise WeakPassword("that password is one of the most common ones; choose another")
    if email and lowered == email.strip().lower():
        raise WeakPassword("the password must not be the email address; choose another")
    return pw


class PasswordHasher:
    """Argon2id hashes; ``verify`` spends the same time whether or not the user exists."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 64 * 1024) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1
        )
        # Verified against when an email is unknown, so that an unknown
        # account costs as much time as a wrong password.
        self._decoy = self._hasher.hash("decoy password that matches nothing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalise(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with no stored hash, False after the same work."""
        try:
            self._hasher.verify(stored or self._decoy, normalise(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
