"""One referral's story across the roles, clicked as people would click it.

Later issues extend it: matching, provider acceptance and attendance, consent, compliance review.
To add a step, give the role in roles.py a method that acts like the person, asserts what they then
see, and calls a11y(page, name) after each page load or htmx swap (phone_friendly() too on officer
screens); call shot(page, name) here for a README screenshot. A new role is an Actor subclass opened
with cast.actor(Provider, email, viewport).
"""

from __future__ import annotations

import pytest

from tests.e2e.checks import DESKTOP, PHONE, shot
from tests.e2e.roles import NewPerson

pytestmark = pytest.mark.e2e

OFFICER = "deputy.hall@fcso.example.org"
OFFICER_NAME = "Deputy Jordan Hall"
ADMIN = "admin@lead.example.org"
ADMIN_NAME = "Dana Whitlock"

PERSON = NewPerson(
    first_name="Casey",
    last_name="Rowand",
    dob="1992-08-17",
    phone="(304) 555-0199",
    aliases="CJ",
    referral_type="Social contact",
    incident_number="2026-77301",
    offences="Possession of a controlled substance (heroin)",
    location="Main St & Court St, Fayetteville",
    notes="Wants help with detox; staying with a cousin in Oak Hill.",
)


def test_referral_to_active_case(cast):
    officer = cast.officer(OFFICER, PHONE)
    officer.sign_in()
    shot(officer.page, "officer-my-referrals")
    officer.open_new_referral()
    shot(officer.page, "officer-referral-form")
    officer.sends_incomplete_referral()
    officer.refer(PERSON)
    officer.finds_in_my_referrals(PERSON, "Referred")
    officer.open_referral(PERSON)

    admin = cast.admin(ADMIN, DESKTOP)
    admin.sign_in()
    admin.finds_in_queue(PERSON, OFFICER_NAME)
    shot(admin.page, "admin-referral-queue")
    admin.open_case(PERSON)
    admin.declines_without_reason()
    admin.accepts(note="Eligible: first contact, small quantity.")
    officer.sees_progress(
        "Referral accepted",
        "Accepted, awaiting intake",
        never_shown=(ADMIN_NAME, "small quantity"),
    )
    admin.records_intake(roi_signed=True)
    shot(admin.page, "admin-case-detail", full_page=False)
    officer.sees_progress(
        "Intake complete", "Active", never_shown=(ADMIN_NAME, "release of information")
    )
    shot(officer.page, "officer-referral-detail")
    admin.finds_in_cases(PERSON, "Active")

    cast.assert_consoles_clean()
