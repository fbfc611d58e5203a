"""Password rules (OWASP ASVS 2.1) and Argon2id hashing.

Rules: at least 12 characters, accepted up to 128, no composition rules (any
characters, spaces included), and

* not a breached password: not one of the 30,000 most common passwords of
  real breaches (the list shipped inside the ``zxcvbn`` package), nor one of
  them made long the way people do it (``iloveyou1234``, ``sunshine!!!!``,
  ``p4ssw0rd1234``, ``passwordpassword``);
* not easy to guess: zxcvbn's score at least ``MIN_SCORE`` (about 10^8
  guesses), which refuses repeats (``aaaaaaaaaaaa``), sequences
  (``123456789012``), keyboard rows (``qwertyuiopas``), dates, names and
  words with digits, and passwords made of the user's email.

Everything is offline: nothing is downloaded at run time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backplan.accounts.errors import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
"""zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable", about 10^8 guesses."""
SCORED_LENGTH = 72
"""zxcvbn scores the first 72 characters (its own default limit): its time grows fast with
length, and what follows only makes a password harder to guess."""
PADDING = "0123456789!@#$%^&*?.,;:-_+=~ "
"""What people add before or after a common password to make it long enough."""
LOOK_ALIKES = str.maketrans("@4310$5!7", "aaeiossit")
"""Characters people swap for letters (p4ssw0rd): undone before the common list is checked."""


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list shipped with ``zxcvbn``, lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def common_root(password: str) -> str | None:
    """The common (breached) password that ``password`` is made from, if any: itself, or itself
    with digits or symbols added around it, letters swapped for look-alikes, or repeated.

    >>> common_root("Iloveyou!2024"), common_root("dragondragon1"), common_root("horse staple")
    ('iloveyou', 'dragon', None)
    """
    lowered = password.lower()
    common = common_passwords()
    stripped = lowered.strip(PADDING)
    for base in dict.fromkeys((lowered, stripped, lowered.translate(LOOK_ALIKES))):
        for candidate in (base, base.strip(PADDING), base.strip(PADDING).translate(LOOK_ALIKES)):
            root = _unrepeated(candidate)
            if len(root) >= 4 and root in common:
                return root
    return None


def _unrepeated(text: str) -> str:
    """``text``'s shortest part that repeats to make it (``dragondragon``: ``dragon``)."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _made_of_email(lowered: str, email: str) -> bool:
    """Whether the password is the email, or its name part, perhaps padded or repeated."""
    if not email:
        return False
    name = email.split("@", 1)[0]
    core = _unrepeated(lowered.strip(PADDING))
    return lowered == email or core in {email, name, re.sub(r"[._+-]", "", name)}


def guessability(password: str, email: str = "") -> tuple[int, str]:
    """zxcvbn's score (0-4) of ``password`` and, when it is low, what makes it guessable."""
    from zxcvbn import zxcvbn

    words = [email, *re.split(r"[@._+-]+", email)] if email else []
    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=[*words, "backplan"])
    feedback = result.get("feedback") or {}
    advice = " ".join([feedback.get("warning") or "", *feedback.get("suggestions", [])[:1]])
    return int(result["score"]), advice.strip()


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
    if (root := common_root(pw)) is not None:
        raise WeakPassword(
            f"that password is the common password {root!r} made longer; common passwords "
            "are tried first, whatever is added to them: choose another"
        )
    if _made_of_email(lowered, email.strip().lower()):
        raise WeakPassword("the password must not be made of the email address; choose another")
    score, advice = guessability(pw, email.strip().lower())
    if score < MIN_SCORE:
        raise WeakPassword(
            "that password is easy to guess"
            + (f" ({advice})" if advice else "")
            + "; a few unrelated words make a strong password that is easy to remember"
        )
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
