"""Password rules: 12 to 128 characters, no composition rules, no common passwords; Argon2id."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backplan.accounts.errors import WeakPassword
from backplan.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordHasher,
    check_new_password,
    common_passwords,
)


def test_eleven_characters_are_too_few_and_twelve_enough() -> None:
    with pytest.raises(WeakPassword, match="has 11 characters; use at least 12"):
        check_new_password("horsestaple")
    assert check_new_password("horse staple") == "horse staple"


def test_passwords_up_to_128_characters_are_accepted() -> None:
    phrase = "brisk otter lamp under a quiet northern sky, " * 3
    assert len(check_new_password(phrase[:128])) == 128
    with pytest.raises(WeakPassword, match="use at most 128"):
        check_new_password("z" * 129)


def test_there_are_no_composition_rules() -> None:
    for pw in (
        "all lower case words",
        "ÄÖÜ äöü ß 日本語のパスワード",
        "   brisk  otter   lamp  ",
        "😀🎉🦊🌵🍕🚲🎸📚🧭🪁🎯🧩",
    ):
        assert check_new_password(pw)


@pytest.mark.parametrize("pw", ["1qaz2wsx3edc", "qwerty123456", "QWERTY123456", "sonyericsson"])
def test_common_passwords_are_refused_whatever_their_case(pw: str) -> None:
    with pytest.raises(WeakPassword, match="most common"):
        check_new_password(pw)


def test_the_common_list_is_the_one_shipped_in_a_package() -> None:
    assert len(common_passwords()) > 29_000 and "password" in common_passwords()


def test_the_email_itself_is_not_a_password() -> None:
    with pytest.raises(WeakPassword, match="email"):
        check_new_password("someone@example.com", "Someone@Example.com")


def test_hashes_are_argon2id_and_verify() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse battery!")
    assert not hasher.verify(None, "correct horse battery")
    assert not hasher.verify("not a hash", "x")


def test_the_same_password_typed_in_another_unicode_form_matches() -> None:
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    stored = hasher.hash("café au lait please")  # é as one code point
    assert hasher.verify(stored, "cafe\u0301 au lait please")  # e + combining accent


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=MIN_LENGTH, max_size=MAX_LENGTH))
def test_any_long_enough_uncommon_text_is_accepted(pw: str) -> None:
    try:
        stored = check_new_password(pw)
    except WeakPassword as e:
        # Refused only as common, guessable (random text can be "000000000000") or, after
        # NFKC, too short or long.
        assert any(why in str(e) for why in ("common", "easy to guess", "characters"))
    else:
        assert MIN_LENGTH <= len(stored) <= MAX_LENGTH


@pytest.mark.parametrize(
    "pw",
    ["aaaaaaaaaaaa", "123456789012", "passwordpassword", "iloveyou1234", "abcdefghijkl",
     "qwertyuiopas", "1q2w3e4r5t6y", "monkey123456", "sunshine2020", "Welcome12345",
     "P@ssw0rd2024!", "dragondragon", "michael12345"],
)  # fmt: skip
def test_long_but_predictable_passwords_are_refused(pw: str) -> None:
    """Repeats, sequences, keyboard rows and common words with digits (issue 14, item 7)."""
    with pytest.raises(WeakPassword, match=r"easy to guess|common"):
        check_new_password(pw)


@pytest.mark.parametrize("pw", ["football2023!", "Iloveyou!2024", "sunshine!!!!", "p4ssw0rd1234"])
def test_a_breached_password_lengthened_with_digits_symbols_or_look_alikes_is_refused(
    pw: str,
) -> None:
    with pytest.raises(WeakPassword, match="common"):
        check_new_password(pw)


@pytest.mark.parametrize("pw", ["mo.kowalski1", "mokowalski!!!", "Mo.Kowalski@example.com"])
def test_a_password_made_of_the_email_is_refused(pw: str) -> None:
    with pytest.raises(WeakPassword, match="email"):
        check_new_password(pw, "mo.kowalski@example.com")


def test_the_refusal_says_what_makes_it_guessable() -> None:
    with pytest.raises(WeakPassword, match="Repeats"):
        check_new_password("xxxxxxxxxxxxy")


def test_a_very_long_password_is_scored_quickly() -> None:
    import time

    start = time.perf_counter()
    with pytest.raises(WeakPassword):
        check_new_password("ab" * 64)
    assert time.perf_counter() - start < 1.0
