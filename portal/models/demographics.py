"""The demographics a site reports disparities by: each optional, each with "declined to answer"
(kept on the person; age is counted from the date of birth at referral)."""

from __future__ import annotations

import enum


class Race(enum.StrEnum):
    """The OMB categories, one answer (two or more is its own answer), or declined."""

    AMERICAN_INDIAN = "american_indian_alaska_native"
    ASIAN = "asian"
    BLACK = "black_african_american"
    PACIFIC_ISLANDER = "native_hawaiian_pacific_islander"
    WHITE = "white"
    MULTIRACIAL = "two_or_more"
    OTHER = "other"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "american_indian_alaska_native": "American Indian or Alaska Native",
            "asian": "Asian",
            "black_african_american": "Black or African American",
            "native_hawaiian_pacific_islander": "Native Hawaiian or Pacific Islander",
            "white": "White",
            "two_or_more": "Two or more races",
            "other": "Another race",
            "declined": "Declined to answer",
        }[self.value]


class Ethnicity(enum.StrEnum):
    HISPANIC = "hispanic_latino"
    NOT_HISPANIC = "not_hispanic_latino"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "hispanic_latino": "Hispanic or Latino",
            "not_hispanic_latino": "Not Hispanic or Latino",
            "declined": "Declined to answer",
        }[self.value]


class Gender(enum.StrEnum):
    WOMAN = "woman"
    MAN = "man"
    ANOTHER = "another"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "woman": "Woman",
            "man": "Man",
            "another": "Another gender (non-binary, two-spirit, ...)",
            "declined": "Declined to answer",
        }[self.value]
