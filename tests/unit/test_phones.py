"""Phone numbers: what a person may type, and the `tel:` link a phone dials."""

from __future__ import annotations

import pytest

from portal.services.phones import PHONE_MESSAGE, phone_problem, tel_uri


@pytest.mark.parametrize(
    ("typed", "tel"),
    [
        ("(304) 555-0142", "tel:3045550142"),
        ("304.555.0142", "tel:3045550142"),
        ("+1 304-555-0142", "tel:+13045550142"),
        ("(304) 555-0101 ext. 14", "tel:3045550101;ext=14"),
        ("304 555 0101 x7", "tel:3045550101;ext=7"),
        ("555-0142", "tel:5550142"),
    ],
)
def test_a_phone_number_is_accepted_and_dialled(typed, tel):
    assert phone_problem(typed) is None
    assert tel_uri(typed) == tel


@pytest.mark.parametrize(
    "typed", ["call me", "304-555", "12345678901234567", "304-555-0142 ext. abc", "304/555/0142"]
)
def test_what_is_not_a_phone_number_is_refused_with_the_rule(typed):
    assert phone_problem(typed) == PHONE_MESSAGE
    assert tel_uri(typed) is None


def test_empty_is_fine_and_too_long_is_said():
    assert phone_problem("") is None and phone_problem("   ") is None
    assert phone_problem("1" * 41) == "Use at most 40 characters."
    assert tel_uri(None) is None
