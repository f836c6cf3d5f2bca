"""One referral's story across the roles, clicked as people would click it.

An officer refers a person; the administrator screens, records intake, assesses needs and assigns
two services on the matching screen; FMRS accepts and logs an appointment, the Health Department
a whole group session; the officer's open page shows "Engaged in services" and nothing more.
Consent (issue 8) is in it: without one the officer learns nothing after screening, and a
revocation hides further progress at once. The compliance review and the officer's inbox, on
phones, are the second story (test_compliance_story.py), played on the demo's overdue referral.
To add a step, give the role (roles.py, admin.py, provider.py) a method that acts like the person,
asserts what they then see, and calls a11y(page, name) after each page load or htmx swap
(phone_friendly() too on officer and provider screens); keyboard.tab_to() for keyboard-only steps;
call shot(page, name) here for a README screenshot. A new role is an Actor subclass opened with
cast.actor(Cls, email, viewport).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.checks import DESKTOP, PHONE, shot
from tests.e2e.conftest import TIMEZONE, Cast
from tests.e2e.provider import Provider
from tests.e2e.roles import Assessment, Need, NewPerson

pytestmark = pytest.mark.e2e

OFFICER = "deputy.hall@fcso.example.org"
OFFICER_NAME = "Deputy Jordan Hall"
ADMIN = "admin@lead.example.org"
ADMIN_NAME = "Dana Whitlock"
FMRS_STAFF = "staff@fmrs.example.org"
GROUP_STAFF = "staff@recovery.example.org"
DETOX = "Detoxification"
GROUP = "Peer Recovery Support Group"

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
TODAY = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
# The peer group meets on Mondays (the harm reduction clinic is drop-in: nobody is referred to
# it, nobody is on its roster). The person is referred today and attendance
# cannot predate a referral, so the group is logged for today: from the "Today" list on a
# Monday, through the service-and-date form on any other day.
GROUP_DAY = TODAY
ASSESSMENT = Assessment(
    assessed_on=TODAY.isoformat(),
    substances="Heroin, alcohol",
    detox_needed=True,
    needs=(
        Need("substance_use", "Substance use", "High", "Withdrawing; asked for detox first."),
        Need("mental_health", "Mental health", "Low"),
        Need("housing", "Housing", "Moderate", "Staying with a cousin in Oak Hill."),
        Need("income_benefits", "Income and benefits", "Moderate"),
        Need("employment", "Employment", "Low"),
        Need("medical", "Medical", "Moderate", "Hepatitis C test due."),
        Need("legal", "Legal", "Low"),
        Need("family", "Family", "None"),
    ),
)
# What the officer must never see: staff, services, providers, clinical notes.
NOT_FOR_OFFICERS = (
    DETOX,
    GROUP,
    "FMRS",
    "Health Department",
    "Hepatitis",
    "Withdrawing",
    "medical appointment",
)


def test_referral_to_engaged_in_services(cast):
    referral_to_engaged_in_services(cast)


def referral_to_engaged_in_services(cast: Cast) -> None:
    """The story itself, for any server: the live one here, two behind nginx in
    test_proxy_story.py."""
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
    admin.edits_details(statutes="W. Va. Code 60A-4-401(c)")
    admin.declines_without_reason()
    admin.accepts(note="Eligible: first contact, small quantity.")
    admin.edits_details(statutes="W. Va. Code 60A-4-401(c); 60A-4-403")
    officer.sees_progress(
        "Referral accepted",
        "Accepted by the program",
        never_shown=(ADMIN_NAME, "small quantity"),
    )
    admin.records_intake()
    shot(admin.page, "admin-case-detail", full_page=False)
    # Issue 8: without the participant's consent the officer learns nothing after screening.
    officer.sees_confidential("Intake complete")
    admin.records_consent()
    officer.sees_progress("Intake complete", "Active", never_shown=(ADMIN_NAME,), notice=True)
    shot(officer.page, "officer-referral-detail")
    admin.edits_details(statutes="W. Va. Code 60A-4-401(c)")

    # Issue 3: assessment, matching, the providers' acceptance and attendance.
    admin.records_assessment(ASSESSMENT)
    admin.opens_matching(PERSON, first=DETOX)
    shot(admin.page, "admin-matching", full_page=False)
    admin.filters_matching("Category", "Detoxification", r"category=detox")
    admin.assigns_by_keyboard(DETOX, provider="FMRS")
    admin.filters_matching("Category", "All categories", r"category=&")
    admin.filters_matching("Provider", "Fayette Recovery Community", r"organization=\d+")
    admin.assigns(GROUP)
    admin.back_to_case(PERSON, [DETOX, GROUP])

    fmrs = cast.actor(Provider, FMRS_STAFF, PHONE)
    fmrs.sign_in()
    shot(fmrs.page, "provider-roster")
    fmrs.accepts(PERSON, DETOX)
    fmrs.admits(PERSON, DETOX, TODAY)  # an episode: admitted, not attended

    peers = cast.actor(Provider, GROUP_STAFF, DESKTOP)
    peers.sign_in()
    peers.accepts(PERSON, GROUP)
    peers.opens_sessions()
    peers.opens_session(GROUP, GROUP_DAY, TODAY)
    # One tap by keyboard for the person, then the rest of the group at once.
    peers.logs_by_keyboard(PERSON, "Attended", GROUP_DAY)
    peers.marks_all_present(PERSON)
    peers.corrects(PERSON, "Excused", "Left at the start for a medical appointment.")
    shot(peers.page, "provider-session-attendance")

    officer.sees_progress(
        "Engaged in services", "Active", never_shown=(ADMIN_NAME, *NOT_FOR_OFFICERS), notice=True
    )
    admin.sees_timeline("Service referral accepted", "Attendance recorded", "Attendance corrected")
    fmrs.sees_only_own_services((GROUP, "Left at the start"))
    admin.finds_in_cases(PERSON, "Active")
    # Revoking a revocable consent hides further progress from the officer at once.
    admin.reopens_case(PERSON)
    admin.revokes_consent()
    officer.sees_confidential("Engaged in services")
    admin.prints_consent_and_accounting(PERSON, OFFICER_NAME)
    admin.sees_who_opened_the_record(OFFICER)

    cast.assert_consoles_clean()
