"""The password rule: 12 to 128 characters, no composition rules, refused when common or breached
(a bundled list of 100,000+), when it is the demo's published password, or when it holds the
person's name or e-mail address."""

from __future__ import annotations

import pytest

from portal.demo.program import DEMO_PASSWORD
from portal.passwords import MAX_LENGTH, MIN_LENGTH, common_passwords, is_common, password_problem

STRONG = "plinth marmalade orbit tuesday"
COMMON = "This password is on a list of common or breached passwords. Choose another."


@pytest.mark.parametrize(
    "password",
    ["password1234", "123456789012", "Password1234", "1qaz2wsx3edc", "iloveyou1234"],
)
def test_common_and_breached_passwords_are_refused(password):
    assert password_problem(password) == COMMON


@pytest.mark.parametrize("password", [DEMO_PASSWORD, DEMO_PASSWORD.upper()])
def test_the_published_demo_password_is_refused(password):
    assert password_problem(password) == "This is the demo's published password. Choose another."


def test_eleven_characters_are_too_few_twelve_are_enough():
    assert password_problem("gh7#kq2!mz9") == f"Use at least {MIN_LENGTH} characters."
    assert password_problem("gh7#kq2!mz9w") is None


def test_128_characters_are_accepted_129_refused():
    long = ("orbit plinth " * 10)[:MAX_LENGTH]
    assert len(long) == 128
    assert password_problem(long) is None
    assert password_problem(long + "x") == f"Use at most {MAX_LENGTH} characters."


def test_a_strong_passphrase_is_accepted_without_composition_rules():
    # Lowercase letters and spaces only: no digit, capital or symbol is asked for.
    assert password_problem(STRONG) is None
    assert password_problem(STRONG, email="pat.boss@example.org", name="Pat Boss") is None


def test_a_repetitive_password_is_refused():
    assert password_problem("abababababababab") == "Use a less repetitive password."


@pytest.mark.parametrize(
    "password",
    [
        "whitlock-plays-oboe",  # the family name
        "DanaRocksTheOboe77",  # the given name, in any case
        "x dana.whitlock x 9",  # the whole e-mail local part
    ],
)
def test_a_password_holding_the_name_or_email_is_refused(password):
    problem = password_problem(
        password, email="dana.whitlock@lead.example.org", name="Dana Whitlock"
    )
    assert problem == "Do not use your name or email address in your password."


def test_short_name_parts_do_not_refuse_unrelated_words():
    # "Ann" is in "mannequin": parts shorter than four letters are not looked for.
    assert password_problem("mannequin river stone", email="ann@example.org", name="Ann Li") is None


def test_the_bundled_list_holds_100000_passwords_read_once():
    passwords = common_passwords()
    assert len(passwords) >= 100_000
    assert common_passwords() is passwords  # once per process
    assert "123456" in passwords and "password" in passwords
    assert all(p == p.lower() for p in list(passwords)[:1000])
    assert is_common("PASSWORD") and not is_common(STRONG)
